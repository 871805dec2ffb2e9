//! Per-app, per-API request limits as the platform applies them: a count per fixed window of the
//! server clock. On SQLite the counters are this process's (a restart forgives, which matches what
//! a client sees); on PostgreSQL they are the database's ([`SharedCounters`]), so several
//! instances together accept what one would.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, MutexGuard};

/// Independent locks the counters are spread over, so callers with different keys rarely meet.
const SHARDS: usize = 32;

/// key → (window number, requests counted in it, window length in ms).
type Windows = HashMap<String, (i64, u32, i64)>;

pub struct RateLimiter {
    enabled: bool,
    shards: Vec<Mutex<Windows>>,
    /// Counters kept where every instance sees them, if there are several.
    shared: Option<std::sync::Arc<dyn SharedCounters>>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("enabled", &self.enabled)
            .field("shared", &self.shared.is_some())
            .finish()
    }
}

/// Counters several instances share (the PostgreSQL store).
#[async_trait::async_trait]
pub trait SharedCounters: Send + Sync {
    /// Counts one request against every `(key, limit, window_ms)`, or against none if any is
    /// full: `Ok(None)` when counted, `Ok(Some((limit, ms_left)))` when refused.
    async fn count_all(
        &self,
        limits: &[(String, u32, i64)],
        now_ms: i64,
    ) -> Result<Option<(u32, i64)>, String>;
    /// Forgets windows that ended before `now_ms`.
    async fn purge(&self, now_ms: i64) -> Result<(), String>;
}

/// Over the limit: retry after this many seconds (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exceeded {
    pub limit: u32,
    pub reset_secs: u64,
}

fn shard_of(key: &str) -> usize {
    let mut h = DefaultHasher::new();
    key.hash(&mut h);
    (h.finish() as usize) % SHARDS
}

fn lock(m: &Mutex<Windows>) -> MutexGuard<'_, Windows> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl RateLimiter {
    pub fn new(enabled: bool) -> Self {
        RateLimiter {
            enabled,
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            shared: None,
        }
    }

    /// Limits counted in `counters`, shared with every instance that uses them.
    pub fn shared(enabled: bool, counters: std::sync::Arc<dyn SharedCounters>) -> Self {
        RateLimiter {
            shared: Some(counters),
            ..RateLimiter::new(enabled)
        }
    }

    /// As [`RateLimiter::check_all`], against the shared counters when there are any. If they
    /// cannot be reached the request is let through (and logged): a limit is not worth an outage.
    pub async fn count_all(
        &self,
        limits: &[(&str, u32, i64)],
        now_ms: i64,
    ) -> Result<(), Exceeded> {
        if !self.enabled {
            return Ok(());
        }
        let Some(shared) = &self.shared else {
            return self.check_all(limits, now_ms);
        };
        let owned: Vec<(String, u32, i64)> = limits
            .iter()
            .map(|(k, n, w)| (k.to_string(), *n, *w))
            .collect();
        match shared.count_all(&owned, now_ms).await {
            Ok(None) => Ok(()),
            Ok(Some((limit, ms_left))) => Err(Exceeded {
                limit,
                reset_secs: ((ms_left + 999) / 1000).max(1) as u64,
            }),
            Err(e) => {
                tracing::warn!(error = %e, "the shared rate-limit counters cannot be reached; the request is let through");
                Ok(())
            }
        }
    }

    /// Counts one request against `key` (as [`RateLimiter::check_all`]), shared when there are several instances.
    pub async fn count(
        &self,
        key: &str,
        limit: u32,
        window_ms: i64,
        now_ms: i64,
    ) -> Result<(), Exceeded> {
        self.count_all(&[(key, limit, window_ms)], now_ms).await
    }

    /// Forgets expired windows, here and in the shared counters.
    pub async fn purge_all(&self, now_ms: i64) {
        self.purge(now_ms);
        if let Some(shared) = &self.shared {
            if let Err(e) = shared.purge(now_ms).await {
                tracing::debug!(error = %e, "purging the shared rate-limit windows failed");
            }
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Counts one request against every `(key, limit, window_ms)`, or against none of them if
    /// any is already full (a refused request uses no quota). Only the shards of these keys are
    /// locked, always in the same order.
    pub fn check_all(&self, limits: &[(&str, u32, i64)], now_ms: i64) -> Result<(), Exceeded> {
        if !self.enabled {
            return Ok(());
        }
        let shard_ids: Vec<usize> = limits.iter().map(|(k, _, _)| shard_of(k)).collect();
        let mut order = shard_ids.clone();
        order.sort_unstable();
        order.dedup();
        let mut guards: Vec<MutexGuard<'_, Windows>> =
            order.iter().map(|&i| lock(&self.shards[i])).collect();
        // Where each key's shard sits among the guards (which follow `order`).
        let slots: Vec<usize> = shard_ids
            .iter()
            .map(|i| order.binary_search(i).unwrap_or_default())
            .collect();
        for (&(key, limit, window_ms), &slot) in limits.iter().zip(&slots) {
            let window = now_ms.div_euclid(window_ms);
            let used = match guards[slot].get(key) {
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
        for (&(key, _, window_ms), &slot) in limits.iter().zip(&slots) {
            let window = now_ms.div_euclid(window_ms);
            let windows = &mut guards[slot];
            match windows.get_mut(key) {
                Some(entry) if entry.0 == window => entry.1 += 1,
                Some(entry) => *entry = (window, 1, window_ms),
                None => {
                    windows.insert(key.to_string(), (window, 1, window_ms));
                }
            }
        }
        Ok(())
    }

    /// Forgets the counters of windows that have passed. Run from a timer, one shard at a time,
    /// so no caller waits for it.
    pub fn purge(&self, now_ms: i64) {
        for shard in &self.shards {
            lock(shard).retain(|_, (w, _, len)| (*w + 1) * *len >= now_ms);
        }
    }

    /// Counters currently kept.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
            l.check_all(&[("a", 10, 1000)], t).unwrap();
        }
        assert_eq!(
            l.check_all(&[("a", 10, 1000)], t + 500),
            Err(Exceeded {
                limit: 10,
                reset_secs: 1
            })
        );
        l.check_all(&[("b", 10, 1000)], t).unwrap();
        l.check_all(&[("a", 10, 1000)], t + 1000).unwrap();
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
    fn purging_forgets_only_windows_that_have_passed() {
        let l = RateLimiter::new(true);
        l.check_all(&[("second", 10, 1000)], 10_000).unwrap();
        l.check_all(&[("minute", 10, 60_000)], 10_000).unwrap();
        l.purge(12_000);
        assert_eq!(l.len(), 1);
        l.purge(61_000);
        assert!(l.is_empty());
    }

    #[test]
    fn many_threads_at_once_get_exactly_the_limit() {
        let l = std::sync::Arc::new(RateLimiter::new(true));
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(50));
        let passed: usize = (0..50)
            .map(|i| {
                let (l, barrier) = (l.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    let both = [
                        ("app", 10, 1000),
                        (if i % 2 == 0 { "x" } else { "y" }, 50, 1000),
                    ];
                    usize::from(l.check_all(&both, 5_000).is_ok())
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .sum();
        assert_eq!(passed, 10);
    }

    #[test]
    fn off_means_off() {
        let l = RateLimiter::new(false);
        for _ in 0..100 {
            l.check_all(&[("a", 1, 1000)], 0).unwrap();
        }
    }
}
