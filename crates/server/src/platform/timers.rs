//! The platform's timers on the server's clock (an event's retries). Each waiting task says when
//! it is due; a task whose time has come keeps saying so until its work is done. So a test (or
//! a user moving the clock) can wait until every timer now due has run, [`Timers::settled`],
//! instead of sleeping and hoping.

use crate::clock::Clock;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

#[derive(Debug, Default)]
pub struct Timers {
    /// timer → the time it waits for (or waited for, while its work runs).
    due: Mutex<HashMap<u64, i64>>,
    next: AtomicU64,
    changed: Notify,
}

/// One task's timer; it is forgotten when dropped.
pub struct Timer {
    timers: Arc<Timers>,
    id: u64,
}

impl Timers {
    /// A timer for one task, not waiting yet.
    pub fn start(self: &Arc<Self>) -> Timer {
        Timer {
            timers: self.clone(),
            id: self.next.fetch_add(1, Ordering::Relaxed),
        }
    }

    fn change(&self, f: impl FnOnce(&mut HashMap<u64, i64>)) {
        f(&mut self.due.lock().unwrap_or_else(|e| e.into_inner()));
        self.changed.notify_waiters();
    }

    /// Waits until no timer due by the clock's time is still waiting or running.
    pub async fn settled(&self, clock: &Clock) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let now = clock.now_ms();
            let busy = self
                .due
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .values()
                .any(|due| *due <= now);
            if !busy {
                return;
            }
            changed.await;
        }
    }

    /// How many timers there are (waiting or running).
    pub fn len(&self) -> usize {
        self.due.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Timer {
    /// Waits until `due_ms` on the clock; the timer counts as due until the next `wait` or
    /// until it is dropped, so the work that follows is part of it.
    pub async fn wait(&self, clock: &Clock, due_ms: i64) {
        self.timers.change(|due| {
            due.insert(self.id, due_ms);
        });
        clock.sleep_until(due_ms).await;
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        let id = self.id;
        self.timers.change(|due| {
            due.remove(&id);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn settled_waits_for_the_timers_now_due_and_not_for_later_ones() {
        let clock = Clock::system();
        clock.freeze();
        let timers = Arc::new(Timers::default());
        let now = clock.now_ms();
        let (soon, later) = (timers.start(), timers.start());
        let ran = Arc::new(AtomicU64::new(0));
        let task = {
            let (clock, ran) = (clock.clone(), ran.clone());
            tokio::spawn(async move {
                soon.wait(&clock, now + 1_000).await;
                ran.fetch_add(1, Ordering::SeqCst);
                drop(soon);
            })
        };
        let waiting = {
            let clock = clock.clone();
            tokio::spawn(async move { later.wait(&clock, now + 60_000).await })
        };
        while timers.len() < 2 {
            tokio::task::yield_now().await;
        }
        timers.settled(&clock).await; // nothing is due yet
        assert_eq!(ran.load(Ordering::SeqCst), 0);
        clock.advance_ms(1_000);
        timers.settled(&clock).await;
        assert_eq!(ran.load(Ordering::SeqCst), 1, "the due timer ran first");
        assert_eq!(timers.len(), 1, "the later one still waits");
        task.await.unwrap();
        waiting.abort();
    }
}
