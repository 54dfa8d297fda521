//! Request rate limits: per client address, per API key, and a much stricter one for failed
//! authentication from one address.
//!
//! Each limit is a keyed GCRA (generic cell rate algorithm): a request is allowed when the
//! theoretical arrival time of the key is at most `burst - 1` intervals ahead of now. Unlike a
//! crate such as `governor`, the limiter can also *peek* without spending, which the failed-
//! authentication rule needs: once an address has failed too often, every credentialed request
//! from it is refused before its key is even looked at, while good requests never spend from the
//! failure budget.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many requests a key may make: `rate` per `period` on average, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quota {
    pub rate: u32,
    pub period: Duration,
    pub burst: u32,
}

impl Quota {
    pub fn per_second(rate: u32, burst: u32) -> Self {
        Quota {
            rate,
            period: Duration::from_secs(1),
            burst,
        }
    }

    pub fn per_minute(rate: u32, burst: u32) -> Self {
        Quota {
            rate,
            period: Duration::from_secs(60),
            burst,
        }
    }
}

/// Entries kept before expired ones are swept; the sweep threshold grows with live entries, so
/// the map stays proportional to the keys active within one burst window.
const SWEEP_AT: usize = 4096;

/// Where one key stands in its budget after a request: the `RateLimit` header's `r` and `t`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Standing {
    /// Requests the key may still make at once.
    pub remaining: u32,
    /// Until the budget is whole again.
    pub reset: Duration,
}

/// A limit's policy as `RateLimit-Policy` states it: `quota` requests per `window`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    pub quota: u32,
    pub window: Duration,
}

/// One rate limit over many keys.
#[derive(Debug)]
pub struct Limiter<K> {
    /// Time between two requests at the sustained rate.
    interval: Duration,
    /// Requests allowed at once.
    burst: u32,
    /// How far ahead of now the theoretical arrival time may run: `(burst - 1) × interval`.
    tolerance: Duration,
    state: Mutex<Table<K>>,
}

#[derive(Debug)]
struct Table<K> {
    /// Each key's theoretical arrival time.
    arrivals: HashMap<K, Instant>,
    sweep_at: usize,
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    /// A limiter for `quota`, or `None` when its rate is 0 (the limit is off).
    pub fn new(quota: Quota) -> Option<Self> {
        if quota.rate == 0 {
            return None;
        }
        let interval = quota.period / quota.rate;
        Some(Limiter {
            interval,
            burst: quota.burst.max(1),
            tolerance: interval * quota.burst.max(1).saturating_sub(1),
            state: Mutex::new(Table {
                arrivals: HashMap::new(),
                sweep_at: SWEEP_AT,
            }),
        })
    }

    /// Spends one request of `key`'s budget and says what is left, or says how long until one
    /// is available.
    pub fn check(&self, key: &K, now: Instant) -> Result<Standing, Duration> {
        let mut table = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let arrival = table.arrivals.get(key).copied().unwrap_or(now).max(now);
        self.verdict(arrival, now)?;
        if table.arrivals.len() >= table.sweep_at {
            table.arrivals.retain(|_, at| *at > now);
            table.sweep_at = (table.arrivals.len() * 2).max(SWEEP_AT);
        }
        let next = arrival + self.interval;
        table.arrivals.insert(key.clone(), next);
        Ok(self.standing(next - now))
    }

    /// The budget left when the theoretical arrival time is `ahead` of now: request k more is
    /// allowed while `ahead + (k - 1) × interval ≤ tolerance`.
    fn standing(&self, ahead: Duration) -> Standing {
        let remaining = match self.tolerance.checked_sub(ahead) {
            Some(slack) => {
                let whole = slack.as_nanos() / self.interval.as_nanos().max(1);
                u32::try_from(whole).unwrap_or(u32::MAX).saturating_add(1)
            }
            None => 0,
        };
        Standing {
            remaining: remaining.min(self.burst),
            reset: ahead,
        }
    }

    /// The quota and window this limiter enforces: `burst` requests, refilled in full after
    /// `burst × interval`.
    pub fn policy(&self) -> Policy {
        Policy {
            quota: self.burst,
            window: self.interval * self.burst,
        }
    }

    /// Whether `key` could make a request now, without spending from its budget.
    pub fn peek(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let table = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let arrival = table.arrivals.get(key).copied().unwrap_or(now).max(now);
        self.verdict(arrival, now)
    }

    fn verdict(&self, arrival: Instant, now: Instant) -> Result<(), Duration> {
        let ahead = arrival - now;
        if ahead > self.tolerance {
            Err(ahead - self.tolerance)
        } else {
            Ok(())
        }
    }

    /// Keys currently tracked (for tests of the sweep).
    pub fn tracked(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .arrivals
            .len()
    }
}

/// The limits a server applies; each is off when its quota's rate is 0.
#[derive(Debug)]
pub struct RateLimits {
    /// Every request from one client address (an IPv6 client is its /64).
    pub per_address: Option<Limiter<IpAddr>>,
    /// Every request made with one API key, wherever it comes from.
    pub per_key: Option<Limiter<String>>,
    /// Failed authentications from one address; once spent, credentialed requests from that
    /// address are refused until it refills.
    pub auth_failures: Option<Limiter<IpAddr>>,
    /// Peers whose `X-Forwarded-For` is believed (the service's own reverse proxies).
    pub trusted_proxies: Vec<IpAddr>,
}

impl RateLimits {
    pub fn new(
        per_address: Quota,
        per_key: Quota,
        auth_failures: Quota,
        trusted_proxies: Vec<IpAddr>,
    ) -> Self {
        RateLimits {
            per_address: Limiter::new(per_address),
            per_key: Limiter::new(per_key),
            auth_failures: Limiter::new(auth_failures),
            trusted_proxies,
        }
    }

    /// No limits at all (tools that are not servers).
    pub fn off() -> Self {
        RateLimits {
            per_address: None,
            per_key: None,
            auth_failures: None,
            trusted_proxies: Vec::new(),
        }
    }

    /// The client's address: the peer, or, when the peer is a trusted proxy, the nearest
    /// `X-Forwarded-For` entry that is not itself a trusted proxy.
    pub fn client_address(&self, peer: Option<IpAddr>, forwarded_for: Option<&str>) -> IpAddr {
        let peer = peer.unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let mut client = peer;
        if self.trusted_proxies.contains(&peer)
            && let Some(chain) = forwarded_for
        {
            for hop in chain.rsplit(',') {
                match hop.trim().parse::<IpAddr>() {
                    Ok(ip) => {
                        client = ip;
                        if !self.trusted_proxies.contains(&ip) {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
        }
        bucket_of(client)
    }
}

/// IPv6 clients usually hold a whole /64, so that is what one budget covers.
fn bucket_of(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut octets = v6.octets();
                octets[8..].fill(0);
                IpAddr::from(octets)
            }
        },
        v4 => v4,
    }
}

/// Seconds to announce in `Retry-After`: the wait rounded up, at least 1.
pub fn retry_after_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_the_sustained_rate() {
        let limiter = Limiter::new(Quota::per_second(10, 3)).unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check(&"a", t0).is_ok());
        }
        let wait = limiter.check(&"a", t0).unwrap_err();
        assert_eq!(wait, Duration::from_millis(100));
        // Another key has its own budget.
        assert!(limiter.check(&"b", t0).is_ok());
        // One interval later one more request is allowed, and only one.
        let t1 = t0 + Duration::from_millis(100);
        assert!(limiter.check(&"a", t1).is_ok());
        assert!(limiter.check(&"a", t1).is_err());
    }

    #[test]
    fn each_request_says_what_is_left_and_when_it_is_whole_again() {
        let limiter = Limiter::new(Quota::per_second(10, 3)).unwrap();
        assert_eq!(
            limiter.policy(),
            Policy {
                quota: 3,
                window: Duration::from_millis(300)
            }
        );
        let t0 = Instant::now();
        let left: Vec<u32> = (0..3)
            .map(|_| limiter.check(&"a", t0).unwrap().remaining)
            .collect();
        assert_eq!(left, [2, 1, 0]);
        let after = limiter.check(&"b", t0).unwrap();
        assert_eq!(after.reset, Duration::from_millis(100));
        // One and a half intervals later one request has refilled, not two.
        let t1 = t0 + Duration::from_millis(150);
        assert_eq!(limiter.check(&"a", t1).unwrap().remaining, 0);
        assert!(limiter.check(&"a", t1).is_err());
    }

    #[test]
    fn peeking_spends_nothing() {
        let limiter = Limiter::new(Quota::per_minute(6, 2)).unwrap();
        let t0 = Instant::now();
        for _ in 0..10 {
            assert!(limiter.peek(&1, t0).is_ok());
        }
        limiter.check(&1, t0).unwrap();
        limiter.check(&1, t0).unwrap();
        let wait = limiter.peek(&1, t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(10));
        assert!(limiter.peek(&1, t0 + Duration::from_secs(10)).is_ok());
    }

    #[test]
    fn a_zero_rate_turns_the_limit_off() {
        assert!(Limiter::<u8>::new(Quota::per_second(0, 10)).is_none());
    }

    #[test]
    fn expired_keys_are_swept_so_memory_follows_active_clients() {
        let limiter = Limiter::new(Quota::per_second(1000, 1)).unwrap();
        let t0 = Instant::now();
        for key in 0..SWEEP_AT {
            limiter.check(&key, t0).unwrap();
        }
        assert_eq!(limiter.tracked(), SWEEP_AT);
        // A second later every earlier key has refilled and is dropped at the next insert.
        limiter
            .check(&usize::MAX, t0 + Duration::from_secs(1))
            .unwrap();
        assert_eq!(limiter.tracked(), 1);
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let limits = RateLimits {
            trusted_proxies: vec![proxy],
            ..RateLimits::off()
        };
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        let forged = Some("198.51.100.1, 203.0.113.7");
        assert_eq!(limits.client_address(Some(proxy), forged), client);
        assert_eq!(limits.client_address(Some(client), forged), client);
        assert_eq!(
            limits.client_address(Some(proxy), Some("203.0.113.7, 10.0.0.1")),
            client
        );
        assert_eq!(limits.client_address(Some(proxy), Some("junk")), proxy);
    }

    #[test]
    fn an_ipv6_client_is_its_slash_64() {
        let limits = RateLimits::off();
        let a = limits.client_address(Some("2001:db8:1:2:aaaa::1".parse().unwrap()), None);
        let b = limits.client_address(Some("2001:db8:1:2:bbbb::9".parse().unwrap()), None);
        assert_eq!(a, b);
        let mapped = limits.client_address(Some("::ffff:192.0.2.1".parse().unwrap()), None);
        assert_eq!(mapped, "192.0.2.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1000)), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1001)), 2);
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
    }
}
