//! The request headers operations read, as parameters of the OpenAPI document: a generated
//! client can send them only if the document declares them.

use utoipa::IntoParams;

/// `Idempotency-Key`, read by every POST.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IdempotencyKeyHeader {
    /// Makes the POST safe to retry: a retry with the same key and body within 24 hours gets the
    /// first answer again (`Idempotent-Replayed: true`, without any secret it showed); the same
    /// key with another body is a 422; a retry while the first is running is a 409. Scoped to
    /// the API key.
    #[param(
        rename = "Idempotency-Key",
        required = false,
        min_length = 1,
        max_length = 255,
        pattern = r"^[!-~]+$"
    )]
    idempotency_key: String,
}

/// `If-Match`, read by every PATCH and DELETE of a versioned resource.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IfMatchHeader {
    /// Changes the resource only if its `ETag` is one of these strong tags (or `*`); otherwise
    /// 412. Without it, the change applies to whatever version is current.
    #[param(rename = "If-Match", required = false, example = "\"3\"")]
    if_match: String,
}

/// `If-None-Match`, read by every GET of a versioned resource.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IfNoneMatchHeader {
    /// A 304 without a body when the resource's `ETag` is one of these tags (or `*`).
    #[param(rename = "If-None-Match", required = false, example = "\"3\"")]
    if_none_match: String,
}
