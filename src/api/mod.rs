//! Wire types: what clients send and receive (request and response bodies, list queries, the
//! stored representation, cursors, the answers kept for idempotent retries), how they parse into
//! domain values and how domain values become them. Both handlers and services use them; they
//! know neither actix nor diesel.

pub mod api_keys;
pub mod audience;
pub mod codelists;
pub mod event_data;
pub mod events;
pub mod exchange;
pub mod headers;
pub mod initiatives;
pub mod interests;
pub mod money;
pub mod operations;
pub mod opportunities;
pub mod pagination;
pub mod parse;
pub mod parties;
pub mod people;
pub mod reply;
pub mod stats;
pub mod webhooks;

use serde::Serialize;

/// The strong ETag of a resource version.
pub fn etag(version: i32) -> String {
    format!("\"v{version}\"")
}

/// The versions an `If-Match` value accepts: `*` any; otherwise only the listed strong tags
/// (a weak tag never matches).
pub fn expected_versions(if_match: Option<&str>) -> crate::domain::stored::Expected {
    use crate::domain::stored::Expected;
    let Some(text) = if_match else {
        return Expected::Any;
    };
    if text.trim() == "*" {
        return Expected::Any;
    }
    Expected::OneOf(
        text.split(',')
            .filter_map(|tag| {
                tag.trim()
                    .strip_prefix("\"v")?
                    .strip_suffix('"')?
                    .parse()
                    .ok()
            })
            .collect(),
    )
}

/// Converts a stored timestamp (naive UTC) for a response.
pub fn utc(value: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_naive_utc_and_offset(value, chrono::Utc)
}

/// Serializes a response's timestamp (`#[serde(serialize_with = "rfc3339")]`) exactly as
/// chrono's own `Serialize` does: `2026-11-27T19:57:28.855682Z`, with no fraction or with 3, 6
/// or 9 digits, whichever is exact. Written digit by digit rather than through chrono's
/// formatting machinery, which was 5 % of a filtered list page (three timestamps per item).
pub fn rfc3339<S: serde::Serializer>(
    t: &chrono::DateTime<chrono::Utc>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use chrono::{Datelike, Timelike};
    let (year, nanos) = (t.year(), t.nanosecond());
    // Years past four digits and leap seconds are chrono's to write.
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return t.serialize(serializer);
    }
    // Each part's digits, then the character that follows it.
    let fraction = match nanos {
        0 => None,
        n if n % 1_000_000 == 0 => Some((n / 1_000_000, 3)),
        n if n % 1_000 == 0 => Some((n / 1_000, 6)),
        n => Some((n, 9)),
    };
    let (value, digits) = fraction.unwrap_or((0, 0));
    let parts = [
        (year as u32, 4, b'-'),
        (t.month(), 2, b'-'),
        (t.day(), 2, b'T'),
        (t.hour(), 2, b':'),
        (t.minute(), 2, b':'),
        (t.second(), 2, if fraction.is_some() { b'.' } else { b'Z' }),
        (value, digits, b'Z'),
    ];
    let parts = if fraction.is_some() {
        &parts[..]
    } else {
        &parts[..6]
    };
    let mut out = [0u8; 32];
    let mut n = 0;
    for &(value, digits, next) in parts {
        for i in (0..digits).rev() {
            out[n] = b'0' + (value / 10u32.pow(i) % 10) as u8;
            n += 1;
        }
        out[n] = next;
        n += 1;
    }
    serializer.serialize_str(std::str::from_utf8(&out[..n]).map_err(serde::ser::Error::custom)?)
}

/// [`rfc3339`] for an optional timestamp (with `skip_serializing_if = "Option::is_none"`).
pub fn rfc3339_optional<S: serde::Serializer>(
    t: &Option<chrono::DateTime<chrono::Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => rfc3339(t, serializer),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_written_as_chrono_writes_them() {
        use chrono::{DateTime, NaiveDate, Utc};
        #[derive(Serialize)]
        struct Fast(#[serde(serialize_with = "rfc3339")] DateTime<Utc>);
        let day = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let mut nanos = vec![0, 1, 9, 10, 999, 1_000, 120_000, 855_682_000, 999_999_999];
        nanos.extend([1_000_000, 5_000_000, 120_000_000, 999_000_000, 123_456_789]);
        for (h, m, s) in [(0, 0, 0), (9, 5, 7), (19, 47, 55), (23, 59, 59)] {
            for &n in &nanos {
                let t = utc(day.and_hms_nano_opt(h, m, s, n).unwrap());
                assert_eq!(
                    serde_json::to_string(&Fast(t)).unwrap(),
                    serde_json::to_string(&t).unwrap()
                );
            }
        }
        for t in [
            NaiveDate::from_ymd_opt(1, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
            NaiveDate::from_ymd_opt(9999, 12, 31)
                .unwrap()
                .and_hms_opt(23, 59, 59)
                .unwrap(),
            NaiveDate::from_ymd_opt(10_000, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
            NaiveDate::from_ymd_opt(-1, 6, 1)
                .unwrap()
                .and_hms_opt(12, 0, 0)
                .unwrap(),
            day.and_hms_nano_opt(23, 59, 59, 1_500_000_000).unwrap(),
        ] {
            let t = utc(t);
            assert_eq!(
                serde_json::to_string(&Fast(t)).unwrap(),
                serde_json::to_string(&t).unwrap()
            );
        }
    }

    #[test]
    fn if_match_accepts_only_strong_tags() {
        use crate::domain::stored::Expected;
        assert_eq!(
            expected_versions(Some("\"v3\", W/\"v4\"")),
            Expected::OneOf(vec![3])
        );
        assert_eq!(expected_versions(Some("*")), Expected::Any);
        assert_eq!(expected_versions(None), Expected::Any);
    }
}
