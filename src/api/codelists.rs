//! Codelists as the API shows them.

use serde::Serialize;
use utoipa::ToSchema;

/// The names of the available codelists.
#[derive(Serialize, ToSchema)]
pub struct CodelistIndex {
    /// Names accepted by `GET /v1/codelists/{name}`.
    #[schema(example = json!(["projectSector", "engagementModel"]))]
    pub items: Vec<&'static str>,
}
