//! Per-principal rate limits: a token bucket per `sub`, refilled at N
//! requests per second and holding at most 2N, shared by HTTP and Bolt.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::error::RateLimited;

/// Default requests per second per principal.
pub const DEFAULT_RATE_LIMIT: u32 = 1000;

/// Buckets kept before idle ones are dropped.
const PRUNE_AT: usize = 10_000;

struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Token buckets by principal.
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("per_second", &self.per_second)
            .field("burst", &self.burst)
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    /// `per_second` requests per second per principal, bursts of twice
    /// that; 0 disables the limit.
    pub fn new(per_second: u32) -> RateLimiter {
        RateLimiter {
            per_second: f64::from(per_second),
            burst: 2.0 * f64::from(per_second),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// No limit.
    pub fn disabled() -> RateLimiter {
        RateLimiter::new(0)
    }

    /// `false` when disabled.
    pub fn is_enabled(&self) -> bool {
        self.per_second > 0.0
    }

    /// Counts one request of `key` now.
    pub fn check(&self, key: &str) -> Result<(), RateLimited> {
        self.check_at(key, Instant::now())
    }

    /// Counts one request of `key` at `now`.
    pub fn check_at(&self, key: &str, now: Instant) -> Result<(), RateLimited> {
        if !self.is_enabled() {
            return Ok(());
        }
        let mut buckets = self.buckets.lock();
        if buckets.len() >= PRUNE_AT && !buckets.contains_key(key) {
            // Drop the buckets that have refilled: they hold no state a new
            // bucket would not.
            let refill = Duration::from_secs_f64(self.burst / self.per_second);
            buckets.retain(|_, b| now.saturating_duration_since(b.updated) < refill);
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(RateLimited {
                retry_after: Duration::from_secs_f64((1.0 - bucket.tokens) / self.per_second),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_of_twice_the_rate_then_refill() {
        let limiter = RateLimiter::new(5);
        let start = Instant::now();
        for _ in 0..10 {
            assert!(limiter.check_at("ann", start).is_ok());
        }
        let refused = limiter.check_at("ann", start).expect_err("over the burst");
        assert_eq!(refused.retry_after_secs(), 1);
        assert!(refused.retry_after <= Duration::from_millis(200));
        // Another principal has its own bucket.
        assert!(limiter.check_at("bob", start).is_ok());
        // A fifth of a second later one request is allowed again.
        let later = start + Duration::from_millis(200);
        assert!(limiter.check_at("ann", later).is_ok());
        assert!(limiter.check_at("ann", later).is_err());
    }

    #[test]
    fn zero_disables() {
        let limiter = RateLimiter::new(0);
        let now = Instant::now();
        assert!(!limiter.is_enabled());
        assert!((0..10_000).all(|_| limiter.check_at("ann", now).is_ok()));
    }
}
