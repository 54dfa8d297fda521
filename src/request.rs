//! What every layer may know about a request: its context (id and path) and the limits every
//! request is held to. Nothing here knows HTTP framing or the database.

/// The request a piece of work is done for: its id (in `X-Request-Id`, every log line and every
/// problem body) and its path (a problem's `instance`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    pub id: String,
    pub path: String,
}

/// The largest JSON body accepted (imports excepted).
pub const JSON_LIMIT: usize = 64 * 1024;

/// The largest body an OC4IDS import accepts unless configured otherwise.
pub const IMPORT_LIMIT: usize = 4 * 1024 * 1024;

/// The deepest nesting of arrays and objects a body may have (no document of ours needs more
/// than a few levels; serde_json itself stops at 128).
pub const MAX_DEPTH: usize = 32;

/// Default and largest page sizes of every list.
pub const DEFAULT_PAGE: i64 = 20;
pub const MAX_PAGE: i64 = 100;

/// The longest value one query parameter may have (a cursor is the longest the API makes).
pub const MAX_QUERY_VALUE: usize = 4096;

/// How often one query parameter may be repeated (`?sector=a&sector=b…`).
pub const MAX_QUERY_REPEATS: usize = 50;

/// The longest `If-Match` / `If-None-Match` accepted (a list of tags).
pub const MAX_CONDITION: usize = 1024;

/// The longest `Idempotency-Key` accepted.
pub const MAX_IDEMPOTENCY_KEY: usize = 255;

/// The most field errors one problem lists; beyond it the detail says how many more there were
/// (a hostile request can name thousands of bad fields, and each would cost the answer bytes).
pub const MAX_FIELD_ERRORS: usize = 50;
