//! Codelists as the API shows them.

use serde::Serialize;
use utoipa::ToSchema;

/// The names of the available codelists.
#[derive(Serialize, ToSchema)]
pub struct CodelistIndex {
    /// Names accepted by `GET /v1/codelists/{name}`.
    #[schema(value_type = Vec<crate::api::codelists::CodelistName>, max_items = 64, example = json!(["projectSector", "engagementModel"]))]
    pub items: Vec<&'static str>,
}

/// The name of a codelist (the document lists them all).
pub struct CodelistName;

impl utoipa::PartialSchema for CodelistName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(crate::domain::codes::CODELIST_NAMES.iter().copied()))
            .into()
    }
}

impl utoipa::ToSchema for CodelistName {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("CodelistName")
    }
}

/// The entries of one codelist: as many as the longest codelist has, at most.
pub struct CodelistEntries;

impl utoipa::PartialSchema for CodelistEntries {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use crate::domain::codes::{CODELIST_NAMES, CodeEntry, codelist};
        use utoipa::openapi::schema::ArrayBuilder;
        let longest = CODELIST_NAMES
            .iter()
            .filter_map(|name| codelist(name))
            .map(|list| list.entries.len())
            .max()
            .unwrap_or_default();
        ArrayBuilder::new()
            .items(utoipa::openapi::Ref::from_schema_name(
                <CodeEntry as utoipa::ToSchema>::name(),
            ))
            .max_items(Some(longest))
            .into()
    }
}

impl utoipa::ToSchema for CodelistEntries {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("CodelistEntries")
    }
}
