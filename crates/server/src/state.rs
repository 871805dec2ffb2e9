//! What every handler can reach: the store, the world, the clock, the rate limiter, the caches
//! of what never changes once stored, and counters.

use crate::clock::Clock;
use crate::ratelimit::RateLimiter;
use crate::store::Store;
use crate::world::World;
use dashmap::{DashMap, DashSet};
use larkfeed_model::ChatId;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Cloned for every request (by each middleware and the `State` extractor), so it is one
/// reference count: cloning a struct of many `Arc`s made both cores fight over their counters.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] holds.
pub struct Shared {
    pub store: Arc<dyn Store>,
    pub world: Arc<World>,
    pub clock: Clock,
    pub limits: Arc<RateLimiter>,
    pub caches: Arc<Caches>,
    pub stats: Arc<Stats>,
    /// How long one request may take before it is answered 1500.
    pub request_timeout: std::time::Duration,
    /// How long a request's body may send nothing before it is cut off.
    pub header_timeout: std::time::Duration,
    /// When set, every `/_larkfeed/` call needs `Authorization: Bearer <it>`.
    pub admin_token: Option<Arc<str>>,
}

/// The caches' hasher: aHash, not the standard SipHash, which callgrind showed costing about
/// 700 instructions per call in the token and membership lookups.
type Hasher = ahash::RandomState;

/// Facts that never change once they are true, kept in memory so the hot paths skip the
/// database: a token is valid until its expiry, a one-to-one chat keeps its id, and a bot is
/// never removed from a chat. Each is filled from the store on first use.
#[derive(Debug, Default)]
pub struct Caches {
    /// token → (app_id, expires_at_ms).
    pub tokens: DashMap<String, (Arc<str>, i64), Hasher>,
    /// One-to-one chat key → chat_id.
    pub p2p_chats: DashMap<String, ChatId, Hasher>,
    /// (chat_id, app_id) of bots known to be in a chat.
    pub bots_in_chats: DashSet<(String, String), Hasher>,
}

impl Caches {
    /// Forgets what the store no longer holds after a reset or a state load (tokens stay).
    pub fn forget_state(&self) {
        self.p2p_chats.clear();
        self.bots_in_chats.clear();
    }

    /// Forgets tokens that expired before `now_ms`.
    pub fn purge(&self, now_ms: i64) {
        self.tokens.retain(|_, (_, expires)| *expires > now_ms);
    }
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
