//! OC4IDS imports and CSV exports as the API shows them.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::codes;
use crate::domain::opportunities::Opportunity;

/// Options of an import.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Publish imported opportunities that are complete (otherwise they are drafts).
    #[serde(default)]
    pub publish: bool,
}

/// An OC4IDS 0.9 project package (only `projects` is read; see the OC4IDS schema for the rest).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ProjectPackage {
    /// OC4IDS projects; each needs at least `id`, `title`, `description`, `status`, `sector`,
    /// and `investdesk.engagementModels`.
    #[schema(min_items = 1, max_items = 1000, value_type = Vec<Object>)]
    projects: Vec<serde_json::Value>,
}

/// What happened to one imported project.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportResult {
    /// The project's id in the package (an id over 200 bytes is cut, marked with `…`).
    #[schema(max_length = 201)]
    pub id: String,
    /// `created`, `updated`, `unchanged` or `rejected`.
    #[schema(max_length = 16)]
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::domain::ids::OpportunityId>)]
    pub opportunity_id: Option<String>,
    /// Why the project was rejected, or what keeps it from being published.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 50, value_type = Vec<ImportError>)]
    pub errors: Vec<String>,
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    /// One entry per project, in package order.
    #[schema(max_items = 1000)]
    pub results: Vec<ImportResult>,
}

impl ImportReport {
    /// The report of `results`, counted.
    pub fn new(results: Vec<ImportResult>) -> Self {
        let count = |s: &str| results.iter().filter(|r| r.status == s).count();
        ImportReport {
            created: count("created"),
            updated: count("updated"),
            unchanged: count("unchanged"),
            rejected: count("rejected"),
            results,
        }
    }
}

pub const CSV_COLUMNS: [&str; 25] = [
    "id",
    "title",
    "listingStatus",
    "projectStatus",
    "projectStatusTitle",
    "projectType",
    "projectTypeTitle",
    "sectors",
    "sectorTitles",
    "engagementModels",
    "engagementModelTitles",
    "hostCountry",
    "hostCountryName",
    "partnerCountries",
    "estimatedCostAmount",
    "estimatedCostCurrency",
    "investmentSoughtAmount",
    "investmentSoughtCurrency",
    "eoiDeadline",
    "publicAuthorityId",
    "focalPersonId",
    "initiativeId",
    "oc4idsId",
    "updatedAt",
    "publishedAt",
];

fn csv_row(o: &Opportunity) -> Vec<String> {
    let d = &o.data.data;
    let join = |items: Vec<String>| items.join("; ");
    let title = |list: &codes::Codelist, code: &str| list.title_of(code).unwrap_or(code).to_owned();
    vec![
        o.id.to_string(),
        d.title.clone(),
        o.data.status.as_str().to_owned(),
        d.project_status.to_string(),
        title(&codes::PROJECT_STATUS, d.project_status.as_str()),
        d.project_type
            .as_ref()
            .map(|t| t.to_string())
            .unwrap_or_default(),
        d.project_type
            .as_ref()
            .map(|t| title(&codes::PROJECT_TYPE, t.as_str()))
            .unwrap_or_default(),
        join(d.sectors.iter().map(|s| s.to_string()).collect()),
        join(
            d.sectors
                .iter()
                .map(|s| title(&codes::PROJECT_SECTOR, s.as_str()))
                .collect(),
        ),
        join(
            d.engagement_models
                .iter()
                .map(|m| m.as_str().to_owned())
                .collect(),
        ),
        join(
            d.engagement_models
                .iter()
                .map(|m| m.title().to_owned())
                .collect(),
        ),
        d.host_country.to_string(),
        title(&codes::COUNTRY, d.host_country.as_str()),
        join(d.partner_countries.iter().map(|c| c.to_string()).collect()),
        d.estimated_cost
            .as_ref()
            .map(|m| m.amount())
            .unwrap_or_default(),
        d.estimated_cost
            .as_ref()
            .map(|m| m.currency().to_string())
            .unwrap_or_default(),
        d.investment_sought
            .as_ref()
            .map(|m| m.amount())
            .unwrap_or_default(),
        d.investment_sought
            .as_ref()
            .map(|m| m.currency().to_string())
            .unwrap_or_default(),
        d.eoi_deadline.map(|t| t.to_string()).unwrap_or_default(),
        d.public_authority_id
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        d.focal_person_id
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        d.initiative_id
            .as_ref()
            .map(|i| i.to_string())
            .unwrap_or_default(),
        d.oc4ids_id.clone().unwrap_or_default(),
        crate::api::utc(o.updated_at).to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        o.data
            .published_at
            .map(|t| crate::api::utc(t).to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
            .unwrap_or_default(),
    ]
}

/// CSV text of `rows`, with the header row first when `header`.
pub fn csv_bytes(header: bool, rows: &[Opportunity]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    if header {
        let _ = writer.write_record(CSV_COLUMNS);
    }
    for o in rows {
        // Cells that a spreadsheet would run as formulas are prefixed so they stay text.
        let row: Vec<String> = csv_row(o)
            .into_iter()
            .map(|cell| {
                if cell.starts_with(['=', '+', '-', '@']) {
                    format!("'{cell}")
                } else {
                    cell
                }
            })
            .collect();
        let _ = writer.write_record(&row);
    }
    writer.into_inner().unwrap_or_default()
}

/// One reason an imported project was rejected or is not publishable: `pointer: detail`.
#[derive(ToSchema)]
#[schema(value_type = String, max_length = 404)]
#[allow(dead_code)]
pub struct ImportError(String);

/// An exported OC4IDS 0.9 project package, as the document describes it: the members InvestDesk
/// writes are typed; an imported project keeps every other member of the standard, so projects
/// admit more (the OC4IDS schema describes those).
pub struct Oc4idsPackage;

impl Oc4idsPackage {
    /// The package, its project and the `investdesk` extension, as JSON Schema.
    fn schemas() -> [(&'static str, serde_json::Value); 3] {
        use serde_json::json;
        let mut extension = crate::domain::oc4ids::extension_schema();
        if let Some(object) = extension.as_object_mut() {
            // Embedded in the document: its `$id` would rebase every reference inside it.
            object.remove("$id");
            object.remove("$schema");
        }
        let objects = |description: &str| {
            json!({ "type": "array", "maxItems": 1000, "description": description,
                    "items": { "type": "object" } })
        };
        let project = json!({
            "type": "object",
            "description": "An OC4IDS 0.9 project.",
            "required": ["id"],
            "properties": {
                "id": { "type": "string", "minLength": 1, "maxLength": 200 },
                "updated": { "type": "string", "format": "date-time" },
                "title": { "type": "string", "maxLength": 300 },
                "description": { "type": "string", "maxLength": 20000 },
                "purpose": { "type": "string", "maxLength": 5000 },
                "status": { "$ref": "#/components/schemas/ProjectStatus" },
                "type": { "$ref": "#/components/schemas/ProjectType" },
                "sector": { "type": "array", "maxItems": 100, "items": { "$ref": "#/components/schemas/SectorCode" } },
                "publicAuthority": {
                    "type": "object",
                    "description": "The public authority, by its id among `parties`.",
                    "properties": {
                        "id": { "type": "string", "maxLength": 200 },
                        "name": { "type": "string", "maxLength": 500 },
                    },
                },
                "identifiers": objects("Other identifiers of the project."),
                "locations": objects("Where the project is: description, GeoJSON `geometry`, address."),
                "parties": objects("The organisations involved, with their roles, identifiers and contact points."),
                "documents": objects("Documents about the project."),
                "budget": { "type": "object", "description": "The estimated cost, as an OC4IDS value (`amount`, `currency`)." },
                "investdesk": { "$ref": "#/components/schemas/InvestdeskExtension" },
            },
        });
        let package = json!({
            "type": "object",
            "description": "An OC4IDS 0.9 project package.",
            "required": ["uri", "publishedDate", "publisher", "version", "projects"],
            "properties": {
                "uri": { "type": "string", "maxLength": 2048 },
                "version": { "type": "string", "enum": ["0.9"] },
                "publishedDate": { "type": "string", "format": "date-time" },
                "publisher": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": { "type": "string", "maxLength": 500 },
                        "scheme": { "type": "string", "maxLength": 200 },
                        "uid": { "type": "string", "maxLength": 200 },
                        "uri": { "type": "string", "maxLength": 2048 },
                    },
                },
                "projects": { "type": "array", "minItems": 1, "maxItems": 100, "items": { "$ref": "#/components/schemas/Oc4idsProject" } },
            },
        });
        [
            ("Oc4idsPackage", package),
            ("Oc4idsProject", project),
            ("InvestdeskExtension", extension),
        ]
    }
}

fn schema_of(value: serde_json::Value) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    serde_json::from_value(value).unwrap_or_else(|_| {
        utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::Object(Default::default()))
    })
}

impl utoipa::PartialSchema for Oc4idsPackage {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let [(_, package), ..] = Self::schemas();
        schema_of(package)
    }
}

impl ToSchema for Oc4idsPackage {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        for (name, schema) in Self::schemas().into_iter().skip(1) {
            schemas.push((name.to_owned(), schema_of(schema)));
        }
    }
}

#[cfg(test)]
mod package_schema_tests {
    use super::*;

    /// Each schema survives the trip into utoipa's types unchanged (nothing silently dropped).
    #[test]
    fn the_package_schemas_are_carried_into_the_document_unchanged() {
        for (name, schema) in Oc4idsPackage::schemas() {
            let carried: utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> =
                serde_json::from_value(schema.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(serde_json::to_value(carried).unwrap(), schema, "{name}");
        }
    }
}
