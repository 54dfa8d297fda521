//! The answer to a POST: what is sent, and what is kept for an idempotent retry of it.

use serde::Serialize;

use crate::error::AppError;

/// A POST's answer: status, the headers that belong to it, and the JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    /// The created resource's URL (`Location`).
    pub location: Option<String>,
    /// The resource's version tag (`ETag`).
    pub etag: Option<String>,
    /// The JSON body.
    pub body: Vec<u8>,
    /// Whether this is the stored answer to an earlier request with the same key.
    pub replayed: bool,
}

impl Reply {
    fn json<T: Serialize>(status: u16, body: &T) -> Result<Self, AppError> {
        Ok(Reply {
            status,
            location: None,
            etag: None,
            body: serde_json::to_vec(body).map_err(|e| AppError::internal(e.to_string()))?,
            replayed: false,
        })
    }

    /// 201 with the new resource at `location`, at `version` when it has one.
    pub fn created<T: Serialize>(
        location: String,
        version: Option<i32>,
        body: &T,
    ) -> Result<Self, AppError> {
        let mut reply = Reply::json(201, body)?;
        reply.location = Some(location);
        reply.etag = version.map(super::etag);
        Ok(reply)
    }

    /// 200 with the resource at `version`, when it has one.
    pub fn ok<T: Serialize>(version: Option<i32>, body: &T) -> Result<Self, AppError> {
        let mut reply = Reply::json(200, body)?;
        reply.etag = version.map(super::etag);
        Ok(reply)
    }
}

/// A POST's `Idempotency-Key`, with the fingerprint of the request first sent under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    pub key: String,
    /// SHA-256 (hex) of the method, path, query, content type and body.
    pub fingerprint: String,
}

/// Which answer is being built: the first one shows any secret the request created; the one
/// kept for retries never holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    First,
    Kept,
}
