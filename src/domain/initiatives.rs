//! Initiatives: programmes that group opportunities and countries, e.g. the
//! Pakistan–Azerbaijan–Türkiye trilateral.

use super::codes::CountryCode;
use super::ids::{InitiativeId, PartyId, PersonId};
use super::page::{Position, Positioned, timestamp_key};
use super::stored::Stored;

/// The writable fields of an initiative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitiativeData {
    pub name: String,
    pub description: Option<String>,
    pub countries: Vec<CountryCode>,
    pub lead_party_id: Option<PartyId>,
    pub focal_person_id: Option<PersonId>,
}

pub type Initiative = Stored<InitiativeId, InitiativeData>;

/// Orders for initiative lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitiativeSort {
    Created,
    Updated,
    Name,
}

impl Positioned<InitiativeSort> for Initiative {
    fn position(&self, sort: InitiativeSort) -> Position {
        let key = match sort {
            InitiativeSort::Created => String::new(),
            InitiativeSort::Updated => timestamp_key(&self.updated_at),
            InitiativeSort::Name => self.data.name.clone(),
        };
        Position {
            key,
            id: self.id.to_string(),
        }
    }
}
