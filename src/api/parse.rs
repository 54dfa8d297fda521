//! Reading request bodies into wire types, strictly: JSON syntax, nesting, control characters,
//! unknown fields, every validation problem at once as JSON pointers, and JSON Merge Patch.

use serde::Serialize;
use serde::de::DeserializeOwned;
use validator::{ValidationErrors, ValidationErrorsKind};

use crate::domain::ParseError;
use crate::error::{AppError, FieldError};
use crate::request::MAX_DEPTH;

/// Parses JSON text: a syntax error or an object naming a member twice is a 400; a value of the
/// wrong shape, or text with control characters (NUL included, which PostgreSQL cannot store),
/// is a 422 naming where.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    let not_json = |e: serde_json::Error| {
        AppError::bad_request(format!(
            "The body is not valid JSON: {}",
            describe_serde(&e)
        ))
    };
    // Two readings: the first only checks that no object names a member twice (where
    // `serde_json::Value` would silently keep the last, and another reader the first); the
    // second builds the value, its numbers kept as their exact text.
    serde_json::from_slice::<UniqueMembers>(body).map_err(not_json)?;
    let value: serde_json::Value = serde_json::from_slice(body).map_err(not_json)?;
    let depth = depth_of(&value);
    if depth > MAX_DEPTH {
        return Err(AppError::bad_request(format!(
            "The body nests {depth} levels deep; at most {MAX_DEPTH} are accepted."
        )));
    }
    from_value(value)
}

/// JSON read only to refuse an object that names a member twice; nothing is kept.
struct UniqueMembers;

impl<'de> serde::Deserialize<'de> for UniqueMembers {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueVisitor)
    }
}

struct UniqueVisitor;

impl<'de> serde::de::Visitor<'de> for UniqueVisitor {
    type Value = UniqueMembers;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(UniqueMembers)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(UniqueMembers)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(UniqueMembers)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(UniqueMembers)
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(UniqueMembers)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(UniqueMembers)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<UniqueMembers>()?.is_some() {}
        Ok(UniqueMembers)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut names = std::collections::HashSet::new();
        while let Some(name) = map.next_key::<String>()? {
            if !names.insert(name.clone()) {
                return Err(serde::de::Error::custom(format!(
                    "the member {name:?} is named twice in one object"
                )));
            }
            map.next_value::<UniqueMembers>()?;
        }
        Ok(UniqueMembers)
    }
}

/// How deeply arrays and objects nest in `value` (a scalar is 0).
fn depth_of(value: &serde_json::Value) -> usize {
    use serde_json::Value;
    match value {
        Value::Array(items) => 1 + items.iter().map(depth_of).max().unwrap_or(0),
        Value::Object(fields) => 1 + fields.values().map(depth_of).max().unwrap_or(0),
        _ => 0,
    }
}

/// Deserializes an already parsed JSON value strictly, as [`parse_json`] does.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, AppError> {
    let mut problems = Vec::new();
    find_control_characters(&value, &mut String::new(), &mut problems);
    if !problems.is_empty() {
        return Err(AppError::invalid(problems));
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let mut pointer = pointer_of(error.path());
        let inner = error.into_inner();
        // serde names an unknown or missing field in its message but points at the object.
        if let Some(field) = named_field(&inner.to_string())
            && !pointer.ends_with(&format!("/{field}"))
        {
            pointer = format!("{}/{field}", pointer.trim_end_matches('/'));
        }
        AppError::invalid_field(pointer, describe_serde(&inner))
    })
}

fn find_control_characters(
    value: &serde_json::Value,
    pointer: &mut String,
    out: &mut Vec<FieldError>,
) {
    use serde_json::Value;
    let bad = |s: &str| {
        s.chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    };
    match value {
        Value::String(s) if bad(s) => out.push(FieldError::new(
            if pointer.is_empty() {
                "/".to_owned()
            } else {
                pointer.clone()
            },
            "must not contain control characters (NUL and the like)",
        )),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                find_control_characters(item, pointer, out);
                pointer.truncate(len);
            }
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                let len = pointer.len();
                if bad(key) {
                    out.push(FieldError::new(
                        pointer.clone() + "/",
                        "field names must not contain control characters",
                    ));
                    continue;
                }
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                find_control_characters(item, pointer, out);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

fn named_field(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("missing field `"))?;
    rest.split_once('`').map(|(field, _)| field.to_owned())
}

/// A JSON pointer from serde's path (`opportunity.locations[0].region` → `/locations/0/region`).
fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Unknown => {}
        }
    }
    if pointer.is_empty() {
        "/".into()
    } else {
        pointer
    }
}

/// serde's message without its "at line … column …" suffix, which means nothing to a client
/// that did not send pretty-printed JSON.
fn describe_serde(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// Collects every problem with a request body, from field validation and from parsing into
/// domain values, so that one 422 lists them all.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    /// Starts from `validator`'s findings.
    pub fn from_validation(result: Result<(), ValidationErrors>) -> Self {
        let mut problems = Problems::default();
        if let Err(errors) = result {
            flatten(&errors, String::new(), &mut problems.0);
        }
        problems
    }

    pub fn add(&mut self, pointer: impl Into<String>, detail: impl Into<String>) {
        self.0.push(FieldError::new(pointer, detail));
    }

    /// Keeps the value, or records why it failed at `pointer`.
    pub fn take<T>(&mut self, pointer: impl Into<String>, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(detail) => {
                self.add(pointer, detail);
                None
            }
        }
    }

    /// Records a domain parse error, its pointer relative to `base`.
    pub fn take_parsed<T>(&mut self, base: &str, result: Result<T, ParseError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(e) => {
                self.add(format!("{base}{}", e.pointer), e.detail);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Fails with every problem found, or builds the value.
    pub fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T, AppError> {
        if !self.0.is_empty() {
            return Err(AppError::invalid(self.0));
        }
        build().ok_or_else(|| {
            AppError::internal("a parsed field was missing without a recorded problem")
        })
    }
}

fn flatten(errors: &ValidationErrors, prefix: String, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let pointer = format!("{prefix}/{}", camel_case(field));
        match kind {
            ValidationErrorsKind::Field(list) => {
                for error in list {
                    let detail = error
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| describe_validation(error));
                    out.push(FieldError::new(pointer.clone(), detail));
                }
            }
            ValidationErrorsKind::Struct(inner) => flatten(inner, pointer, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    flatten(inner, format!("{pointer}/{index}"), out);
                }
            }
        }
    }
}

fn describe_validation(error: &validator::ValidationError) -> String {
    let param = |name: &str| error.params.get(name).map(|v| v.to_string());
    match error.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("length must be between {min} and {max}"),
            (Some(min), None) => format!("length must be at least {min}"),
            (None, Some(max)) => format!("length must be at most {max}"),
            _ => "invalid length".into(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            _ => "out of range".into(),
        },
        "email" => "must be an email address".into(),
        "url" => "must be an absolute URL".into(),
        other => format!("is invalid ({other})"),
    }
}

/// `job_title` → `jobTitle`; validator reports Rust field names, the API speaks camelCase.
fn camel_case(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Fields the server sets; a client that sends them is told so.
const READ_ONLY: [&str; 5] = ["id", "createdAt", "updatedAt", "version", "publishedAt"];

/// The writable fields `current` becomes under a merge patch, read back as strictly as a body.
pub fn apply_patch<T: Serialize + serde::de::DeserializeOwned>(
    current: &T,
    patch: serde_json::Value,
) -> Result<T, AppError> {
    let current = serde_json::to_value(current).map_err(|e| AppError::internal(e.to_string()))?;
    from_value(merge_patch(current, patch)?)
}

/// Applies a JSON Merge Patch (RFC 7396) to `current`, refusing read-only fields.
pub fn merge_patch(
    mut current: serde_json::Value,
    patch: serde_json::Value,
) -> Result<serde_json::Value, AppError> {
    let serde_json::Value::Object(fields) = &patch else {
        return Err(AppError::invalid_field(
            "/",
            "a merge patch must be a JSON object",
        ));
    };
    let read_only: Vec<crate::error::FieldError> = fields
        .keys()
        .filter(|k| READ_ONLY.contains(&k.as_str()))
        .map(|k| crate::error::FieldError::new(format!("/{k}"), "is read-only"))
        .collect();
    if !read_only.is_empty() {
        return Err(AppError::invalid(read_only));
    }
    merge(&mut current, patch);
    Ok(current)
}

fn merge(target: &mut serde_json::Value, patch: serde_json::Value) {
    use serde_json::Value;
    match patch {
        Value::Object(fields) => {
            if !target.is_object() {
                *target = Value::Object(serde_json::Map::new());
            }
            if let Value::Object(map) = target {
                for (key, value) in fields {
                    if value.is_null() {
                        map.remove(&key);
                    } else {
                        merge(map.entry(key).or_insert(Value::Null), value);
                    }
                }
            }
        }
        other => *target = other,
    }
}

/// Parses an `http(s)` URL.
pub fn web_url(text: &str) -> Result<String, String> {
    match url::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok(text.to_owned())
        }
        _ => Err("must be an absolute http or https URL".into()),
    }
}

/// Parses an optional id of one kind.
pub fn optional_id<T>(
    text: &Option<String>,
    parse: fn(&str) -> Option<T>,
    kind: &str,
) -> Result<Option<T>, String> {
    match text {
        None => Ok(None),
        Some(text) => parse(text)
            .map(Some)
            .ok_or_else(|| format!("is not a {kind} id")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Sample {
        title: String,
        items: Vec<Item>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        n: u8,
    }

    fn status_and_detail(error: AppError) -> (u16, String) {
        use actix_web::ResponseError;
        (error.status_code().as_u16(), format!("{error:?}"))
    }

    #[test]
    fn bodies_nested_deeper_than_the_limit_are_400() {
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        let ok = parse_json::<serde_json::Value>(nested(MAX_DEPTH).as_bytes());
        assert!(ok.is_ok());
        let (status, detail) = status_and_detail(
            parse_json::<serde_json::Value>(nested(MAX_DEPTH + 1).as_bytes()).unwrap_err(),
        );
        assert_eq!(status, 400);
        assert!(detail.contains("33 levels"), "{detail}");
        // Far beyond: serde_json's own recursion limit answers, still a 400.
        let (status, _) = status_and_detail(
            parse_json::<serde_json::Value>(nested(10_000).as_bytes()).unwrap_err(),
        );
        assert_eq!(status, 400);
    }

    #[test]
    fn syntax_errors_are_400_and_shape_errors_are_422_with_a_pointer() {
        let (status, _) = status_and_detail(parse_json::<Sample>(b"{").unwrap_err());
        assert_eq!(status, 400);
        let (status, detail) = status_and_detail(
            parse_json::<Sample>(br#"{"title":"x","items":[{"n":1},{"n":"a"}]}"#).unwrap_err(),
        );
        assert_eq!(status, 422);
        assert!(detail.contains("/items/1/n"), "{detail}");
        let (status, detail) = status_and_detail(
            parse_json::<Sample>(br#"{"title":"x","items":[],"extra":1}"#).unwrap_err(),
        );
        assert_eq!(status, 422);
        assert!(detail.contains("extra"), "{detail}");
    }

    #[test]
    fn a_member_named_twice_is_refused_wherever_it_is() {
        for body in [
            &br#"{"title":"a","title":"b"}"#[..],
            br#"{"items":[{"n":1,"n":2}]}"#,
            br#"[{"a":{"b":1,"b":1}}]"#,
        ] {
            let (status, detail) =
                status_and_detail(parse_json::<serde_json::Value>(body).unwrap_err());
            assert_eq!(status, 400);
            assert!(detail.contains("named twice"), "{detail}");
        }
        let same_name_elsewhere = br#"{"a":{"n":1},"b":{"n":2},"n":[1.5,-2,true,null]}"#;
        assert!(parse_json::<serde_json::Value>(same_name_elsewhere).is_ok());
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let current = serde_json::json!({"a": "b", "c": {"d": "e", "f": "g"}});
        let patched =
            merge_patch(current, serde_json::json!({"a": "z", "c": {"f": null}})).unwrap();
        assert_eq!(patched, serde_json::json!({"a": "z", "c": {"d": "e"}}));
    }

    #[test]
    fn merge_patch_refuses_read_only_fields() {
        assert!(merge_patch(serde_json::json!({}), serde_json::json!({"id": "x"})).is_err());
        assert!(merge_patch(serde_json::json!({}), serde_json::json!([1])).is_err());
    }

    #[test]
    fn snake_case_fields_become_camel_case_pointers() {
        assert_eq!(camel_case("job_title"), "jobTitle");
        assert_eq!(camel_case("name"), "name");
    }
}
