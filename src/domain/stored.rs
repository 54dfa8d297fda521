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
