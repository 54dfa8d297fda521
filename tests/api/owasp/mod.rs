//! The OWASP API Security Top 10 (2023), one module per item, black-box over HTTP on both
//! backends. Each test prints what it tried, for the CI log.
//!
//! - API1 broken object-level authorisation: `api1_object_level`
//! - API2 broken authentication: `api2_authentication` (and `api_keys`, `limits`)
//! - API3 broken object-property-level authorisation: `api3_property_level`
//! - API4 unrestricted resource consumption: `api4_resource_consumption` (and `limits`)
//! - API5 broken function-level authorisation: `api5_function_level`
//! - API6 unrestricted access to sensitive business flows: `api6_business_flows`
//! - API7 server-side request forgery: `api7_ssrf`
//! - API8 security misconfiguration: `api8_misconfiguration`
//! - API9 improper inventory management: `api9_inventory`
//! - API10 unsafe consumption of APIs: `api10_unsafe_consumption`

mod api10_unsafe_consumption;
mod api1_object_level;
mod api2_authentication;
mod api3_property_level;
mod api4_resource_consumption;
mod api5_function_level;
mod api6_business_flows;
mod api7_ssrf;
mod api8_misconfiguration;
mod api9_inventory;

use serde_json::{Value, json};

use crate::helpers::{As, TestApp, spawn_app_with};

/// Text only officers may ever see; no response to anyone else may contain it.
pub const CANARY: &str = "CANARY-officers-only-7f3a";

/// Two investors, A and B, and what each owns, with officer-only text on A's interest.
pub struct World {
    pub app: TestApp,
    /// Investor A's key, its id and its party.
    pub a: String,
    pub a_key_id: String,
    pub a_party: String,
    /// Investor B's key and party.
    pub b: String,
    pub b_party: String,
    pub authority: String,
    pub focal: String,
    pub initiative: String,
    pub published: String,
    pub draft: String,
    pub a_interest: String,
    pub a_webhook: String,
}

impl World {
    pub async fn build() -> World {
        let app = spawn_app_with(|s| s.webhook_allow_private = true).await;
        let a_party = app
            .create_party("Government of Azerbaijan", "government", "AZ")
            .await;
        let b_party = app
            .create_party("Türkiye Wealth Fund", "company", "TR")
            .await;
        let key =
            |party: &str, name: &str| json!({"name": name, "role": "investor", "partyId": party});
        let issued: Value = app
            .post("/v1/api-keys", app.admin(), &key(&a_party, "investor A"))
            .await
            .json()
            .await
            .unwrap();
        let (a, a_key_id) = (
            issued["key"].as_str().unwrap().to_owned(),
            issued["id"].as_str().unwrap().to_owned(),
        );
        let issued: Value = app
            .post("/v1/api-keys", app.admin(), &key(&b_party, "investor B"))
            .await
            .json()
            .await
            .unwrap();
        let b = issued["key"].as_str().unwrap().to_owned();
        let (authority, focal) = app.authority_and_focal_person().await;
        let initiative = app
            .create("/v1/initiatives", &json!({"name": "Trilateral corridor"}))
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let published = app.published(&app.m6(&authority, &focal)).await;
        let draft = app
            .create("/v1/opportunities", &app.m6(&authority, &focal))
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let created = app
            .post(
                &format!("/v1/opportunities/{published}/interests"),
                As::Key(&a),
                &json!({"engagementModel": "g2g", "message": "Keen to co-finance"}),
            )
            .await;
        assert_eq!(created.status(), 201);
        let a_interest = created.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let noted = app
            .patch(
                &format!("/v1/interests/{a_interest}"),
                app.officer(),
                &json!({"notes": format!("{CANARY}: sovereign guarantee still unclear")}),
            )
            .await;
        assert_eq!(noted.status(), 200);
        let hook = app
            .post(
                "/v1/webhooks",
                As::Key(&a),
                &json!({"url": "http://127.0.0.1:9/a-hook"}),
            )
            .await;
        assert_eq!(hook.status(), 201);
        let a_webhook = hook.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        World {
            app,
            a,
            a_key_id,
            a_party,
            b,
            b_party,
            authority,
            focal,
            initiative,
            published,
            draft,
            a_interest,
            a_webhook,
        }
    }

    /// The documented operations, as (METHOD, template), from the served document.
    pub async fn operations(&self) -> Vec<(String, String)> {
        let document: Value = self
            .app
            .get("/openapi.json", As::Anonymous)
            .await
            .json()
            .await
            .unwrap();
        let mut operations = Vec::new();
        for (template, item) in document["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                    operations.push((method.to_uppercase(), template.clone()));
                }
            }
        }
        operations
    }

    /// A concrete path for `template`, naming A's objects (or public ones).
    pub fn path(&self, template: &str) -> String {
        let id = if template.starts_with("/v1/opportunities/") {
            &self.published
        } else if template.starts_with("/v1/interests/") {
            &self.a_interest
        } else if template.starts_with("/v1/webhooks/") {
            &self.a_webhook
        } else if template.starts_with("/v1/parties/") {
            &self.a_party
        } else if template.starts_with("/v1/people/") {
            &self.focal
        } else if template.starts_with("/v1/initiatives/") {
            &self.initiative
        } else if template.starts_with("/v1/api-keys/") {
            &self.a_key_id
        } else {
            "projectSector"
        };
        template.replace("{id}", id).replace("{name}", id)
    }
}

/// The property names of a schema in `document`, following `$ref` and `allOf`.
pub fn properties(document: &Value, schema: &Value) -> Vec<String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap();
        return properties(document, &document["components"]["schemas"][name]);
    }
    let mut names: Vec<String> = schema["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        names.extend(properties(document, part));
    }
    names
}
