//! API7 server-side request forgery: webhook targets are the only URLs the service fetches.
//! Private, loopback, link-local (cloud metadata) and disguised addresses, credentials in the
//! URL and non-https schemes are refused when a webhook is created or changed, and checked
//! again on the resolved address at delivery; redirects are never followed.

use serde_json::{Value, json};

use crate::helpers::{pointers, problem, spawn_app};

const TARGETS: [&str; 21] = [
    "http://127.0.0.1:8080/hook",
    "https://127.0.0.1/hook",
    "https://localhost/hook",
    "https://10.0.0.8/hook",
    "https://172.16.5.4/hook",
    "https://192.168.1.20/hook",
    "https://169.254.169.254/latest/meta-data",
    "https://[::1]/hook",
    "https://[fd00::1]/hook",
    "https://[fe80::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://0.0.0.0/hook",
    "https://2130706433/hook",
    "https://0x7f.0.0.1/hook",
    "https://0177.0.0.1/hook",
    "https://100.64.0.1/hook",
    "https://user:pass@8.8.8.8/hook",
    "ftp://8.8.8.8/hook",
    "file:///etc/passwd",
    "gopher://8.8.8.8:70/_x",
    "not a url",
];

#[actix_web::test]
async fn webhook_targets_off_the_public_internet_are_refused_on_create_and_patch() {
    let app = spawn_app().await;
    for url in TARGETS {
        let body = problem(
            app.post("/v1/webhooks", app.officer(), &json!({"url": url}))
                .await,
            422,
        )
        .await;
        assert_eq!(pointers(&body), ["/url"], "{url}");
    }
    // An existing webhook cannot be pointed at them either.
    let hook = app
        .create("/v1/webhooks", &json!({"url": "https://8.8.8.8/hook"}))
        .await;
    let path = format!("/v1/webhooks/{}", hook["id"].as_str().unwrap());
    for url in TARGETS {
        let response = app.patch(&path, app.officer(), &json!({"url": url})).await;
        let body = problem(response, 422).await;
        assert_eq!(pointers(&body), ["/url"], "{url}");
    }
    let kept: Value = app.get(&path, app.officer()).await.json().await.unwrap();
    assert_eq!(kept["url"], "https://8.8.8.8/hook");
    let list: Value = app
        .get("/v1/webhooks?includeTotal=true", app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["totalCount"], 1);
    report!(
        "owasp API7: {} SSRF targets refused on create and on patch, 0 stored",
        TARGETS.len()
    );
}
