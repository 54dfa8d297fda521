//! Health probes' answers.

use serde::Serialize;
use utoipa::ToSchema;

/// Health of the process or its dependencies.
#[derive(Serialize, ToSchema)]
pub struct HealthResponse {
    /// `ok` when healthy.
    #[schema(example = "ok")]
    pub status: &'static str,
}
