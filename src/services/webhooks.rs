//! Webhook subscriptions and their delivery: signed (Standard Webhooks), at least once, retried
//! with exponential backoff and jitter for a day, claimed so that instances never double-send,
//! and kept off private networks.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use chrono::Utc;

use super::events::record;
use super::idempotency::write_once;
use super::{AppState, fresh, replace};
use crate::api::pagination::{ListRequest, Listed};
use crate::api::parse::apply_patch;
use crate::api::reply::{IdempotencyKey, Reply};
use crate::api::webhooks::{
    ATTEMPTS, AttemptListQuery, LIST, WebhookInput, WebhookListQuery, WebhookResponse, location,
};
use crate::domain::access::Caller;
use crate::domain::events::{Audience, is_event_type};
use crate::domain::ids::WebhookId;
use crate::domain::stored::Expected;
use crate::domain::webhooks::{
    DeliveryAttempt, RETRY_WINDOW, Webhook, WebhookData, WebhookRequest, backoff, is_public,
    new_secret, sign,
};
use crate::error::{AppError, FieldError};
use crate::persistence::transaction::lock_row;
use crate::persistence::webhooks::{self as store, Attempt, Claimed, Outcome};
use crate::persistence::{self, events};

/// How deliveries behave.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// Allow plain http and private or loopback targets (tests, private deployments).
    pub allow_private: bool,
    /// How often the worker looks for due deliveries.
    pub poll: Duration,
    /// The first retry's delay; each further retry doubles it.
    pub retry_base: Duration,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        DeliverySettings {
            allow_private: false,
            poll: Duration::from_millis(500),
            retry_base: Duration::from_secs(2),
        }
    }
}

/// Checks a target before we ever connect: https (http only when private targets are allowed),
/// a host, and — after resolving it — only public addresses unless allowed. Returns the
/// addresses to connect to, so a later DNS answer cannot swap in another.
pub async fn check_target(
    url: &str,
    allow_private: bool,
) -> Result<(url::Url, Vec<SocketAddr>), String> {
    let parsed = url::Url::parse(url).map_err(|_| "must be an absolute URL".to_owned())?;
    match parsed.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err("must use https".into()),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not carry credentials".into());
    }
    let host = parsed.host_str().ok_or("must name a host")?.to_owned();
    let port = parsed.port_or_known_default().ok_or("must name a port")?;
    let lookup = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let addresses: Vec<SocketAddr> = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::net::lookup_host((lookup.as_str(), port)),
    )
    .await
    .map_err(|_| "the host did not resolve in time".to_owned())?
    .map_err(|_| "the host does not resolve".to_owned())?
    .collect();
    if addresses.is_empty() {
        return Err("the host does not resolve".into());
    }
    if !allow_private && let Some(bad) = addresses.iter().find(|a| !is_public(a.ip())) {
        return Err(format!(
            "resolves to {}, which is not a public address",
            bad.ip()
        ));
    }
    Ok((parsed, addresses))
}

fn check_types(types: &[String]) -> Vec<FieldError> {
    types
        .iter()
        .enumerate()
        .filter(|(_, t)| !is_event_type(t))
        .map(|(i, t)| {
            FieldError::new(
                format!("/eventTypes/{i}"),
                format!("{t:?} is not an event type (see /v1/codelists/eventType)"),
            )
        })
        .collect()
}

/// Who may manage a subscription: officers any; an investor those of its own party.
fn manageable(caller: &Caller, webhook: &Webhook) -> bool {
    caller.is_staff()
        || (caller.investor_party().is_some()
            && caller.investor_party() == webhook.data.owner_party_id.as_ref())
}

fn webhook_event(kind: &'static str, webhook: &Webhook) -> crate::domain::events::NewEvent {
    super::events::event(
        kind,
        &webhook.id,
        Audience::Staff,
        crate::api::event_data::data(&crate::api::event_data::SubjectData {
            id: webhook.id.to_string(),
        }),
    )
}

/// The subscription `id` names, if the caller may manage it.
async fn manageable_webhook(
    state: &AppState,
    caller: &Caller,
    id: &WebhookId,
) -> Result<Webhook, AppError> {
    let caller = caller.clone();
    let id = id.clone();
    state
        .db
        .run(move |conn| {
            store::get(conn, &id)?
                .filter(|w| manageable(&caller, w))
                .ok_or(AppError::NotFound)
        })
        .await
}

fn webhook_id(caller: &Caller, id: &str) -> Result<WebhookId, AppError> {
    caller.require_key()?;
    WebhookId::parse(id).ok_or(AppError::NotFound)
}

/// Checks a subscription's event types, and its url when it is new or changed.
async fn check_request(
    state: &AppState,
    request: &WebhookRequest,
    previous_url: Option<&str>,
) -> Result<(), AppError> {
    let mut problems = check_types(&request.event_types);
    if previous_url != Some(request.url.as_str())
        && let Err(e) = check_target(&request.url, state.delivery.allow_private).await
    {
        problems.push(FieldError::new("/url", e));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AppError::invalid(problems))
    }
}

/// Subscribes the caller to events (officers: all; investors: what their party may see). The
/// signing secret is in the first answer only.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    key: Option<IdempotencyKey>,
    input: WebhookInput,
) -> Result<Reply, AppError> {
    caller.require_key()?;
    let owner = caller.key_id().cloned().ok_or(AppError::Unauthorized)?;
    if !caller.is_staff() && caller.investor_party().is_none() {
        return Err(AppError::Forbidden(
            "This key may not subscribe to events.".into(),
        ));
    }
    let request = input.parse()?;
    check_request(state, &request, None).await?;
    let data = WebhookData {
        url: request.url,
        event_types: request.event_types,
        active: request.active,
        secret: new_secret(),
        owner_key_id: owner,
        owner_party_id: if caller.is_staff() {
            None
        } else {
            caller.investor_party().cloned()
        },
        failing_since: None,
    };
    write_once(
        state,
        caller,
        key,
        move |conn| {
            let webhook = fresh(WebhookId::generate(), data);
            store::insert(conn, &webhook)?;
            Ok(webhook)
        },
        |webhook, shown| {
            Reply::created(
                location(&webhook.id),
                Some(webhook.version),
                &WebhookResponse::with_secret(webhook, shown),
            )
        },
    )
    .await
}

pub async fn get(state: &AppState, caller: &Caller, id: &str) -> Result<Webhook, AppError> {
    let id = webhook_id(caller, id)?;
    manageable_webhook(state, caller, &id).await
}

/// The caller's subscriptions (officers: all).
pub async fn list(
    state: &AppState,
    caller: &Caller,
    request: ListRequest<WebhookListQuery>,
) -> Result<Listed<Webhook, ()>, AppError> {
    caller.require_key()?;
    let party = if caller.is_staff() {
        None
    } else {
        Some(caller.investor_party().cloned().ok_or(AppError::Forbidden(
            "This key may not subscribe to events.".into(),
        ))?)
    };
    let paging = request.paging(&state.cursors, request.query.paging(), &LIST)?;
    let (page, with_total) = (paging.request.clone(), paging.with_total);
    let (items, total) = state
        .db
        .run(move |conn| {
            let items = store::list(conn, party.as_ref(), &page)?;
            let total = with_total
                .then(|| store::count(conn, party.as_ref()))
                .transpose()?;
            Ok::<_, AppError>((items, total))
        })
        .await?;
    Ok(Listed {
        paging,
        items,
        total,
    })
}

/// Changes url, event types or active by merge patch; a new url is checked like a new
/// subscription's.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: &str,
    expected: Expected,
    patch: serde_json::Value,
) -> Result<Webhook, AppError> {
    let id = webhook_id(caller, id)?;
    let current = manageable_webhook(state, caller, &id).await?;
    let request = apply_patch(&WebhookResponse::of(&current).fields, patch)?.parse()?;
    check_request(state, &request, Some(&current.data.url)).await?;
    state
        .db
        .write(move |conn| {
            lock_row(conn, "webhooks", id.as_str())?;
            let current = store::get(conn, &id)?.ok_or(AppError::NotFound)?;
            replace(
                conn,
                current,
                &expected,
                |current| {
                    Ok(WebhookData {
                        url: request.url,
                        event_types: request.event_types,
                        active: request.active,
                        // Reactivating a failing subscription clears the flag.
                        failing_since: if request.active && !current.data.active {
                            None
                        } else {
                            current.data.failing_since
                        },
                        ..current.data.clone()
                    })
                },
                |_, _| Ok(()),
                store::update,
            )
        })
        .await
}

/// Replaces the signing secret; the new one is in the first answer only.
pub async fn rotate_secret(
    state: &AppState,
    caller: &Caller,
    key: Option<IdempotencyKey>,
    id: &str,
    expected: Expected,
) -> Result<Reply, AppError> {
    let id = webhook_id(caller, id)?;
    manageable_webhook(state, caller, &id).await?;
    write_once(
        state,
        caller,
        key,
        move |conn| {
            lock_row(conn, "webhooks", id.as_str())?;
            let current = store::get(conn, &id)?.ok_or(AppError::NotFound)?;
            replace(
                conn,
                current,
                &expected,
                |current| {
                    Ok(WebhookData {
                        secret: new_secret(),
                        ..current.data.clone()
                    })
                },
                |_, _| Ok(()),
                store::update,
            )
        },
        |webhook, shown| {
            Reply::ok(
                Some(webhook.version),
                &WebhookResponse::with_secret(webhook, shown),
            )
        },
    )
    .await
}

pub async fn delete(
    state: &AppState,
    caller: &Caller,
    id: &str,
    expected: Expected,
) -> Result<(), AppError> {
    let id = webhook_id(caller, id)?;
    let current = manageable_webhook(state, caller, &id).await?;
    expected.check(current.version)?;
    state
        .db
        .write(move |conn| {
            store::delete(conn, &id)?;
            Ok::<_, AppError>(())
        })
        .await
}

/// A subscription's delivery attempts, newest first unless sorted.
pub async fn attempts(
    state: &AppState,
    caller: &Caller,
    id: &str,
    request: ListRequest<AttemptListQuery>,
) -> Result<Listed<DeliveryAttempt, ()>, AppError> {
    let id = webhook_id(caller, id)?;
    let mut paging = request
        .paging(&state.cursors, request.query.paging(), &ATTEMPTS)?
        .without_total("delivery attempts")?;
    if request.query.sort.is_none() {
        paging.request.descending = true;
    }
    manageable_webhook(state, caller, &id).await?;
    let page = paging.request.clone();
    let items = state
        .db
        .run(move |conn| store::attempts(conn, &id, &page).map_err(AppError::from))
        .await?;
    Ok(Listed {
        paging,
        items,
        total: None,
    })
}

/// Runs deliveries until the server stops: a slow or failing receiver only ever delays its own
/// deliveries, never the API.
pub async fn run_worker(state: std::sync::Arc<AppState>) {
    let mut last_purge = Instant::now();
    loop {
        match deliver_due(&state).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "webhook delivery round failed"),
        }
        if last_purge.elapsed() > Duration::from_secs(60) {
            last_purge = Instant::now();
            if let Err(e) = super::idempotency::purge(&state).await {
                tracing::warn!(error = %e, "purging idempotency keys failed");
            }
        }
        tokio::time::sleep(state.delivery.poll).await;
    }
}

/// Claims and sends the deliveries that are due; returns how many were attempted.
pub async fn deliver_due(state: &AppState) -> Result<usize, AppError> {
    let now = persistence::now();
    let lease = now + chrono::Duration::seconds(60);
    let claimed = state
        .db
        .write(move |conn| Ok::<_, AppError>(store::claim_due(conn, now, lease, 16)?))
        .await?;
    let count = claimed.len();
    futures_util::future::join_all(claimed.into_iter().map(|c| deliver(state, c))).await;
    Ok(count)
}

async fn deliver(state: &AppState, claimed: Claimed) {
    let seq = claimed.event_seq;
    let event = match state
        .db
        .run(move |conn| events::get(conn, seq).map_err(AppError::from))
        .await
    {
        Ok(Some(event)) => event,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "loading an event to deliver failed");
            return;
        }
    };
    // An investor's subscription receives what its party may see; an officer's, everything.
    let viewer = if claimed.webhook.data.owner_party_id.is_some() {
        crate::domain::audience::Audience::Party
    } else {
        crate::domain::audience::Audience::Internal
    };
    let mut data = event.data.clone();
    if let Some(schema) = crate::api::event_data::payload_schema(&event.kind) {
        crate::api::audience::redact(&schema, &mut data, viewer);
    }
    let body = serde_json::json!({
        "type": event.kind,
        "timestamp": crate::api::utc(event.occurred_at),
        "data": data,
    })
    .to_string();
    let started = Instant::now();
    let result = send(
        &claimed.webhook,
        &event.id.to_string(),
        &body,
        state.delivery.allow_private,
    )
    .await;
    let attempt = Attempt {
        status_code: result.as_ref().ok().map(|s| i32::from(*s)),
        latency_ms: started.elapsed().as_millis() as i64,
        error: match &result {
            Ok(s) if (200..300).contains(s) => None,
            Ok(s) => Some(format!("the receiver answered {s}")),
            Err(e) => Some(e.clone()),
        },
        at: persistence::now(),
    };
    let outcome = if attempt.error.is_none() {
        Outcome::Delivered
    } else {
        let waited = (attempt.at - claimed.created_at)
            .to_std()
            .unwrap_or_default();
        if waited >= RETRY_WINDOW {
            Outcome::GaveUp
        } else {
            let delay = backoff(
                claimed.attempt.saturating_sub(1) as u32,
                state.delivery.retry_base,
                rand::random::<f64>(),
            );
            Outcome::RetryAt(attempt.at + chrono::Duration::from_std(delay).unwrap_or_default())
        }
    };
    let (event_id, kind) = (event.id.to_string(), event.kind.clone());
    let gave_up = matches!(outcome, Outcome::GaveUp);
    let webhook = claimed.webhook.clone();
    let saved = state
        .db
        .write(move |conn| {
            store::record(conn, &claimed, (&event_id, &kind), &attempt, outcome)?;
            if gave_up {
                record(conn, webhook_event("webhook.failing", &webhook))?;
            }
            Ok::<_, AppError>(())
        })
        .await;
    if let Err(e) = saved {
        tracing::warn!(error = %e, "recording a delivery attempt failed");
    }
}

/// POSTs one signed event; the status code, or why nothing was answered.
async fn send(
    webhook: &Webhook,
    message_id: &str,
    body: &str,
    allow_private: bool,
) -> Result<u16, String> {
    let (url, addresses) = check_target(&webhook.data.url, allow_private).await?;
    let host = url.host_str().unwrap_or_default().to_owned();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .resolve_to_addrs(&host, &addresses)
        .user_agent(concat!("InvestDesk-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("client: {e}"))?;
    let timestamp = Utc::now().timestamp();
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header(
            "webhook-signature",
            sign(&webhook.data.secret, message_id, timestamp, body),
        )
        .body(body.to_owned())
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                "timed out".to_owned()
            } else {
                "could not connect or send".to_owned()
            }
        })?;
    Ok(response.status().as_u16())
}

/// Deliveries waiting to be sent.
pub async fn backlog(state: &AppState) -> Result<i64, AppError> {
    state
        .db
        .run(|conn| store::backlog(conn).map_err(AppError::from))
        .await
}
