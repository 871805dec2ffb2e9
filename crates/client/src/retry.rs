//! Exponential back-off with full jitter, bounded, honouring the platform's
//! `x-ogw-ratelimit-reset`.

use rand::Rng;
use std::time::Duration;

/// How a client retries calls that failed for a reason that may pass
/// ([`Error::is_retryable`](crate::Error::is_retryable)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; 0 turns retrying off.
    pub max_retries: u32,
    /// The first back-off; each retry doubles it.
    pub base_delay: Duration,
    /// The longest back-off between two attempts.
    pub max_delay: Duration,
    /// The longest wait the client accepts when the platform names one (`x-ogw-ratelimit-reset`);
    /// a longer one gives up at once with the error.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// How long to wait before retry number `retry` (0 for the first), or `None` to give up.
    /// A wait the server named is honoured (plus up to 10% jitter, so many clients do not
    /// return at the same instant); otherwise full jitter over the exponential back-off.
    pub fn delay(&self, retry: u32, server_wait: Option<Duration>) -> Option<Duration> {
        if retry >= self.max_retries {
            return None;
        }
        let mut rng = rand::thread_rng();
        if let Some(wait) = server_wait {
            if wait > self.max_wait {
                return None;
            }
            let jitter = wait.mul_f64(rng.gen_range(0.0..0.1));
            return Some(wait + jitter);
        }
        let ceiling = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry))
            .min(self.max_delay);
        Some(ceiling.mul_f64(rng.gen_range(0.5..=1.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_grows_is_bounded_and_stops() {
        let p = RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
            max_wait: Duration::from_secs(2),
        };
        for _ in 0..50 {
            let d0 = p.delay(0, None).unwrap();
            assert!(d0 >= Duration::from_millis(50) && d0 <= Duration::from_millis(100));
            let d2 = p.delay(2, None).unwrap();
            assert!(d2 >= Duration::from_millis(175) && d2 <= Duration::from_millis(350));
            let named = p.delay(0, Some(Duration::from_secs(1))).unwrap();
            assert!(named >= Duration::from_secs(1) && named < Duration::from_millis(1100));
        }
        assert_eq!(p.delay(5, None), None);
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(3))),
            None,
            "longer than max_wait"
        );
        assert_eq!(RetryPolicy::none().delay(0, None), None);
    }
}
