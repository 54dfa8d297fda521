//! Health probes' answers.

use serde::Serialize;
use utoipa::ToSchema;

/// Health of the process or its dependencies.
#[derive(Serialize, ToSchema)]
pub struct HealthResponse {
    /// `ok` when healthy.
    #[schema(max_length = 16, example = "ok")]
    pub status: &'static str,
}
