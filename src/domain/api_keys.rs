//! API keys: who holds them and what they may do. The secret itself is never kept.

use chrono::NaiveDateTime;

use super::codes::Role;
use super::ids::{ApiKeyId, PartyId};

/// A key as stored: its id, holder and limits, never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub name: String,
    pub role: Role,
    pub party_id: Option<PartyId>,
    /// The first characters of the secret, so a holder can tell keys apart.
    pub hint: String,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

impl ApiKey {
    /// Whether the key may be used at `now`.
    pub fn is_active(&self, now: NaiveDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|t| t > now)
    }
}

/// What a new key is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    pub name: String,
    pub role: Role,
    pub party_id: Option<PartyId>,
    pub expires_at: Option<NaiveDateTime>,
}

impl super::page::Positioned<()> for ApiKey {
    /// Keys are listed in the order they were made: by id.
    fn position(&self, _: ()) -> super::page::Position {
        super::page::by_id(&self.id)
    }
}
