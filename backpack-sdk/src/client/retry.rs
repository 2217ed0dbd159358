//! Retry policy for reads: bounded exponential backoff.

use std::time::Duration;

use crate::api::Effect;
use crate::error::Error;

/// How many times, and how patiently, failed requests are retried.
///
/// Which failures are retried depends on the request's [`Effect`]: reads retry on rate
/// limits, 5xx, timeouts and connection failures; cancels and writes retry only on failures
/// that prove the request had no effect (connection refused, HTTP 429). An order is never
/// re-sent after a failure that leaves its outcome unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retrying).
    pub max_retries: u32,
    /// Wait before the first retry.
    pub initial_backoff: Duration,
    /// Longest wait between attempts (also caps a server's `Retry-After`).
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub const NONE: RetryPolicy = RetryPolicy {
        max_retries: 0,
        initial_backoff: Duration::ZERO,
        max_backoff: Duration::ZERO,
    };

    /// Whether `error` on attempt `attempt` (0-based) of a request with `effect` is retried.
    pub fn should_retry(&self, effect: Effect, error: &Error, attempt: u32) -> bool {
        if attempt >= self.max_retries {
            return false;
        }
        match effect {
            Effect::Read => error.is_retryable(),
            Effect::Cancel | Effect::Write => {
                matches!(error, Error::Connect { .. } | Error::RateLimited { .. })
            }
        }
    }

    /// Wait before retry number `attempt + 1`: `initial × 2^attempt` with ±25% jitter, at
    /// least the server's `Retry-After`, at most `max_backoff`.
    pub fn backoff(
        &self,
        attempt: u32,
        retry_after: Option<Duration>,
        jitter_seed: u64,
    ) -> Duration {
        let exponential = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(attempt.min(16)));
        // Jitter in [75%, 125%) from the seed, in whole per-mille steps (no floats).
        let per_mille = 750 + u32::try_from(jitter_seed % 500).unwrap_or(0);
        let jittered = exponential.saturating_mul(per_mille) / 1_000;
        jittered
            .max(retry_after.unwrap_or(Duration::ZERO))
            .min(self.max_backoff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;

    #[test]
    fn backoff_grows_and_is_bounded() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.backoff(0, None, 250), Duration::from_millis(100));
        assert_eq!(policy.backoff(1, None, 250), Duration::from_millis(200));
        assert_eq!(policy.backoff(10, None, 250), Duration::from_secs(2));
        assert_eq!(
            policy.backoff(0, Some(Duration::from_millis(900)), 0),
            Duration::from_millis(900)
        );
        assert!(policy.backoff(0, None, 0) >= Duration::from_millis(75));
        assert!(policy.backoff(0, None, 499) < Duration::from_millis(125));
    }

    #[test]
    fn writes_only_retry_failures_that_had_no_effect() {
        let policy = RetryPolicy::default();
        let server: Error = ApiError::from_body(500, b"").into();
        let limited = Error::RateLimited {
            retry_after: None,
            message: String::new(),
        };
        assert!(policy.should_retry(Effect::Read, &server, 0));
        assert!(!policy.should_retry(Effect::Write, &server, 0));
        assert!(!policy.should_retry(Effect::Cancel, &server, 0));
        assert!(policy.should_retry(Effect::Write, &limited, 0));
        assert!(!policy.should_retry(Effect::Read, &limited, 3));
    }
}
