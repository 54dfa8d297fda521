//! People: contacts who belong to a party (a focal person of the host agency, an investor's
//! representative).

use super::ids::{PartyId, PersonId};
use super::page::{Position, Positioned, timestamp_key};
use super::stored::Stored;

/// The writable fields of a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonData {
    pub party_id: PartyId,
    pub name: String,
    pub job_title: Option<String>,
    pub email: Option<String>,
    pub telephone: Option<String>,
}

pub type Person = Stored<PersonId, PersonData>;

/// Which people a list shows.
#[derive(Debug, Clone, Default)]
pub struct PersonFilter {
    pub party_id: Option<PartyId>,
}

/// Orders for lists of people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonSort {
    Created,
    Updated,
    Name,
}

impl Positioned<PersonSort> for Person {
    fn position(&self, sort: PersonSort) -> Position {
        let key = match sort {
            PersonSort::Created => String::new(),
            PersonSort::Updated => timestamp_key(&self.updated_at),
            PersonSort::Name => self.data.name.clone(),
        };
        Position {
            key,
            id: self.id.to_string(),
        }
    }
}
