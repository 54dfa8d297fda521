//! Stored timestamps and dates, read without chrono's format parser on SQLite.
//!
//! SQLite keeps a `TIMESTAMP` as text. diesel reads it with `NaiveDateTime::parse_from_str`,
//! which interprets the format string anew for every value: about 6 % of a filtered list page
//! (21 rows of three timestamps). What diesel writes, `YYYY-MM-DD HH:MM:SS[.fraction]`, is read
//! here digit by digit, and anything else falls back to diesel's own reading; likewise a `DATE`'s
//! `YYYY-MM-DD`. PostgreSQL sends both as binary and is read as diesel reads it.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::pg::Pg;
use diesel::sql_types::{Date, Nullable, Timestamp};
use diesel::sqlite::Sqlite;

use super::MultiBackend;

/// A `TIMESTAMP` column's value; use with `#[diesel(deserialize_as = StoredTimestamp)]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow)]
pub struct StoredTimestamp(pub NaiveDateTime);

/// A nullable `TIMESTAMP` column's value; use with
/// `#[diesel(deserialize_as = StoredOptionalTimestamp)]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow)]
pub struct StoredOptionalTimestamp(pub Option<NaiveDateTime>);

/// A nullable `DATE` column's value; use with `#[diesel(deserialize_as = StoredOptionalDate)]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow)]
pub struct StoredOptionalDate(pub Option<NaiveDate>);

impl From<StoredOptionalDate> for Option<NaiveDate> {
    fn from(d: StoredOptionalDate) -> Self {
        d.0
    }
}

/// A `DATE` value, read as [`StoredTimestamp`] is.
struct StoredDate(NaiveDate);

impl FromSql<Date, MultiBackend> for StoredDate {
    fn from_sql(bytes: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        bytes.from_sql::<Self, Date>()
    }
}

impl FromSql<Date, Sqlite> for StoredDate {
    fn from_sql(mut value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        if let Some(d) = parse_date(value.read_text().as_bytes()) {
            return Ok(StoredDate(d));
        }
        <NaiveDate as FromSql<Date, Sqlite>>::from_sql(value).map(StoredDate)
    }
}

impl FromSql<Date, Pg> for StoredDate {
    fn from_sql(value: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        <NaiveDate as FromSql<Date, Pg>>::from_sql(value).map(StoredDate)
    }
}

impl FromSql<Nullable<Date>, MultiBackend> for StoredOptionalDate {
    fn from_sql(bytes: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        <StoredDate as FromSql<Date, MultiBackend>>::from_sql(bytes)
            .map(|d| StoredOptionalDate(Some(d.0)))
    }

    fn from_nullable_sql(
        bytes: Option<<MultiBackend as Backend>::RawValue<'_>>,
    ) -> deserialize::Result<Self> {
        match bytes {
            Some(bytes) => Self::from_sql(bytes),
            None => Ok(StoredOptionalDate(None)),
        }
    }
}

impl From<StoredTimestamp> for NaiveDateTime {
    fn from(t: StoredTimestamp) -> Self {
        t.0
    }
}

impl From<StoredOptionalTimestamp> for Option<NaiveDateTime> {
    fn from(t: StoredOptionalTimestamp) -> Self {
        t.0
    }
}

impl FromSql<Timestamp, MultiBackend> for StoredTimestamp {
    fn from_sql(bytes: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        bytes.from_sql::<Self, Timestamp>()
    }
}

impl FromSql<Nullable<Timestamp>, MultiBackend> for StoredOptionalTimestamp {
    fn from_sql(bytes: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        <StoredTimestamp as FromSql<Timestamp, MultiBackend>>::from_sql(bytes)
            .map(|t| StoredOptionalTimestamp(Some(t.0)))
    }

    fn from_nullable_sql(
        bytes: Option<<MultiBackend as Backend>::RawValue<'_>>,
    ) -> deserialize::Result<Self> {
        match bytes {
            Some(bytes) => Self::from_sql(bytes),
            None => Ok(StoredOptionalTimestamp(None)),
        }
    }
}

impl FromSql<Timestamp, Sqlite> for StoredTimestamp {
    fn from_sql(mut value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        if let Some(t) = parse_written(value.read_text()) {
            return Ok(StoredTimestamp(t));
        }
        <NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(StoredTimestamp)
    }
}

impl FromSql<Timestamp, Pg> for StoredTimestamp {
    fn from_sql(value: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value).map(StoredTimestamp)
    }
}

/// Digits of `b` as a number; `None` if any is not a digit.
fn number(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, &d| {
        d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
    })
}

/// Exactly `YYYY-MM-DD`, as diesel writes a `NaiveDate`; `None` for anything else.
fn parse_date(b: &[u8]) -> Option<NaiveDate> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::from_ymd_opt(
        i32::try_from(number(&b[0..4])?).ok()?,
        number(&b[5..7])?,
        number(&b[8..10])?,
    )
}

/// `YYYY-MM-DD HH:MM:SS` with an optional `.` and one to nine digits of fraction, as diesel
/// writes a `NaiveDateTime` to SQLite; `None` for anything else (or an impossible date or time).
fn parse_written(text: &str) -> Option<NaiveDateTime> {
    let b = text.as_bytes();
    if b.len() < 19 || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let nanos = match &b[19..] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            number(digits)? * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    parse_date(&b[0..10])?.and_hms_nano_opt(
        number(&b[11..13])?,
        number(&b[14..16])?,
        number(&b[17..19])?,
        nanos,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What chrono (and so diesel) reads from the same text.
    fn chrono(text: &str) -> Option<NaiveDateTime> {
        NaiveDateTime::parse_from_str(text, "%F %T%.f").ok()
    }

    #[test]
    fn reads_what_diesel_writes_as_chrono_does() {
        let base = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        for (h, m, s, nanos) in [
            (0, 0, 0, 0),
            (23, 59, 59, 999_999_999),
            (12, 5, 9, 120_000_000),
            (7, 30, 0, 123_456_000),
            (19, 47, 55, 1_000),
            (1, 2, 3, 4),
        ] {
            let t = base.and_hms_nano_opt(h, m, s, nanos).unwrap();
            // diesel's own encoding of a NaiveDateTime for SQLite.
            let text = t.format("%F %T%.f").to_string();
            assert_eq!(parse_written(&text), Some(t), "{text}");
            assert_eq!(parse_written(&text), chrono(&text), "{text}");
        }
        for text in [
            "2024-02-29 00:00:00",
            "1999-12-31 23:59:59.5",
            "2026-01-01 10:00:00.000001",
        ] {
            assert_eq!(parse_written(text), chrono(text), "{text}");
            assert!(parse_written(text).is_some(), "{text}");
        }
    }

    #[test]
    fn reads_dates_as_chrono_does() {
        for text in ["2026-11-27", "2024-02-29", "0001-01-01", "9999-12-31"] {
            let chrono = NaiveDate::parse_from_str(text, "%F").ok();
            assert!(chrono.is_some());
            assert_eq!(parse_date(text.as_bytes()), chrono, "{text}");
        }
        for text in [
            "",
            "2026-11-2",
            "2026-11-27 ",
            "2026/11/27",
            "2026-02-30",
            "2026-13-01",
            "+202-11-27",
        ] {
            assert_eq!(parse_date(text.as_bytes()), None, "{text:?}");
        }
    }

    #[test]
    fn leaves_anything_else_to_diesel() {
        for text in [
            "",
            "2026-11-27",
            "2026-11-27T10:00:00",
            "2026-11-27 10:00:00Z",
            "2026-11-27 10:00:00+05:00",
            "2026-11-27 10:00:00.",
            "2026-11-27 10:00:00.1234567890",
            "2026-13-01 10:00:00",
            "2026-02-30 10:00:00",
            "2026-11-27 24:00:00",
            "2026-11-27 1a:00:00",
            "+2026-11-27 10:00:0",
            "2460000.5",
        ] {
            assert_eq!(parse_written(text), None, "{text:?}");
        }
    }
}
