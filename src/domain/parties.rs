//! Parties: organisations (governments, agencies, companies, consortia, lenders, funds).

use super::codes::{CountryCode, PartyKind};
use super::ids::{PartyId, PersonId};
use super::page::{Position, Positioned, timestamp_key};
use super::stored::Stored;

/// An identifier of an organisation in some register, e.g. `{scheme: "PK-SECP", id: "0012345"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifier {
    pub scheme: String,
    pub id: String,
}

/// How to reach an organisation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContactPoint {
    pub name: Option<String>,
    pub email: Option<String>,
    pub telephone: Option<String>,
}

/// The writable fields of a party.
#[derive(Debug, Clone, PartialEq)]
pub struct PartyData {
    pub name: String,
    pub kind: PartyKind,
    pub country: CountryCode,
    pub identifier: Option<Identifier>,
    pub website: Option<String>,
    pub contact_point: Option<ContactPoint>,
    /// Members of a consortium, in the order given.
    pub member_ids: Vec<PartyId>,
    /// The host-agency person who keeps liaison with this party.
    pub focal_person_id: Option<PersonId>,
}

pub type Party = Stored<PartyId, PartyData>;

/// Which parties a list shows.
#[derive(Debug, Clone, Default)]
pub struct PartyFilter {
    /// Restricts the list to one party (an investor sees only its own).
    pub only: Option<PartyId>,
    pub kind: Option<PartyKind>,
    pub country: Option<CountryCode>,
}

/// Orders for party lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartySort {
    Created,
    Updated,
    Name,
}

impl Positioned<PartySort> for Party {
    fn position(&self, sort: PartySort) -> Position {
        let key = match sort {
            PartySort::Created => String::new(),
            PartySort::Updated => timestamp_key(&self.updated_at),
            PartySort::Name => self.data.name.clone(),
        };
        Position {
            key,
            id: self.id.to_string(),
        }
    }
}
