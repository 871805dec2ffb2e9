//! What every handler can reach: the store, the world, the clock and the rate limiter.

use crate::clock::Clock;
use crate::ratelimit::RateLimiter;
use crate::store::Store;
use crate::world::World;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub world: Arc<World>,
    pub clock: Clock,
    pub limits: Arc<RateLimiter>,
}
