//! Who is calling, and what their role allows.

use super::codes::Role;
use super::ids::{ApiKeyId, PartyId};
use crate::error::AppError;

/// The authenticated (or anonymous) caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    Key {
        id: ApiKeyId,
        role: Role,
        /// The party an investor key acts for.
        party_id: Option<PartyId>,
    },
}

impl Caller {
    pub fn role(&self) -> Option<Role> {
        match self {
            Caller::Anonymous => None,
            Caller::Key { role, .. } => Some(*role),
        }
    }

    pub fn key_id(&self) -> Option<&ApiKeyId> {
        match self {
            Caller::Anonymous => None,
            Caller::Key { id, .. } => Some(id),
        }
    }

    /// Officers and admins see and change the whole catalogue.
    pub fn is_staff(&self) -> bool {
        matches!(self.role(), Some(Role::Officer | Role::Admin))
    }

    /// The party an investor acts for.
    pub fn investor_party(&self) -> Option<&PartyId> {
        match self {
            Caller::Key {
                role: Role::Investor,
                party_id,
                ..
            } => party_id.as_ref(),
            _ => None,
        }
    }

    /// Officers and admins only: anonymous callers are asked to authenticate (401), other
    /// roles are refused (403).
    pub fn require_staff(&self) -> Result<(), AppError> {
        match self.role() {
            None => Err(AppError::Unauthorized),
            Some(Role::Officer | Role::Admin) => Ok(()),
            Some(Role::Investor) => Err(AppError::Forbidden(
                "This needs an officer or admin key; investor keys may read the catalogue and manage their own party's interests.".into(),
            )),
        }
    }

    /// Admins only.
    pub fn require_admin(&self) -> Result<(), AppError> {
        match self.role() {
            None => Err(AppError::Unauthorized),
            Some(Role::Admin) => Ok(()),
            Some(_) => Err(AppError::Forbidden("This needs an admin key.".into())),
        }
    }

    /// Any valid key.
    pub fn require_key(&self) -> Result<(), AppError> {
        match self {
            Caller::Anonymous => Err(AppError::Unauthorized),
            Caller::Key { .. } => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(role: Role) -> Caller {
        Caller::Key {
            id: ApiKeyId::generate(),
            role,
            party_id: None,
        }
    }

    #[test]
    fn staff_checks_distinguish_401_from_403() {
        use actix_web::ResponseError;
        let status = |r: Result<(), AppError>| r.err().map(|e| e.status_code().as_u16());
        assert_eq!(status(Caller::Anonymous.require_staff()), Some(401));
        assert_eq!(status(key(Role::Investor).require_staff()), Some(403));
        assert_eq!(status(key(Role::Officer).require_staff()), None);
        assert_eq!(status(key(Role::Officer).require_admin()), Some(403));
        assert_eq!(status(key(Role::Admin).require_admin()), None);
    }
}
