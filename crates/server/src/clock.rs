//! The server's notion of now. Rules read time only from here, so tests and users can move it
//! (cross the 14-day patch window or a token's expiry without waiting).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Wall-clock time plus an adjustable offset. Cheap to clone; clones share the offset.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock::default()
    }

    /// Milliseconds since the Unix epoch, as the server sees them.
    pub fn now_ms(&self) -> i64 {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        wall + self.offset_ms.load(Ordering::Relaxed)
    }

    /// Moves the server's time forward (or back, with a negative amount).
    pub fn advance_ms(&self, ms: i64) {
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// Sets the server's time to `at_ms`.
    pub fn set_ms(&self, at_ms: i64) {
        let now = self.now_ms();
        self.advance_ms(at_ms - now);
    }

    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_is_shared_by_clones() {
        let a = Clock::system();
        let b = a.clone();
        let before = b.now_ms();
        a.advance_ms(15 * 24 * 3600 * 1000);
        assert!(b.now_ms() - before >= 15 * 24 * 3600 * 1000);
        a.set_ms(1_000);
        assert!(b.now_ms() < 10_000);
    }
}
