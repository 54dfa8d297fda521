//! Cursor pagination for every collection: opaque, tamper-evident cursors tied to the filters
//! that made them, `nextCursor` in the body and a `Link: rel="next"` header.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::domain::page::Position;
use crate::error::AppError;

/// Default and largest page sizes.
pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

/// Parameters that never change what a cursor points into.
const PAGING_PARAMETERS: [&str; 3] = ["cursor", "limit", "includeTotal"];

/// Signs and checks cursors with a key shared by every instance (kept in the database).
pub struct CursorCodec {
    /// Keyed once: each cursor starts from a copy instead of hashing the key again.
    keyed: Hmac<Sha256>,
}

#[derive(Serialize, Deserialize)]
struct CursorBody {
    /// Fingerprint of the list and filters the cursor belongs to.
    s: String,
    k: String,
    i: String,
}

impl CursorCodec {
    pub fn new(key: &[u8]) -> Self {
        CursorCodec {
            keyed: Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length"),
        }
    }

    fn mac(&self) -> Hmac<Sha256> {
        self.keyed.clone()
    }

    /// A cursor for the page after `position` in the list described by `scope`.
    pub fn encode(&self, scope: &str, position: &Position) -> String {
        let body = serde_json::to_vec(&CursorBody {
            s: fingerprint(scope),
            k: position.key.clone(),
            i: position.id.clone(),
        })
        .unwrap_or_default();
        let mut mac = self.mac();
        mac.update(&body);
        let tag = mac.finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&body),
            URL_SAFE_NO_PAD.encode(&tag[..16])
        )
    }

    /// Reads a cursor, refusing one that was altered or made for other filters.
    pub fn decode(&self, scope: &str, cursor: &str) -> Result<Position, AppError> {
        let invalid = || {
            AppError::BadRequest {
            detail: "The cursor is invalid, was altered, or belongs to a list with other filters or sort; start again without it.".into(),
            errors: vec![crate::error::FieldError::new("cursor", "invalid cursor")],
        }
        };
        let (body, tag) = cursor.split_once('.').ok_or_else(invalid)?;
        let body = URL_SAFE_NO_PAD.decode(body).map_err(|_| invalid())?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| invalid())?;
        let mut mac = self.mac();
        mac.update(&body);
        mac.verify_truncated_left(&tag).map_err(|_| invalid())?;
        let body: CursorBody = serde_json::from_slice(&body).map_err(|_| invalid())?;
        if body.s != fingerprint(scope) {
            return Err(invalid());
        }
        Ok(Position {
            key: body.k,
            id: body.i,
        })
    }
}

fn fingerprint(scope: &str) -> String {
    use sha2::Digest;
    let digest = Sha256::digest(scope.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..12])
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
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(n) => Err(AppError::BadRequest {
            detail: format!("limit must be between 1 and {MAX_LIMIT}; got {n}."),
            errors: vec![crate::error::FieldError::new(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
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
                errors: vec![crate::error::FieldError::new("sort", "unknown sort field")],
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
        $(#[$doc])*
        #[derive(serde::Serialize, utoipa::ToSchema)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            pub items: Vec<$item>,
            /// Pass as `cursor` to get the next page; absent on the last page.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub next_cursor: Option<String>,
            /// Number of items matching the filters, when `includeTotal=true`.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub total_count: Option<i64>,
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

/// Defines a list endpoint's query parameters: the paging ones every list shares, plus filters.
#[macro_export]
macro_rules! list_query {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
        #[serde(deny_unknown_fields, rename_all = "camelCase")]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            /// Page size, 1 to 100 (default 20).
            #[param(minimum = 1, maximum = 100)]
            pub limit: Option<i64>,
            /// The `nextCursor` of the previous page.
            pub cursor: Option<String>,
            /// Sort field, `-field` for descending.
            pub sort: Option<String>,
            /// Also count every matching item (`totalCount`).
            pub include_total: Option<bool>,
            $($(#[$fmeta])* pub $field: $ty,)*
        }
    };
}

/// A list request's paging, decoded and checked.
#[derive(Clone)]
pub struct Paging<S> {
    pub request: crate::domain::page::PageRequest<S>,
    pub with_total: bool,
    scope: String,
    path: String,
    query: String,
}

impl<S: Copy> Paging<S> {
    /// Checks `limit`, `sort` and `cursor` of a list request.
    pub fn new(
        request: &actix_web::HttpRequest,
        codec: &CursorCodec,
        (limit_param, cursor, sort_param, include_total): (
            Option<i64>,
            Option<&str>,
            Option<&str>,
            Option<bool>,
        ),
        sorts: &[(&str, S)],
        default_sort: S,
    ) -> Result<Self, AppError> {
        let scope = scope_of(request.path(), request.query_string());
        let (sort, descending) = sort(sort_param, sorts, default_sort)?;
        let after = cursor.map(|c| codec.decode(&scope, c)).transpose()?;
        Ok(Paging {
            request: crate::domain::page::PageRequest {
                sort,
                descending,
                after,
                limit: limit(limit_param)?,
            },
            with_total: include_total.unwrap_or(false),
            scope,
            path: request.path().to_owned(),
            query: request.query_string().to_owned(),
        })
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

    /// Answers with a page already serialized as JSON, and the `Link` header of the next page.
    pub fn respond_serialized(&self, body: Vec<u8>, next: Option<&str>) -> actix_web::HttpResponse {
        let mut response = actix_web::HttpResponse::Ok();
        if let Some(cursor) = next {
            response.insert_header((
                actix_web::http::header::LINK,
                next_link(&self.path, &self.query, cursor),
            ));
        }
        response
            .content_type(actix_web::http::header::ContentType::json())
            .body(body)
    }

    /// Cuts the extra row fetched to detect a next page, and answers with the page, its
    /// `nextCursor` and `Link` header.
    pub fn respond<T, P: Serialize>(
        self,
        codec: &CursorCodec,
        items: Vec<T>,
        position: impl Fn(&T, S) -> Position,
        page: impl FnOnce(Vec<T>, Option<String>) -> P,
    ) -> actix_web::HttpResponse {
        let (items, next) = self.cut(codec, items, position);
        match serde_json::to_vec(&page(items, next.clone())) {
            Ok(body) => self.respond_serialized(body, next.as_deref()),
            Err(e) => actix_web::HttpResponse::from_error(AppError::internal(e.to_string())),
        }
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
            let expected = serde_json::to_vec(&ValuePage {
                items,
                next_cursor: next_cursor.clone(),
                total_count,
            })
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

    #[test]
    fn cursors_round_trip_and_resist_tampering() {
        let codec = CursorCodec::new(b"key");
        let position = Position {
            key: "M-6".into(),
            id: "opp_1".into(),
        };
        let cursor = codec.encode("/v1/opportunities&sector=transport", &position);
        let back = codec
            .decode("/v1/opportunities&sector=transport", &cursor)
            .unwrap();
        assert_eq!(back.id, "opp_1");
        assert!(
            codec
                .decode("/v1/opportunities&sector=energy", &cursor)
                .is_err()
        );
        let mut altered = cursor.clone();
        altered.replace_range(0..1, if cursor.starts_with('A') { "B" } else { "A" });
        assert!(
            codec
                .decode("/v1/opportunities&sector=transport", &altered)
                .is_err()
        );
        assert!(
            CursorCodec::new(b"other")
                .decode("/v1/opportunities&sector=transport", &cursor)
                .is_err()
        );
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
