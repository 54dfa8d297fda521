//! API9 improper inventory management: the document is the inventory. Every documented
//! operation is served, and nothing else is: common undocumented, old-version and debugging
//! paths are plain 404s. (`/openapi.json` and `/docs/` serve the document itself.)

use reqwest::Method;

use super::World;
use crate::helpers::problem;

const UNDOCUMENTED: [&str; 18] = [
    "/admin",
    "/debug",
    "/debug/pprof",
    "/v0/opportunities",
    "/v2/opportunities",
    "/api/opportunities",
    "/api/v1/opportunities",
    "/.env",
    "/.git/config",
    "/actuator/health",
    "/server-status",
    "/graphql",
    "/console",
    "/swagger.json",
    "/v1/users",
    "/v1/opportunities.json",
    "/v1/admin/api-keys",
    "/metrics/raw",
];

#[actix_web::test]
async fn every_documented_operation_is_served_and_nothing_undocumented_is() {
    let world = World::build().await;
    let app = &world.app;
    let mut served = 0;
    for (method, template) in world.operations().await {
        let path = world.path(&template);
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let body = matches!(method, Method::POST | Method::PATCH).then(|| serde_json::json!({}));
        let response = app
            .send(method.clone(), &path, app.admin(), body.as_ref())
            .await;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert!(
            status != 405 && !text.contains("routeNotFound") && status < 500,
            "{method} {template} is documented but not served: {status} {text}"
        );
        served += 1;
    }
    for path in UNDOCUMENTED {
        for method in [Method::GET, Method::POST] {
            let response = app.send(method, path, app.admin(), None).await;
            let body = problem(response, 404).await;
            assert_eq!(body["code"], "routeNotFound", "{path}");
        }
    }
    report!(
        "owasp API9: {served} documented operations served; {} undocumented paths are 404",
        UNDOCUMENTED.len()
    );
}
