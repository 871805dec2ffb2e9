//! Per-app, per-API request limits as the platform applies them: a count per fixed window of the
//! server clock. Limits are process state (a restart forgives), which matches what a client sees.

use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug)]
pub struct RateLimiter {
    enabled: bool,
    /// key → (window number, requests counted in it, window length in ms).
    windows: Mutex<HashMap<String, (i64, u32, i64)>>,
}

/// Over the limit: retry after this many seconds (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exceeded {
    pub limit: u32,
    pub reset_secs: u64,
}

impl RateLimiter {
    pub fn new(enabled: bool) -> Self {
        RateLimiter {
            enabled,
            windows: Mutex::new(HashMap::new()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Counts one request against `key`, allowing `limit` per `window_ms`.
    pub fn check(
        &self,
        key: &str,
        limit: u32,
        window_ms: i64,
        now_ms: i64,
    ) -> Result<(), Exceeded> {
        self.check_all(&[(key, limit, window_ms)], now_ms)
    }

    /// Counts one request against every `(key, limit, window_ms)`, or against none of them if
    /// any is already full (a refused request uses no quota).
    pub fn check_all(&self, limits: &[(&str, u32, i64)], now_ms: i64) -> Result<(), Exceeded> {
        if !self.enabled {
            return Ok(());
        }
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() > 100_000 {
            // Forget counters of windows that have passed (the longest window is a minute).
            windows.retain(|_, (w, _, len)| (*w + 1) * *len >= now_ms);
        }
        for &(key, limit, window_ms) in limits {
            let window = now_ms.div_euclid(window_ms);
            let used = match windows.get(key) {
                Some(&(w, n, _)) if w == window => n,
                _ => 0,
            };
            if used >= limit {
                let ms_left = (window + 1) * window_ms - now_ms;
                return Err(Exceeded {
                    limit,
                    reset_secs: ((ms_left + 999) / 1000).max(1) as u64,
                });
            }
        }
        for &(key, _, window_ms) in limits {
            let window = now_ms.div_euclid(window_ms);
            let entry = windows
                .entry(key.to_string())
                .or_insert((window, 0, window_ms));
            if entry.0 != window {
                *entry = (window, 0, window_ms);
            }
            entry.1 += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_limit_then_refuses_until_the_next_window() {
        let l = RateLimiter::new(true);
        let t = 10_000;
        for _ in 0..10 {
            l.check("a", 10, 1000, t).unwrap();
        }
        assert_eq!(
            l.check("a", 10, 1000, t + 500),
            Err(Exceeded {
                limit: 10,
                reset_secs: 1
            })
        );
        l.check("b", 10, 1000, t).unwrap();
        l.check("a", 10, 1000, t + 1000).unwrap();
    }

    #[test]
    fn a_request_refused_by_one_limit_uses_none_of_the_others() {
        let l = RateLimiter::new(true);
        let both = [("s", 50, 1000), ("m", 60, 60_000)];
        for second in 0..2 {
            for _ in 0..30 {
                l.check_all(&both, second * 1000).unwrap();
            }
        }
        // 60 in the minute: the minute limit refuses, and the second's count is not spent.
        let err = l.check_all(&both, 2000).unwrap_err();
        assert_eq!(
            err,
            Exceeded {
                limit: 60,
                reset_secs: 58
            }
        );
        l.check_all(&[("s", 50, 1000)], 2000).unwrap();
        l.check_all(&both, 60_000).unwrap();
    }

    #[test]
    fn off_means_off() {
        let l = RateLimiter::new(false);
        for _ in 0..100 {
            l.check("a", 1, 1000, 0).unwrap();
        }
    }
}
