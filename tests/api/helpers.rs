//! Spawning the server with a fresh database, and typed helpers for scenarios.

use std::io::{Read, Write};
use std::time::Duration;

use diesel::{Connection, PgConnection, RunQueryDsl};
use investdesk::config::ServeSettings;
use investdesk::domain::api_keys::NewApiKey;
use investdesk::domain::codes::Role;
use investdesk::domain::ids::PartyId;
use investdesk::persistence::{Database, DatabaseUrl};
use investdesk::startup::Application;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

/// A database made for one test, removed when the test ends.
pub enum TestDb {
    Sqlite {
        _dir: tempfile::TempDir,
        path: String,
    },
    Postgres {
        server: String,
        name: String,
    },
}

impl TestDb {
    /// A fresh database for one test.
    pub fn create_for_test() -> Self {
        Self::create()
    }

    fn create() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(server) if !server.is_empty() => {
                investdesk::persistence::connection::prepare_tls();
                let name = format!("investdesk_test_{}", uuid::Uuid::now_v7().simple());
                let mut conn = PgConnection::establish(&server).unwrap_or_else(|e| {
                    panic!("TEST_DATABASE_URL is set but PostgreSQL is unreachable: {e}")
                });
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .expect("create test database");
                TestDb::Postgres { server, name }
            }
            _ => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("test.db").to_string_lossy().into_owned();
                TestDb::Sqlite { _dir: dir, path }
            }
        }
    }

    /// Removes a PostgreSQL database under the running server, as an outage would.
    pub fn drop_now(&self) -> bool {
        let TestDb::Postgres { server, name } = self else {
            return false;
        };
        let mut conn = PgConnection::establish(server).expect("connect");
        diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)"))
            .execute(&mut conn)
            .expect("drop database");
        true
    }

    pub fn url(&self) -> DatabaseUrl {
        match self {
            TestDb::Sqlite { path, .. } => DatabaseUrl::Sqlite(path.clone()),
            TestDb::Postgres { server, name } => {
                let mut url = url::Url::parse(server).expect("TEST_DATABASE_URL is a URL");
                url.set_path(name);
                DatabaseUrl::Postgres(url.to_string())
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { server, name } = self
            && let Ok(mut conn) = PgConnection::establish(server)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

/// A running server and keys for each role.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub admin: String,
    pub officer: String,
    pub db: TestDb,
}

/// Who sends a request.
#[derive(Clone, Copy, Debug)]
pub enum As<'a> {
    Anonymous,
    Key(&'a str),
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the server with adjusted settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut ServeSettings)) -> TestApp {
    let db = TestDb::create();
    let mut settings = ServeSettings::new(db.url(), "127.0.0.1:0");
    settings.workers = Some(2);
    // Tests send far faster than any client; the suites about limits set their own.
    settings.limits = settings.limits.clone().unlimited();
    adjust(&mut settings);
    let app = Application::build(settings).expect("server builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    let admin = issue_key(&db, Role::Admin, None);
    let officer = issue_key(&db, Role::Officer, None);
    TestApp {
        address,
        client: reqwest::Client::new(),
        admin,
        officer,
        db,
    }
}

/// Runs `work` on a connection to the test's database, opened as the service opens its own
/// (with its session settings).
pub fn on_database<T>(
    db: &TestDb,
    work: impl FnOnce(&mut investdesk::persistence::DbConnection) -> T,
) -> T {
    let database = Database::open(
        db.url(),
        &investdesk::config::DatabaseSettings::for_url(db.url()).pool_options(),
    )
    .expect("open the test database");
    work(&mut database.get().expect("a connection"))
}

/// Issues a key straight in the database, as `investdesk api-keys create` does.
pub fn issue_key(db: &TestDb, role: Role, party: Option<&str>) -> String {
    on_database(db, |conn| {
        investdesk::services::api_keys::issue(
            conn,
            NewApiKey {
                name: format!("{role} test key"),
                role,
                party_id: party.map(|p| PartyId::parse(p).expect("party id")),
                expires_at: None,
            },
        )
        .unwrap_or_else(|e| panic!("issue key: {e}"))
        .secret
    })
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        who: As<'_>,
        body: Option<&Value>,
    ) -> Response {
        let mut request = self.client.request(method, self.url(path));
        if let As::Key(key) = who {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str, who: As<'_>) -> Response {
        self.send(Method::GET, path, who, None).await
    }

    pub async fn post(&self, path: &str, who: As<'_>, body: &Value) -> Response {
        self.send(Method::POST, path, who, Some(body)).await
    }

    pub async fn patch(&self, path: &str, who: As<'_>, body: &Value) -> Response {
        self.send(Method::PATCH, path, who, Some(body)).await
    }

    pub async fn delete(&self, path: &str, who: As<'_>) -> Response {
        self.send(Method::DELETE, path, who, None).await
    }

    pub fn officer(&self) -> As<'_> {
        As::Key(&self.officer)
    }

    pub fn admin(&self) -> As<'_> {
        As::Key(&self.admin)
    }

    /// Creates a resource as an officer and returns its body.
    pub async fn create(&self, collection: &str, body: &Value) -> Value {
        let response = self.post(collection, self.officer(), body).await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "creating in {collection}: {}",
            response.text().await.unwrap_or_default()
        );
        response.json().await.expect("json")
    }

    pub async fn create_party(&self, name: &str, kind: &str, country: &str) -> String {
        self.create(
            "/v1/parties",
            &json!({"name": name, "kind": kind, "country": country}),
        )
        .await["id"]
            .as_str()
            .expect("id")
            .to_owned()
    }

    pub async fn create_person(&self, party_id: &str, name: &str) -> String {
        self.create(
            "/v1/people",
            &json!({"partyId": party_id, "name": name, "email": "focal@invest.gov.pk"}),
        )
        .await["id"]
            .as_str()
            .expect("id")
            .to_owned()
    }

    /// An investor key for a new party of `country`; returns (key, party id).
    pub async fn investor(&self, name: &str, country: &str) -> (String, String) {
        let party = self.create_party(name, "government", country).await;
        let key = issue_key(&self.db, Role::Investor, Some(&party));
        (key, party)
    }

    /// The parties and person behind a publishable opportunity: (authority, focal person).
    pub async fn authority_and_focal_person(&self) -> (String, String) {
        let nha = self
            .create_party("National Highway Authority", "governmentAgency", "PK")
            .await;
        let boi = self
            .create_party("Board of Investment", "governmentAgency", "PK")
            .await;
        let focal = self
            .create_person(&boi, "Focal Person, Azerbaijan desk")
            .await;
        (nha, focal)
    }

    /// A complete M-6 opportunity body that may be published.
    pub fn m6(&self, authority: &str, focal: &str) -> Value {
        json!({
            "title": "M-6 Hyderabad–Sukkur Motorway",
            "description": "A 306 km, six-lane motorway between Hyderabad and Sukkur in Sindh, completing the Karachi–Peshawar motorway network. Cost reported at US$1.7 bn (2025).",
            "sectors": ["transport.road"],
            "projectType": "construction",
            "projectStatus": "preparation",
            "engagementModels": ["g2g", "ppp"],
            "pppModel": "bot",
            "hostCountry": "PK",
            "locations": [{"description": "Hyderabad to Sukkur", "region": "Sindh", "coordinates": [[68.37, 25.39], [68.86, 27.70]]}],
            "estimatedCost": {"amount": "1700000000.00", "currency": "USD"},
            "investmentSought": {"amount": "1225000000", "currency": "USD"},
            "eoiDeadline": "2027-06-30",
            "publicAuthorityId": authority,
            "focalPersonId": focal,
            "partnerCountries": ["AZ", "TR"]
        })
    }

    /// Creates and publishes an opportunity; returns its id.
    pub async fn published(&self, body: &Value) -> String {
        let id = self.create("/v1/opportunities", body).await["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let response = self
            .patch(
                &format!("/v1/opportunities/{id}"),
                self.officer(),
                &json!({"listingStatus": "published"}),
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{}",
            response.text().await.unwrap_or_default()
        );
        id
    }
}

/// Asserts a problem+json answer with `status`, and returns its body.
pub async fn problem(response: Response, status: u16) -> Value {
    let got = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = response.text().await.expect("body");
    assert_eq!(got, status, "body: {text}");
    assert_eq!(content_type, "application/problem+json", "body: {text}");
    let body: Value = serde_json::from_str(&text).expect("problem body is JSON");
    assert_eq!(body["status"], status);
    assert!(body["type"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(body["title"].is_string() && body["detail"].is_string() && body["code"].is_string());
    assert_eq!(
        body["requestId"].as_str(),
        request_id.as_deref(),
        "requestId matches X-Request-Id"
    );
    body
}

/// The JSON pointers of a 422's field errors.
pub fn pointers(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["pointer"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// One request a test receiver got.
#[derive(Debug, Clone)]
pub struct Hit {
    pub headers: std::collections::HashMap<String, String>,
    pub body: String,
}

/// A webhook receiver on 127.0.0.1 that records requests and answers 500 to the first
/// `fail_first` of them.
pub struct Receiver {
    pub url: String,
    pub hits: std::sync::Arc<std::sync::Mutex<Vec<Hit>>>,
}

struct ReceiverState {
    hits: std::sync::Arc<std::sync::Mutex<Vec<Hit>>>,
    remaining_failures: std::sync::atomic::AtomicUsize,
}

async fn receive(
    request: actix_web::HttpRequest,
    body: actix_web::web::Bytes,
    state: actix_web::web::Data<ReceiverState>,
) -> actix_web::HttpResponse {
    let headers = request
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    state.hits.lock().unwrap().push(Hit {
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let failing = state
        .remaining_failures
        .fetch_update(
            std::sync::atomic::Ordering::SeqCst,
            std::sync::atomic::Ordering::SeqCst,
            |n| n.checked_sub(1),
        )
        .is_ok();
    if failing {
        actix_web::HttpResponse::InternalServerError().finish()
    } else {
        actix_web::HttpResponse::NoContent().finish()
    }
}

pub fn receiver(fail_first: usize) -> Receiver {
    let hits = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let state = actix_web::web::Data::new(ReceiverState {
        hits: hits.clone(),
        remaining_failures: std::sync::atomic::AtomicUsize::new(fail_first),
    });
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .app_data(state.clone())
            .default_service(actix_web::web::to(receive))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    Receiver {
        url: format!("http://127.0.0.1:{port}/hooks"),
        hits,
    }
}

impl Receiver {
    /// Waits up to `seconds` for at least `count` requests.
    pub async fn wait_for(&self, count: usize, seconds: u64) -> Vec<Hit> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
        loop {
            let hits = self.hits.lock().unwrap().clone();
            if hits.len() >= count || std::time::Instant::now() > deadline {
                return hits;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

/// Starts a second server on the same database (another instance behind a load balancer).
pub async fn spawn_instance(db: &TestDb, adjust: impl FnOnce(&mut ServeSettings)) -> String {
    let mut settings = ServeSettings::new(db.url(), "127.0.0.1:0");
    settings.workers = Some(1);
    settings.limits = settings.limits.clone().unlimited();
    adjust(&mut settings);
    let app = Application::build(settings).expect("second instance builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    address
}

pub async fn keyed_post(
    app: &TestApp,
    path: &str,
    authorization: &str,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("authorization", authorization)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

pub fn api_key_body(name: &str) -> Value {
    json!({"name": name, "role": "officer"})
}

/// Every text the database holds, row by row: for PostgreSQL every row of every table but the
/// webhooks' own (whose signing secrets must be there to sign), as JSON.
pub fn rows_as_text(db: &TestDb, tables: &str) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        text: String,
    }
    on_database(db, |conn| {
        use diesel::RunQueryDsl;
        let query = match conn {
            investdesk::persistence::DbConnection::Postgres(_) => {
                format!("SELECT row_to_json(t)::text AS text FROM ({tables}) t")
            }
            investdesk::persistence::DbConnection::Sqlite(_) => format!(
                "SELECT coalesce(request_hash, '') || response_body || coalesce(response_location, '') AS text FROM ({tables})"
            ),
        };
        diesel::sql_query(query)
            .load::<Row>(conn)
            .unwrap()
            .into_iter()
            .map(|r| r.text)
            .collect()
    })
}

pub async fn spawn_app_with_private_webhooks() -> TestApp {
    crate::helpers::spawn_app_with(|s| s.webhook_allow_private = true).await
}

/// The cursor key every instance signs with, read where the service keeps it.
pub fn cursor_key(db: &TestDb) -> String {
    on_database(db, |conn| {
        investdesk::persistence::settings::get(conn, investdesk::persistence::settings::CURSOR_KEY)
            .unwrap()
            .unwrap()
    })
}

pub fn urlencoding(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Sends raw bytes to the server and reads what comes back until it closes or `wait` passes
/// (on a thread of its own: the server's workers answer while the test waits).
pub async fn raw(app: &TestApp, request: &[u8], wait: Duration) -> (String, bool) {
    let address = app.address.trim_start_matches("http://").to_owned();
    let request = request.to_vec();
    actix_web::rt::task::spawn_blocking(move || raw_blocking(&address, &request, wait))
        .await
        .unwrap()
}

pub fn raw_blocking(address: &str, request: &[u8], wait: Duration) -> (String, bool) {
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(wait)).unwrap();
    stream.write_all(request).unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 8192];
    let closed = loop {
        match stream.read(&mut buffer) {
            Ok(0) => break true,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(_) => break false,
        }
    };
    (String::from_utf8_lossy(&received).into_owned(), closed)
}
