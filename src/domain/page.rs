//! Pages of a list: where a page ends and what the next one asks for. Keyset pagination: a
//! position is the sort key and id of the last row of a page; the next page starts strictly
//! after it. No OFFSET anywhere.

/// Where a page ends: the last row's sort value (as text) and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub key: String,
    pub id: String,
}

/// One page request.
#[derive(Debug, Clone)]
pub struct PageRequest<S> {
    pub sort: S,
    pub descending: bool,
    pub after: Option<Position>,
    /// Rows wanted; one more is fetched to learn whether another page exists.
    pub limit: i64,
}

/// Text form of a timestamp key, exact to the microsecond.
pub fn timestamp_key(value: &chrono::NaiveDateTime) -> String {
    value.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// Reads a [`timestamp_key`] back.
pub fn parse_timestamp_key(text: &str) -> Option<chrono::NaiveDateTime> {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.6f").ok()
}

/// Reads a text key.
pub fn parse_text_key(text: &str) -> Option<String> {
    Some(text.to_owned())
}

/// Where a row stands in a list ordered by `S`: its key under that sort, and its id.
pub trait Positioned<S> {
    fn position(&self, sort: S) -> Position;
}

/// The position of a row in a list ordered by id alone (creation order).
pub fn by_id(id: impl ToString) -> Position {
    Position {
        key: String::new(),
        id: id.to_string(),
    }
}
