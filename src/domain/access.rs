//! Who is calling, and what their role allows.

use super::codes::Role;
use super::ids::{ApiKeyId, PartyId};

/// Why a caller may not do something: not who it says (or nobody), or not allowed to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// No valid key: the caller should authenticate.
    #[error("authentication required")]
    Unauthenticated,
    /// A valid key whose role may not do this; says what would.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
}

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
    pub fn require_staff(&self) -> Result<(), Denied> {
        match self.role() {
            None => Err(Denied::Unauthenticated),
            Some(Role::Officer | Role::Admin) => Ok(()),
            Some(Role::Investor) => Err(Denied::Forbidden(
                "This needs an officer or admin key; investor keys may read the catalogue and manage their own party's interests.",
            )),
        }
    }

    /// Admins only.
    pub fn require_admin(&self) -> Result<(), Denied> {
        match self.role() {
            None => Err(Denied::Unauthenticated),
            Some(Role::Admin) => Ok(()),
            Some(_) => Err(Denied::Forbidden("This needs an admin key.")),
        }
    }

    /// Any valid key.
    pub fn require_key(&self) -> Result<(), Denied> {
        match self {
            Caller::Anonymous => Err(Denied::Unauthenticated),
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
        let forbidden = |r: Result<(), Denied>| matches!(r, Err(Denied::Forbidden(_)));
        assert_eq!(
            Caller::Anonymous.require_staff(),
            Err(Denied::Unauthenticated)
        );
        assert!(forbidden(key(Role::Investor).require_staff()));
        assert_eq!(key(Role::Officer).require_staff(), Ok(()));
        assert!(forbidden(key(Role::Officer).require_admin()));
        assert_eq!(key(Role::Admin).require_admin(), Ok(()));
    }
}
