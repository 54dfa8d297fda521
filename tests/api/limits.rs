//! Limits: rate limits per address, per key and for failed authentication (429 with
//! Retry-After), and timeouts that stop a slow client from holding the server.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use investdesk::config::LimitSettings;
use reqwest::StatusCode;

use crate::helpers::{As, TestApp, problem, spawn_app_with};

fn limits(adjust: impl FnOnce(&mut LimitSettings)) -> LimitSettings {
    let mut limits = LimitSettings::default().unlimited();
    adjust(&mut limits);
    limits
}

async fn retry_after(app: &TestApp, path: &str, who: As<'_>, forwarded: Option<&str>) -> u64 {
    let mut request = app.client.get(app.url(path));
    if let As::Key(key) = who {
        request = request.bearer_auth(key);
    }
    if let Some(client) = forwarded {
        request = request.header("x-forwarded-for", client);
    }
    let response = request.send().await.unwrap();
    let seconds = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .expect("a 429 carries Retry-After in whole seconds");
    let body = problem(response, 429).await;
    assert_eq!(body["code"], "rateLimited");
    seconds
}

#[actix_web::test]
async fn a_client_over_its_address_budget_gets_429_with_retry_after_and_probes_still_answer() {
    let app = spawn_app_with(|s| {
        s.limits = limits(|l| {
            l.rate_limit_per_address = 5;
            l.rate_limit_address_burst = 5;
        })
    })
    .await;
    for _ in 0..5 {
        let response = app.get("/v1/opportunities", As::Anonymous).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(
        retry_after(&app, "/v1/opportunities", As::Anonymous, None).await,
        1
    );
    // A key does not escape the address's budget, and nothing was done for the refused call.
    let refused = app.get("/v1/parties", app.officer()).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    // Load balancers and scrapers are never refused.
    for path in ["/healthz", "/readyz", "/metrics"] {
        assert_eq!(app.get(path, As::Anonymous).await.status(), StatusCode::OK);
    }
    // The budget refills at the sustained rate: one request per 200 ms.
    actix_web::rt::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(
        app.get("/v1/opportunities", As::Anonymous).await.status(),
        StatusCode::OK
    );
    report!("limits: address budget 5, 2 requests refused with 429, probes unaffected");
}

/// The `RateLimit-Policy` and `RateLimit` headers of a response, as text.
fn rate_limit_headers(response: &reqwest::Response) -> (String, String) {
    let text = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    (text("ratelimit-policy"), text("ratelimit"))
}

#[actix_web::test]
async fn every_answer_says_where_the_client_stands_in_each_budget_down_to_the_429() {
    let app = spawn_app_with(|s| {
        s.cors_origins = vec!["https://portal.example.org".into()];
        s.limits = limits(|l| {
            l.rate_limit_per_address = 5;
            l.rate_limit_address_burst = 4;
            l.rate_limit_per_key = 2;
            l.rate_limit_key_burst = 2;
        })
    })
    .await;
    let anonymous = app.get("/v1/opportunities", As::Anonymous).await;
    assert_eq!(
        rate_limit_headers(&anonymous),
        (
            "\"address\";q=4;w=1".to_owned(),
            "\"address\";r=3;t=1".to_owned()
        )
    );
    // A request with a key spends from both budgets and hears about both.
    let officer = app.get("/v1/parties", app.officer()).await;
    assert_eq!(officer.status(), StatusCode::OK);
    assert_eq!(
        rate_limit_headers(&officer),
        (
            "\"address\";q=4;w=1, \"key\";q=2;w=1".to_owned(),
            "\"address\";r=2;t=1, \"key\";r=1;t=1".to_owned()
        )
    );
    let officer = app.get("/v1/parties", app.officer()).await;
    assert_eq!(
        rate_limit_headers(&officer).1,
        "\"address\";r=1;t=1, \"key\";r=0;t=1"
    );
    // The key's budget is spent: the 429 says so, with Retry-After.
    let refused = app.get("/v1/parties", app.officer()).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    assert!(
        rate_limit_headers(&refused).1.ends_with("\"key\";r=0;t=1"),
        "{:?}",
        rate_limit_headers(&refused)
    );
    // The address's too, for anyone from it.
    let refused = app.get("/v1/opportunities", As::Anonymous).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(rate_limit_headers(&refused).1, "\"address\";r=0;t=1");
    // Probes spend from no budget and say nothing about one.
    let probe = app.get("/healthz", As::Anonymous).await;
    assert_eq!(rate_limit_headers(&probe), (String::new(), String::new()));
    // A browser on an allowed origin may read them.
    let cors = app
        .client
        .get(app.url("/v1/codelists"))
        .header("origin", "https://portal.example.org")
        .send()
        .await
        .unwrap();
    let exposed = cors
        .headers()
        .get("access-control-expose-headers")
        .unwrap()
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    let exposed: Vec<&str> = exposed.split(',').map(str::trim).collect();
    for name in ["ratelimit", "ratelimit-policy", "retry-after"] {
        assert!(exposed.contains(&name), "{name} not in {exposed:?}");
    }
}

#[actix_web::test]
async fn a_key_over_its_budget_gets_429_while_other_keys_carry_on() {
    let app = spawn_app_with(|s| {
        s.limits = limits(|l| {
            l.rate_limit_per_key = 2;
            l.rate_limit_key_burst = 3;
        })
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            app.get("/v1/parties", app.officer()).await.status(),
            StatusCode::OK
        );
    }
    let wait = retry_after(&app, "/v1/parties", app.officer(), None).await;
    assert_eq!(wait, 1, "one request every 500 ms");
    assert_eq!(
        app.get("/v1/parties", app.admin()).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get("/v1/opportunities", As::Anonymous).await.status(),
        StatusCode::OK
    );
}

#[actix_web::test]
async fn failed_authentication_is_limited_far_more_strictly_even_for_a_good_key() {
    let app = spawn_app_with(|s| {
        s.limits = limits(|l| {
            l.auth_failures_per_minute = 3;
            l.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        })
    })
    .await;
    let attacker = Some("203.0.113.66");
    let send = |key: &str, from: Option<&str>| {
        let mut request = app.client.get(app.url("/v1/parties")).bearer_auth(key);
        if let Some(client) = from {
            request = request.header("x-forwarded-for", client);
        }
        request.send()
    };
    for guess in 0..3 {
        let response = send(&format!("idk_guess{guess}"), attacker).await.unwrap();
        problem(response, 401).await;
    }
    // The budget is spent: more guesses, and even a valid key, from that address are refused
    // without the key being looked at, for the 20 s it takes one failure to refill.
    let wait = retry_after(&app, "/v1/parties", As::Key("idk_guess4"), attacker).await;
    assert!((19..=20).contains(&wait), "{wait}");
    let wait = retry_after(&app, "/v1/parties", app.officer(), attacker).await;
    assert!((19..=20).contains(&wait), "{wait}");
    // The same address without credentials, and another client behind the same proxy, are
    // unaffected.
    let anonymous = app
        .client
        .get(app.url("/v1/opportunities"))
        .header("x-forwarded-for", "203.0.113.66")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::OK);
    let other = send(&app.officer, Some("203.0.113.67")).await.unwrap();
    assert_eq!(other.status(), StatusCode::OK);
    // Successful requests never spend from the failure budget.
    for _ in 0..10 {
        let ok = send(&app.officer, Some("203.0.113.68")).await.unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
    }
}

#[actix_web::test]
async fn a_forged_forwarded_for_does_not_escape_the_limit_without_a_trusted_proxy() {
    let app = spawn_app_with(|s| s.limits = limits(|l| l.auth_failures_per_minute = 2)).await;
    for n in 0..2 {
        let response = app
            .client
            .get(app.url("/v1/parties"))
            .bearer_auth("idk_wrong")
            .header("x-forwarded-for", format!("198.51.100.{n}"))
            .send()
            .await
            .unwrap();
        problem(response, 401).await;
    }
    retry_after(&app, "/v1/parties", app.officer(), Some("198.51.100.200")).await;
}

/// Opens a raw connection and sends `bytes` without finishing the request.
fn half_request(port: u16, bytes: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.write_all(bytes).expect("send");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
}

/// What the server says before it closes a held connection (empty when it just closes).
fn answer(mut stream: TcpStream) -> String {
    let mut buffer = Vec::new();
    let _ = stream.read_to_end(&mut buffer);
    String::from_utf8_lossy(&buffer).into_owned()
}

#[actix_web::test]
async fn slow_clients_are_cut_off_and_cannot_hold_the_server() {
    let app = spawn_app_with(|s| {
        s.limits = limits(|l| {
            l.client_request_timeout_ms = 500;
            l.client_body_timeout_ms = 500;
        })
    })
    .await;
    let port: u16 = app.address.rsplit(':').next().unwrap().parse().unwrap();
    let officer = app.officer.clone();
    // 40 clients that never finish their headers, and 40 that never finish their body.
    let started = Instant::now();
    let slow: Vec<_> = (0..80)
        .map(|n| {
            let officer = officer.clone();
            std::thread::spawn(move || {
                let request = if n % 2 == 0 {
                    "GET /v1/opportunities HTTP/1.1\r\nHost: 127.0.0.1\r\n".to_owned()
                } else {
                    format!(
                        "POST /v1/parties HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {officer}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\":"
                    )
                };
                let stream = half_request(port, request.as_bytes());
                (n, answer(stream))
            })
        })
        .collect();
    // Meanwhile everyone else is served at once.
    actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    for _ in 0..20 {
        let response = app.get("/v1/opportunities", As::Anonymous).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let served_while_held = started.elapsed();
    let mut timed_out = 0;
    for handle in slow {
        let (n, answer) = handle.join().unwrap();
        if n % 2 == 0 {
            // Headers never came: actix answers 408 (or just closes) after the request timeout.
            assert!(
                answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
                "{answer}"
            );
        } else {
            assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
            assert!(answer.contains("application/problem+json"), "{answer}");
            assert!(answer.contains("requestTimeout"), "{answer}");
        }
        timed_out += 1;
    }
    let all_cut = started.elapsed();
    assert!(all_cut < Duration::from_secs(4), "{all_cut:?}");
    // The half-sent POSTs created nothing.
    let parties: serde_json::Value = app
        .get("/v1/parties", app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(parties["items"].as_array().unwrap().len(), 0);
    report!(
        "limits: {timed_out} slow clients cut off within {all_cut:?}; 20 other requests served in {served_while_held:?} meanwhile"
    );
}

#[actix_web::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let app = spawn_app_with(|s| s.limits = limits(|l| l.keep_alive_secs = 1)).await;
    let port: u16 = app.address.rsplit(':').next().unwrap().parse().unwrap();
    // Raw sockets block, so they run off the test's runtime (which also drives the server).
    let idle = actix_web::rt::task::spawn_blocking(move || {
        let mut stream = half_request(port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).unwrap();
        assert_eq!(&head, b"HTTP/1.1 200");
        let opened = Instant::now();
        // Reading to the end returns only when the server closes the idle connection.
        answer(stream);
        opened.elapsed()
    })
    .await
    .unwrap();
    assert!(
        idle >= Duration::from_millis(900) && idle < Duration::from_secs(4),
        "closed after {idle:?}"
    );
}

#[actix_web::test]
async fn the_import_limit_is_configurable_and_other_bodies_stay_at_64_kib() {
    let projects: Vec<serde_json::Value> = (0..500)
        .map(|n| serde_json::json!({"id": format!("p{n}"), "title": "x".repeat(200)}))
        .collect();
    let package = serde_json::json!({"projects": projects});
    assert!(package.to_string().len() > 90 * 1024);
    let small = spawn_app_with(|s| s.limits.import_limit_bytes = 65_536).await;
    let body = problem(
        small
            .post("/v1/imports/oc4ids", small.officer(), &package)
            .await,
        413,
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("65536"), "{body}");
    let default = spawn_app_with(|_| {}).await;
    let answer = default
        .post("/v1/imports/oc4ids", default.officer(), &package)
        .await;
    assert_ne!(answer.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let party =
        serde_json::json!({"name": "x".repeat(90 * 1024), "kind": "company", "country": "AE"});
    problem(
        default.post("/v1/parties", default.officer(), &party).await,
        413,
    )
    .await;
}
