//! Cursor pagination for every collection: opaque, tamper-evident cursors tied to the filters
//! that made them, `nextCursor` in the body and a `Link: rel="next"` header.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::domain::page::{PageRequest, Position};
use crate::error::{AppError, FieldError};
use crate::request::{DEFAULT_PAGE, MAX_PAGE};

/// Parameters that never change what a cursor points into.
const PAGING_PARAMETERS: [&str; 3] = ["cursor", "limit", "includeTotal"];

/// The longest sort key a cursor may carry (the longest sortable field is a 300-character
/// title, up to 4 bytes a character).
const MAX_KEY: usize = 1200;

/// The longest cursor: a [`MAX_KEY`]-byte key, escaped in JSON at worst twice over, in base64
/// with its tag.
pub const MAX_CURSOR: usize = 4096;

/// Every cursor's shape: a base64url body, a dot, and the 43-character base64url HMAC-SHA256 tag.
pub const CURSOR_PATTERN: &str = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$";

/// A cursor as the document describes it (one schema, for the `cursor` and `after` parameters
/// and every `nextCursor`).
pub struct Cursor;

impl utoipa::PartialSchema for Cursor {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "An opaque, signed position in a list: valid only for the list (path, filters and sort) that produced it.",
            ))
            .min_length(Some(45))
            .max_length(Some(MAX_CURSOR))
            .pattern(Some(CURSOR_PATTERN))
            .into()
    }
}

impl utoipa::ToSchema for Cursor {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Cursor")
    }
}

/// Signs and checks cursors with a key shared by every instance (kept in the database).
#[derive(Clone)]
pub struct CursorCodec {
    /// Keyed once: each cursor starts from a copy instead of hashing the key again.
    keyed: Hmac<Sha256>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CursorBody {
    k: String,
    i: String,
}

/// What the id in a cursor must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CursorId {
    /// An id of this kind (its TypeID prefix).
    Of(&'static str),
    /// No id: the key alone orders the list (the event feed).
    None,
}

impl CursorCodec {
    pub fn new(key: &[u8]) -> Self {
        CursorCodec {
            keyed: Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length"),
        }
    }

    /// The tag of `body` in the list described by `scope`: the scope is keyed with the body, so
    /// a cursor neither names its filters nor works for others.
    fn mac(&self, scope: &str, body: &[u8]) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        mac.update(&(scope.len() as u64).to_be_bytes());
        mac.update(scope.as_bytes());
        mac.update(body);
        mac
    }

    /// A cursor for the page after `position` in the list described by `scope`.
    pub fn encode(&self, scope: &str, position: &Position) -> String {
        let body = serde_json::to_vec(&CursorBody {
            k: position.key.clone(),
            i: position.id.clone(),
        })
        .unwrap_or_default();
        let tag = self.mac(scope, &body).finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&body),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// Reads a cursor, refusing one that was altered, made for other filters, or that holds a
    /// key or id no page of this list could end at.
    pub fn decode(&self, scope: &str, cursor: &str, id: CursorId) -> Result<Position, AppError> {
        let invalid = || {
            AppError::BadRequest {
            detail: "The cursor is invalid, was altered, or belongs to a list with other filters or sort; start again without it.".into(),
            errors: vec![FieldError::new("cursor", "invalid cursor")],
        }
        };
        if cursor.len() > MAX_CURSOR {
            return Err(invalid());
        }
        let (body, tag) = cursor.split_once('.').ok_or_else(invalid)?;
        let body = URL_SAFE_NO_PAD.decode(body).map_err(|_| invalid())?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| invalid())?;
        // The whole tag, compared in constant time: no shortened tag is ever accepted.
        self.mac(scope, &body)
            .verify_slice(&tag)
            .map_err(|_| invalid())?;
        let body: CursorBody = serde_json::from_slice(&body).map_err(|_| invalid())?;
        // What text fields may hold (see `api::parse`): no control characters but line breaks
        // and tabs.
        let key_ok = body.k.len() <= MAX_KEY
            && !body
                .k
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'));
        let id_ok = match id {
            CursorId::Of(prefix) => crate::domain::ids::is_typeid_of(&body.i, prefix),
            CursorId::None => body.i.is_empty(),
        };
        if !(key_ok && id_ok) {
            return Err(invalid());
        }
        Ok(Position {
            key: body.k,
            id: body.i,
        })
    }
}

/// The filters and sort of a list request, in canonical form: its path and query parameters
/// other than the paging ones, sorted.
pub fn scope_of(path: &str, query: &str) -> String {
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| !PAGING_PARAMETERS.contains(&k.as_ref()))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    let mut scope = path.to_owned();
    for (k, v) in pairs {
        scope.push('&');
        scope.push_str(&k);
        scope.push('=');
        scope.push_str(&v);
    }
    scope
}

/// Checks a requested page size.
pub fn limit(requested: Option<i64>) -> Result<i64, AppError> {
    match requested {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(n) => Err(AppError::BadRequest {
            detail: format!("limit must be between 1 and {MAX_PAGE}; got {n}."),
            errors: vec![FieldError::new(
                "limit",
                format!("must be between 1 and {MAX_PAGE}"),
            )],
        }),
    }
}

/// Parses `sort=field` or `sort=-field` against the fields a list allows.
pub fn sort<F: Copy>(
    requested: Option<&str>,
    fields: &[(&str, F)],
    default: F,
) -> Result<(F, bool), AppError> {
    let Some(text) = requested else {
        return Ok((default, false));
    };
    let (name, descending) = match text.strip_prefix('-') {
        Some(name) => (name, true),
        None => (text, false),
    };
    fields
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| (*f, descending))
        .ok_or_else(|| {
            let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
            AppError::BadRequest {
                detail: format!(
                    "sort must be one of {} (prefix - for descending); got {text:?}.",
                    names.join(", ")
                ),
                errors: vec![FieldError::new("sort", "unknown sort field")],
            }
        })
}

/// The URL of the next page: the same path and parameters with the new cursor.
pub fn next_url(path: &str, query: &str, next_cursor: &str) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if k != "cursor" {
            serializer.append_pair(&k, &v);
        }
    }
    serializer.append_pair("cursor", next_cursor);
    format!("{path}?{}", serializer.finish())
}

/// Builds the `Link: <…>; rel="next"` value for the next page.
pub fn next_link(path: &str, query: &str, next_cursor: &str) -> String {
    format!("<{}>; rel=\"next\"", next_url(path, query, next_cursor))
}

/// Defines the page type of one resource, so the OpenAPI document names it plainly.
#[macro_export]
macro_rules! page_type {
    ($(#[$doc:meta])* $name:ident, $item:ty) => {
        $crate::page_type!($(#[$doc])* $name, $item as $item);
    };
    // `as`: the items' schema, when the item type does not describe itself.
    ($(#[$doc:meta])* $name:ident, $item:ty as $schema:ty) => {
        $(#[$doc])*
        #[derive(serde::Serialize, utoipa::ToSchema)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            #[schema(value_type = Vec<$schema>)]
            pub items: Vec<$item>,
            /// Pass as `cursor` to get the next page; absent on the last page.
            #[serde(skip_serializing_if = "Option::is_none")]
            #[schema(value_type = Option<$crate::api::pagination::Cursor>)]
            pub next_cursor: Option<String>,
            /// Number of items matching the filters, when `includeTotal=true`.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub total_count: Option<i64>,
        }

        impl $name {
            pub fn new(
                items: Vec<$item>,
                next_cursor: Option<String>,
                total_count: Option<i64>,
            ) -> Self {
                $name {
                    items,
                    next_cursor,
                    total_count,
                }
            }
        }
    };
}

/// A page as [`page_type!`] pages serialize, of items already serialized (a test checks they
/// agree): for lists that serve stored representations without parsing them.
pub fn serialized_page<'a>(
    items: impl IntoIterator<Item = &'a str>,
    next_cursor: Option<&str>,
    total_count: Option<i64>,
) -> Vec<u8> {
    let mut body = Vec::with_capacity(4096);
    body.extend_from_slice(b"{\"items\":[");
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(item.as_bytes());
    }
    body.push(b']');
    if let Some(cursor) = next_cursor {
        body.extend_from_slice(b",\"nextCursor\":");
        serde_json::to_writer(&mut body, cursor).expect("a string serializes");
    }
    if let Some(total) = total_count {
        body.extend_from_slice(format!(",\"totalCount\":{total}").as_bytes());
    }
    body.push(b'}');
    body
}

/// Defines the schema of a list's `sort` parameter, `$name`, from the list's shape `$shape`: each
/// sort field, and each with `-` for descending.
#[macro_export]
macro_rules! sort_schema {
    ($(#[$doc:meta])* $name:ident, $shape:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::api::pagination::sort_values_schema($shape.sorts)
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }
    };
}

/// The schema of a `sort` parameter: each field, and each with `-` for descending.
pub fn sort_values_schema<S>(
    sorts: &[(&'static str, S)],
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let values: Vec<String> = sorts
        .iter()
        .flat_map(|(name, _)| [name.to_string(), format!("-{name}")])
        .collect();
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some("A sort field; `-field` sorts descending."))
        .enum_values(Some(values))
        .into()
}

/// Defines a list endpoint's query parameters: the paging ones every list shares (`sort` taking
/// the values of the schema `$sort`), plus filters.
#[macro_export]
macro_rules! list_query {
    ($(#[$meta:meta])* $name:ident ($sort:ty) { $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
        #[serde(deny_unknown_fields, rename_all = "camelCase")]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            /// Page size, 1 to 100 (default 20).
            #[param(minimum = 1, maximum = 100)]
            pub limit: Option<i64>,
            /// The `nextCursor` of the previous page.
            #[param(value_type = Option<$crate::api::pagination::Cursor>)]
            pub cursor: Option<String>,
            /// Sort field, `-field` for descending.
            #[param(value_type = Option<$sort>)]
            pub sort: Option<String>,
            /// Also count every matching item (`totalCount`).
            pub include_total: Option<bool>,
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl $name {
            /// The paging parameters, for [`$crate::api::pagination::Paging::new`].
            pub fn paging(&self) -> $crate::api::pagination::PageParams<'_> {
                $crate::api::pagination::PageParams {
                    limit: self.limit,
                    cursor: self.cursor.as_deref(),
                    sort: self.sort.as_deref(),
                    include_total: self.include_total,
                }
            }
        }
    };
}

/// The paging parameters every list takes.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageParams<'a> {
    pub limit: Option<i64>,
    pub cursor: Option<&'a str>,
    pub sort: Option<&'a str>,
    pub include_total: Option<bool>,
}

/// How one list is paged: its sort fields, the default, and the kind of id its rows have.
pub struct ListShape<S: 'static> {
    pub sorts: &'static [(&'static str, S)],
    pub default: S,
    pub id: CursorId,
}

/// A list request as it arrived: where, with what query string, and its parsed parameters.
/// Services check who asks before reading the rest.
#[derive(Debug)]
pub struct ListRequest<Q> {
    pub path: String,
    pub query_string: String,
    pub query: Q,
}

impl<Q> ListRequest<Q> {
    /// Its paging, checked, for a list of `shape`.
    pub fn paging<S: Copy>(
        &self,
        codec: &CursorCodec,
        params: PageParams<'_>,
        shape: &ListShape<S>,
    ) -> Result<Paging<S>, AppError> {
        Paging::new(&self.path, &self.query_string, codec, params, shape)
    }
}

/// One page of a list, before it is cut and rendered: the rows (one more than the page when
/// there is another), how it was asked for, and the total when asked.
pub struct Listed<T, S> {
    pub paging: Paging<S>,
    pub items: Vec<T>,
    pub total: Option<i64>,
}

/// A list request's paging, decoded and checked.
#[derive(Clone)]
pub struct Paging<S> {
    pub request: PageRequest<S>,
    pub with_total: bool,
    scope: String,
    path: String,
    query: String,
}

impl<S: Copy> Paging<S> {
    /// Checks `limit`, `sort` and `cursor` of a request for `path` with query string `query`.
    pub fn new(
        path: &str,
        query: &str,
        codec: &CursorCodec,
        params: PageParams<'_>,
        shape: &ListShape<S>,
    ) -> Result<Self, AppError> {
        let scope = scope_of(path, query);
        let (sort, descending) = sort(params.sort, shape.sorts, shape.default)?;
        let after = params
            .cursor
            .map(|c| codec.decode(&scope, c, shape.id))
            .transpose()?;
        Ok(Paging {
            request: PageRequest {
                sort,
                descending,
                after,
                limit: limit(params.limit)?,
            },
            with_total: params.include_total.unwrap_or(false),
            scope,
            path: path.to_owned(),
            query: query.to_owned(),
        })
    }

    /// Refuses `includeTotal` on a list that does not count.
    pub fn without_total(self, list: &str) -> Result<Self, AppError> {
        if self.with_total {
            return Err(AppError::bad_request(format!(
                "includeTotal is not offered for {list}."
            )));
        }
        Ok(self)
    }

    /// Cuts the extra row fetched to detect a next page and encodes the next page's cursor from
    /// the last row kept.
    pub fn cut<T>(
        &self,
        codec: &CursorCodec,
        mut items: Vec<T>,
        position: impl Fn(&T, S) -> Position,
    ) -> (Vec<T>, Option<String>) {
        let limit = usize::try_from(self.request.limit).unwrap_or(usize::MAX);
        let next = if items.len() > limit {
            items.truncate(limit);
            items
                .last()
                .map(|last| codec.encode(&self.scope, &position(last, self.request.sort)))
        } else {
            None
        };
        (items, next)
    }

    /// The `Link` header value for the page after this one.
    pub fn link(&self, next_cursor: &str) -> String {
        next_link(&self.path, &self.query, next_cursor)
    }

    /// Cuts the extra row of rows that know their position, and serializes the page with its
    /// `nextCursor`.
    pub fn page_of<T: crate::domain::page::Positioned<S>, P: Serialize>(
        &self,
        codec: &CursorCodec,
        items: Vec<T>,
        page: impl FnOnce(Vec<T>, Option<String>) -> P,
    ) -> Result<(Vec<u8>, Option<String>), AppError> {
        self.page(codec, items, |t, s| t.position(s), page)
    }

    /// Cuts the extra row, and serializes the page with its `nextCursor`.
    pub fn page<T, P: Serialize>(
        &self,
        codec: &CursorCodec,
        items: Vec<T>,
        position: impl Fn(&T, S) -> Position,
        page: impl FnOnce(Vec<T>, Option<String>) -> P,
    ) -> Result<(Vec<u8>, Option<String>), AppError> {
        let (items, next) = self.cut(codec, items, position);
        let body = serde_json::to_vec(&page(items, next.clone()))
            .map_err(|e| AppError::internal(e.to_string()))?;
        Ok((body, next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::page_type!(
        /// A page to compare [`serialized_page`] with.
        ValuePage, serde_json::Value);

    #[test]
    fn a_page_of_serialized_items_is_the_page_serde_writes() {
        let items = vec![
            serde_json::json!({"id": "opp_1", "title": "M-6 \"Hyderabad\"", "n": [1.5, null]}),
            serde_json::json!({"id": "opp_2"}),
        ];
        let texts: Vec<String> = items.iter().map(|v| v.to_string()).collect();
        for (items, next_cursor, total_count) in [
            (items.clone(), Some("ab.c\"d".to_owned()), Some(42)),
            (items.clone(), None, None),
            (Vec::new(), None, Some(0)),
        ] {
            let texts = &texts[..items.len()];
            let expected =
                serde_json::to_vec(&ValuePage::new(items, next_cursor.clone(), total_count))
                    .unwrap();
            let written = serialized_page(
                texts.iter().map(String::as_str),
                next_cursor.as_deref(),
                total_count,
            );
            assert_eq!(
                String::from_utf8(written).unwrap(),
                String::from_utf8(expected).unwrap()
            );
        }
    }

    const OPP: CursorId = CursorId::Of("opp");

    fn an_opportunity() -> Position {
        Position {
            key: "M-6".into(),
            id: crate::domain::ids::OpportunityId::generate().into_string(),
        }
    }

    #[test]
    fn cursors_round_trip_and_resist_tampering() {
        let codec = CursorCodec::new(b"key");
        let position = an_opportunity();
        let scope = "/v1/opportunities&sector=transport";
        let cursor = codec.encode(scope, &position);
        assert_eq!(codec.decode(scope, &cursor, OPP).unwrap(), position);
        assert!(
            codec
                .decode("/v1/opportunities&sector=energy", &cursor, OPP)
                .is_err()
        );
        let mut altered = cursor.clone();
        altered.replace_range(0..1, if cursor.starts_with('A') { "B" } else { "A" });
        assert!(codec.decode(scope, &altered, OPP).is_err());
        assert!(
            CursorCodec::new(b"other")
                .decode(scope, &cursor, OPP)
                .is_err()
        );
        assert!(
            codec.decode(scope, &cursor, CursorId::Of("pty")).is_err(),
            "an id of another kind"
        );
    }

    /// A shortened tag is as bad as a wrong one: truncated HMACs can be guessed.
    #[test]
    fn only_the_whole_tag_is_accepted() {
        let codec = CursorCodec::new(b"key");
        let cursor = codec.encode("/v1/x", &an_opportunity());
        let (body, tag) = cursor.split_once('.').unwrap();
        let tag = URL_SAFE_NO_PAD.decode(tag).unwrap();
        assert_eq!(tag.len(), 32);
        for keep in [0, 1, 16, 31] {
            let short = format!("{body}.{}", URL_SAFE_NO_PAD.encode(&tag[..keep]));
            assert!(codec.decode("/v1/x", &short, OPP).is_err(), "{keep} bytes");
        }
    }

    /// A cursor signed with the right key but holding what no page ends at (a NUL, a control
    /// character, an id of the wrong shape) is refused like a forged one.
    #[test]
    fn well_signed_cursors_with_malformed_contents_are_refused() {
        let codec = CursorCodec::new(b"key");
        let good = an_opportunity();
        for position in [
            Position {
                key: "a\0b".into(),
                ..good.clone()
            },
            Position {
                key: "bell\u{7}".into(),
                ..good.clone()
            },
            Position {
                key: "x".repeat(MAX_KEY + 1),
                ..good.clone()
            },
            Position {
                key: "M-6".into(),
                id: "opp_\0".into(),
            },
            Position {
                key: "M-6".into(),
                id: "pty_01jd8x3v5ffd2b6jq4w5k9h8zq".into(),
            },
        ] {
            let cursor = codec.encode("/v1/x", &position);
            assert!(codec.decode("/v1/x", &cursor, OPP).is_err(), "{position:?}");
        }
        let feed = codec.encode(
            "/v1/events",
            &Position {
                key: "42".into(),
                id: String::new(),
            },
        );
        assert!(codec.decode("/v1/events", &feed, CursorId::None).is_ok());
        assert!(codec.decode("/v1/events", &feed, OPP).is_err());
    }

    #[test]
    fn the_scope_ignores_paging_parameters_and_order() {
        assert_eq!(
            scope_of("/v1/x", "b=2&limit=5&a=1&cursor=zz"),
            scope_of("/v1/x", "a=1&b=2&includeTotal=true")
        );
    }

    #[test]
    fn limits_outside_the_range_are_refused() {
        assert_eq!(limit(None).unwrap(), 20);
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(101)).is_err());
        assert_eq!(limit(Some(100)).unwrap(), 100);
    }
}
