//! Domain events: every change, as the event feed and webhooks publish it.

use chrono::NaiveDateTime;

use super::ids::{EventId, PartyId};

/// Every event type the service emits.
pub const EVENT_TYPES: &[(&str, &str)] = &[
    (
        "opportunity.created",
        "An opportunity was created (as a draft)",
    ),
    ("opportunity.updated", "An opportunity's fields changed"),
    ("opportunity.published", "An opportunity was published"),
    (
        "opportunity.closed",
        "An opportunity stopped taking expressions of interest",
    ),
    ("opportunity.archived", "An opportunity was archived"),
    (
        "opportunity.restored",
        "An admin brought an archived opportunity back as a draft",
    ),
    ("opportunity.deleted", "A draft opportunity was deleted"),
    ("party.created", "A party was created"),
    ("party.updated", "A party changed"),
    ("party.deleted", "A party was deleted"),
    ("person.created", "A person was created"),
    ("person.updated", "A person changed"),
    ("person.deleted", "A person was deleted"),
    ("initiative.created", "An initiative was created"),
    ("initiative.updated", "An initiative changed"),
    ("initiative.deleted", "An initiative was deleted"),
    ("interest.created", "A party expressed interest"),
    (
        "interest.updated",
        "An interest's assignee, probability or amount changed",
    ),
    (
        "interest.stageChanged",
        "An interest moved to another stage",
    ),
    (
        "webhook.failing",
        "A subscription's deliveries failed for a whole day (officers)",
    ),
];

/// Whether `kind` is an event type the service emits.
pub fn is_event_type(kind: &str) -> bool {
    EVENT_TYPES.iter().any(|(t, _)| *t == kind)
}

/// Who may see an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Everyone with a key (it concerns something public).
    Public,
    /// Officers, and investors of these parties.
    Parties(Vec<PartyId>),
    /// Officers only.
    Staff,
}

impl Audience {
    pub fn as_str(&self) -> &'static str {
        match self {
            Audience::Public => "public",
            Audience::Parties(_) => "parties",
            Audience::Staff => "staff",
        }
    }

    /// Whether a viewer sees the event: officers (`None`) see all; an investor's party sees
    /// public events and those of its own party.
    pub fn admits(&self, party: Option<&PartyId>) -> bool {
        match (self, party) {
            (_, None) => true,
            (Audience::Public, Some(_)) => true,
            (Audience::Parties(parties), Some(p)) => parties.contains(p),
            (Audience::Staff, Some(_)) => false,
        }
    }
}

/// A change to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub kind: &'static str,
    pub subject_id: String,
    pub audience: Audience,
    /// A small description of the change; receivers fetch the resource for the rest.
    pub data: serde_json::Value,
    pub occurred_at: NaiveDateTime,
}

/// A recorded event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Commit order.
    pub seq: i64,
    pub id: EventId,
    pub kind: String,
    pub subject_id: String,
    pub data: serde_json::Value,
    pub occurred_at: NaiveDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn investors_see_public_events_and_their_own() {
        let mine = PartyId::generate();
        let other = PartyId::generate();
        assert!(Audience::Public.admits(Some(&mine)));
        assert!(Audience::Parties(vec![mine.clone()]).admits(Some(&mine)));
        assert!(!Audience::Parties(vec![other]).admits(Some(&mine)));
        assert!(!Audience::Staff.admits(Some(&mine)));
        assert!(Audience::Staff.admits(None));
    }
}
