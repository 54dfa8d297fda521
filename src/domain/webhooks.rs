//! Webhook subscriptions, Standard Webhooks signatures, retry timing and the address rules that
//! keep deliveries off private networks.

use std::net::IpAddr;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::NaiveDateTime;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::ids::{ApiKeyId, PartyId, WebhookId};
use super::stored::Stored;

/// What a subscription says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookData {
    pub url: String,
    /// Event types to deliver; empty means all.
    pub event_types: Vec<String>,
    pub active: bool,
    /// `whsec_` and the base64 of the signing key.
    pub secret: String,
    pub owner_key_id: ApiKeyId,
    /// An investor's subscription receives only what its party may see; `None` for officers.
    pub owner_party_id: Option<PartyId>,
    /// Set when deliveries kept failing for the whole retry window.
    pub failing_since: Option<NaiveDateTime>,
}

pub type Webhook = Stored<WebhookId, WebhookData>;

impl WebhookData {
    /// Whether this subscription wants events of `kind`.
    pub fn wants(&self, kind: &str) -> bool {
        self.active && (self.event_types.is_empty() || self.event_types.iter().any(|t| t == kind))
    }
}

/// A fresh signing secret: 32 random bytes.
pub fn new_secret() -> String {
    use rand::RngCore;
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    format!("whsec_{}", STANDARD.encode(key))
}

/// The `webhook-signature` header value: `v1,` and the base64 HMAC-SHA256 of
/// `{id}.{timestamp}.{body}` under the secret's key (Standard Webhooks).
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> String {
    let key = secret
        .strip_prefix("whsec_")
        .and_then(|k| STANDARD.decode(k).ok())
        .unwrap_or_else(|| secret.as_bytes().to_vec());
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes keys of any length");
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// How long deliveries are retried before the subscription is flagged failing.
pub const RETRY_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);

/// The wait before attempt `attempt + 1`: `base` doubled per attempt, capped at an hour, with up
/// to a fifth of jitter so that many failures do not retry in lockstep.
pub fn backoff(attempt: u32, base: Duration, jitter: f64) -> Duration {
    let exponential = base.saturating_mul(1u32 << attempt.min(20));
    let capped = exponential.min(Duration::from_secs(3600));
    capped.mul_f64(1.0 + 0.2 * jitter.clamp(0.0, 1.0))
}

/// Whether an address is on the public internet; loopback, private, link-local (cloud metadata
/// included), shared, documentation, multicast and unspecified addresses are not.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0)
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8
                || first == 0x0064 && v6.segments()[1] == 0xff9b)
        }
    }
}

/// What a client asks of a subscription: where, which events, and whether it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRequest {
    pub url: String,
    pub event_types: Vec<String>,
    pub active: bool,
}

/// One attempt to deliver an event to a subscription, as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    pub id: String,
    pub delivery_id: String,
    pub event_id: String,
    pub event_type: String,
    /// 1 for the first attempt.
    pub attempt: i32,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<i32>,
    pub latency_ms: i64,
    pub error: Option<String>,
    pub attempted_at: chrono::NaiveDateTime,
}

impl super::page::Positioned<()> for DeliveryAttempt {
    /// Attempts are listed by id (newest first unless asked otherwise).
    fn position(&self, _: ()) -> super::page::Position {
        super::page::by_id(&self.id)
    }
}

impl super::page::Positioned<()> for Webhook {
    /// Subscriptions are listed in the order they were made: by id.
    fn position(&self, _: ()) -> super::page::Position {
        super::page::by_id(&self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The example from the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, id, 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn retries_back_off_exponentially_from_seconds_to_an_hour() {
        let base = Duration::from_secs(2);
        assert_eq!(backoff(0, base, 0.0), Duration::from_secs(2));
        assert_eq!(backoff(3, base, 0.0), Duration::from_secs(16));
        assert_eq!(backoff(30, base, 0.0), Duration::from_secs(3600));
        assert!(backoff(1, base, 1.0) > backoff(1, base, 0.0));
    }

    #[test]
    fn private_and_metadata_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "224.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }
}
