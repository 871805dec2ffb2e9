//! A bounded log kept in memory: the newest `capacity` records, read newest first.

use serde::Serialize;
use std::collections::VecDeque;
use std::sync::Mutex;

#[derive(Debug)]
pub struct Ring<T> {
    capacity: usize,
    items: Mutex<VecDeque<T>>,
}

impl<T: Clone + Serialize> Ring<T> {
    pub fn new(capacity: usize) -> Ring<T> {
        Ring {
            capacity,
            items: Mutex::new(VecDeque::new()),
        }
    }

    pub fn push(&self, item: T) {
        if self.capacity == 0 {
            return;
        }
        let mut items = self.items.lock().unwrap_or_else(|e| e.into_inner());
        if items.len() == self.capacity {
            items.pop_front();
        }
        items.push_back(item);
    }

    /// Up to `limit` records that pass `keep`, the newest first.
    pub fn newest(&self, limit: usize, keep: impl Fn(&T) -> bool) -> Vec<T> {
        let items = self.items.lock().unwrap_or_else(|e| e.into_inner());
        items
            .iter()
            .rev()
            .filter(|t| keep(t))
            .take(limit)
            .cloned()
            .collect()
    }

    pub fn clear(&self) {
        self.items.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_and_reads_them_newest_first() {
        let ring = Ring::new(3);
        for i in 0..5 {
            ring.push(i);
        }
        assert_eq!(ring.newest(10, |_| true), vec![4, 3, 2]);
        assert_eq!(ring.newest(1, |i| i % 2 == 1), vec![3]);
        ring.clear();
        assert!(ring.newest(10, |_| true).is_empty());
    }
}
