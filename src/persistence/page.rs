//! Keyset pagination: a position is the sort key and id of the last row of a page; the next page
//! starts strictly after it. No OFFSET anywhere.

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

/// Orders a boxed query by `(column, id)` and starts it after `position`.
///
/// `$parse` turns the position's key text back into the column's value; an unparsable key
/// yields no rows rather than an error (cursors are signed, so it cannot come from a client).
#[macro_export]
macro_rules! keyset {
    ($query:ident, $page:expr, $id:expr) => {{
        use diesel::prelude::*;
        let page = $page;
        if let Some(after) = &page.after {
            $query = if page.descending {
                $query.filter($id.lt(after.id.clone()))
            } else {
                $query.filter($id.gt(after.id.clone()))
            };
        }
        $query = if page.descending {
            $query.order($id.desc())
        } else {
            $query.order($id.asc())
        };
        $query.limit(page.limit + 1)
    }};
    ($query:ident, $page:expr, $id:expr, $column:expr, $parse:expr) => {{
        use diesel::prelude::*;
        let page = $page;
        if let Some(after) = &page.after {
            match ($parse)(after.key.as_str()) {
                Some(key) => {
                    $query = if page.descending {
                        $query.filter(
                            $column
                                .lt(key.clone())
                                .or($column.eq(key).and($id.lt(after.id.clone()))),
                        )
                    } else {
                        $query.filter(
                            $column
                                .gt(key.clone())
                                .or($column.eq(key).and($id.gt(after.id.clone()))),
                        )
                    };
                }
                None => $query = $query.filter($id.ne($id)),
            }
        }
        $query = if page.descending {
            $query.order(($column.desc(), $id.desc()))
        } else {
            $query.order(($column.asc(), $id.asc()))
        };
        $query.limit(page.limit + 1)
    }};
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
