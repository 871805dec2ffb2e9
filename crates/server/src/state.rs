//! What every handler can reach: the store, the world, the clock, the rate limiter and counters.

use crate::clock::Clock;
use crate::ratelimit::RateLimiter;
use crate::store::Store;
use crate::world::World;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub world: Arc<World>,
    pub clock: Clock,
    pub limits: Arc<RateLimiter>,
    pub stats: Arc<Stats>,
}

/// Counters shown at `GET /_larkfeed/stats`, so a client's behaviour can be checked from outside
/// (for example that many concurrent first calls cause one token request).
#[derive(Debug, Default)]
pub struct Stats {
    /// Calls of the token endpoints.
    pub token_requests: AtomicU64,
    /// Calls of the other Open API endpoints (any answer).
    pub api_requests: AtomicU64,
}

impl Stats {
    pub fn describe(&self) -> serde_json::Value {
        serde_json::json!({
            "token_requests": self.token_requests.load(Ordering::Relaxed),
            "api_requests": self.api_requests.load(Ordering::Relaxed),
        })
    }
}
