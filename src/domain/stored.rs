//! What every stored resource carries besides its own fields.

use chrono::NaiveDateTime;

/// A resource as stored: its id, its data, and bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored<I, D> {
    pub id: I,
    pub data: D,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Increases by one on every change; the ETag is derived from it.
    pub version: i32,
}

/// The versions a conditional request (`If-Match`) accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Expected {
    /// No condition.
    #[default]
    Any,
    /// One of these versions must be current; an empty list never matches.
    OneOf(Vec<i32>),
}

impl Expected {
    /// Fails when the current version is not one the client expected.
    pub fn check(&self, current: i32) -> Result<(), Stale> {
        match self {
            Expected::Any => Ok(()),
            Expected::OneOf(versions) if versions.contains(&current) => Ok(()),
            Expected::OneOf(_) => Err(Stale),
        }
    }
}

/// The version a client expected (`If-Match`) is no longer current.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the resource changed since the version the client expected")]
pub struct Stale;
