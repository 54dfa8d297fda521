//! Opaque, type-prefixed, time-ordered ids (TypeID: a prefix, `_`, and a UUIDv7 in base32).
//!
//! Each kind of id is its own type, so one kind cannot be passed for another; parsing an id of
//! the wrong kind fails, and the API answers that as a 404.

use std::fmt;
use std::str::FromStr;

use mti::prelude::*;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The type prefix that starts every id of this kind.
            pub const PREFIX: &'static str = $prefix;

            /// A new id, ordered after every id made before it.
            pub fn generate() -> Self {
                $name(Self::PREFIX.create_type_id::<V7>().to_string())
            }

            /// Parses an id of this kind; `None` for anything else.
            pub fn parse(text: &str) -> Option<Self> {
                is_typeid_of(text, Self::PREFIX).then(|| $name(text.to_owned()))
            }

            /// Wraps a value read from the database, where only valid ids are ever stored.
            pub fn from_db(text: String) -> Self {
                $name(text)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        /// Documents the id as what parsing accepts: its prefix, `_`, 26 base32 characters.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                id_schema($prefix)
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }
    };
}

/// The schema of an id of the kind `prefix`: exactly what [`is_typeid_of`] accepts.
fn id_schema(prefix: &str) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let length = prefix.len() + 27;
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(format!(
            "An id of this kind: `{prefix}_` and 26 lower-case base32 characters (a TypeID over a UUIDv7)."
        )))
        .pattern(Some(format!("^{prefix}_[0-9a-z]{{26}}$")))
        .min_length(Some(length))
        .max_length(Some(length))
        .examples([format!("{prefix}_01jd8x3v5ffd2b6jq4w5k9h8zq")])
        .into()
}

/// Is `text` a canonical TypeID with exactly this prefix?
pub fn is_typeid_of(text: &str, prefix: &str) -> bool {
    // A prefix, '_', and 26 base32 characters.
    text.len() == prefix.len() + 27
        && text.starts_with(prefix)
        && text.as_bytes()[prefix.len()] == b'_'
        && MagicTypeId::from_str(text).is_ok_and(|id| id.as_str() == text)
}

typed_id!(
    /// An opportunity: `opp_…`.
    OpportunityId, "opp");
typed_id!(
    /// A party (an organisation): `pty_…`.
    PartyId, "pty");
typed_id!(
    /// A person: `per_…`.
    PersonId, "per");
typed_id!(
    /// An initiative: `ini_…`.
    InitiativeId, "ini");
typed_id!(
    /// An API key (its id, never its secret): `key_…`.
    ApiKeyId, "key");
typed_id!(
    /// An expression of interest: `int_…`.
    InterestId, "int");
typed_id!(
    /// An event in a timeline or feed: `evt_…`.
    EventId, "evt");
typed_id!(
    /// A webhook subscription: `whk_…`.
    WebhookId, "whk");
typed_id!(
    /// One delivery of an event to a webhook: `dlv_…`.
    DeliveryId, "dlv");
typed_id!(
    /// One attempt to deliver: `att_…`.
    AttemptId, "att");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_back_and_carry_their_prefix() {
        let id = OpportunityId::generate();
        assert!(id.as_str().starts_with("opp_"), "{id}");
        assert_eq!(OpportunityId::parse(id.as_str()), Some(id));
    }

    #[test]
    fn an_id_of_another_kind_does_not_parse() {
        let party = PartyId::generate();
        assert_eq!(OpportunityId::parse(party.as_str()), None);
    }

    #[test]
    fn malformed_ids_do_not_parse() {
        for bad in [
            "",
            "opp",
            "opp_",
            "opp_123",
            "opp_01JD8X0000000000000000000Z",
            "opp_zzzzzzzzzzzzzzzzzzzzzzzzzz",
            "xopp_01jd8x00000000000000000000",
        ] {
            assert_eq!(OpportunityId::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn ids_are_time_ordered() {
        let first = PartyId::generate();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = PartyId::generate();
        assert!(first < second);
    }
}
