//! The server's notion of now. Rules read time only from here, so tests and users can move it
//! (cross the 14-day patch window or a token's expiry without waiting).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Wall-clock time plus an adjustable offset, or a frozen instant. Cheap to clone; clones share
/// their state.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    offset_ms: AtomicI64,
    /// The frozen instant; 0 while the clock runs.
    frozen_ms: AtomicI64,
    /// Wakes whoever waits on this clock when it is moved.
    moved: tokio::sync::Notify,
}

fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Clock {
    pub fn system() -> Clock {
        Clock::default()
    }

    /// Milliseconds since the Unix epoch, as the server sees them.
    pub fn now_ms(&self) -> i64 {
        match self.inner.frozen_ms.load(Ordering::SeqCst) {
            0 => wall_ms() + self.inner.offset_ms.load(Ordering::SeqCst),
            frozen => frozen,
        }
    }

    /// Moves the server's time forward (or back, with a negative amount).
    pub fn advance_ms(&self, ms: i64) {
        if self.is_frozen() {
            self.inner.frozen_ms.fetch_add(ms, Ordering::SeqCst);
        } else {
            self.inner.offset_ms.fetch_add(ms, Ordering::SeqCst);
        }
        self.inner.moved.notify_waiters();
    }

    /// Waits until the server's time is `due_ms` or later: as the wall clock passes, or at once
    /// when the clock is moved there.
    pub async fn sleep_until(&self, due_ms: i64) {
        loop {
            let moved = self.inner.moved.notified();
            tokio::pin!(moved);
            moved.as_mut().enable();
            let left = due_ms - self.now_ms();
            if left <= 0 {
                return;
            }
            // A frozen clock moves only when told to; a running one at the wall's pace.
            let wall = if self.is_frozen() { 3_600_000 } else { left };
            tokio::select! {
                _ = moved => {}
                _ = tokio::time::sleep(std::time::Duration::from_millis(wall as u64)) => {}
            }
        }
    }

    /// Sets the server's time to `at_ms` (it keeps running, or stays frozen, from there).
    pub fn set_ms(&self, at_ms: i64) {
        let now = self.now_ms();
        self.advance_ms(at_ms - now);
    }

    /// Stops time at the current instant until [`Clock::resume`].
    pub fn freeze(&self) {
        let now = self.now_ms();
        self.inner.frozen_ms.store(now.max(1), Ordering::SeqCst);
        self.inner.moved.notify_waiters();
    }

    /// Lets time run again from the frozen instant.
    pub fn resume(&self) {
        let frozen = self.inner.frozen_ms.swap(0, Ordering::SeqCst);
        if frozen != 0 {
            self.inner
                .offset_ms
                .store(frozen - wall_ms(), Ordering::SeqCst);
        }
        self.inner.moved.notify_waiters();
    }

    /// `(offset from the wall clock, frozen instant or 0)`: what another instance needs to show
    /// the same time ([`Clock::apply`]).
    pub fn settings(&self) -> (i64, i64) {
        (
            self.inner.offset_ms.load(Ordering::SeqCst),
            self.inner.frozen_ms.load(Ordering::SeqCst),
        )
    }

    /// Takes the settings another instance's clock gave.
    pub fn apply(&self, (offset_ms, frozen_ms): (i64, i64)) {
        self.inner.offset_ms.store(offset_ms, Ordering::SeqCst);
        self.inner.frozen_ms.store(frozen_ms, Ordering::SeqCst);
        self.inner.moved.notify_waiters();
    }

    pub fn is_frozen(&self) -> bool {
        self.inner.frozen_ms.load(Ordering::SeqCst) != 0
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

    #[test]
    fn a_frozen_clock_moves_only_when_told() {
        let c = Clock::system();
        c.freeze();
        let t = c.now_ms();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(c.now_ms(), t);
        c.advance_ms(1000);
        assert_eq!(c.now_ms(), t + 1000);
        c.resume();
        assert!(c.now_ms() >= t + 1000);
    }
}
