//! Faults a test injects (`POST /_larkfeed/faults`): matching Open API calls fail with a code of
//! the platform's, or wait first, so an app's retry paths can be exercised.

use rand::Rng;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

/// A fault as posted: which calls (method, and a path that is exact or ends in `*` for a
/// prefix), what they answer (code, HTTP status, message) and how often (the next `times`
/// calls, or each call with probability `ratio`; neither: every call), after `delay_ms`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    #[serde(default)]
    pub method: Option<String>,
    pub path: String,
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub http_status: Option<u16>,
    #[serde(default)]
    pub msg: Option<String>,
    #[serde(default)]
    pub times: Option<u32>,
    #[serde(default)]
    pub ratio: Option<f64>,
    #[serde(default)]
    pub delay_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fault {
    pub id: u64,
    #[serde(flatten)]
    pub spec: FaultSpec,
    /// Calls it has hit so far.
    pub hits: u64,
}

/// What a matching call gets.
#[derive(Debug, Clone)]
pub struct Hit {
    pub delay_ms: u64,
    /// `(code, http_status, msg)`, or none for a delay alone.
    pub answer: Option<(i64, u16, String)>,
}

#[derive(Debug, Default)]
pub struct Faults {
    inner: Mutex<(u64, Vec<Fault>)>,
    /// How many faults are in force, so a call with none to meet takes no lock.
    count: std::sync::atomic::AtomicUsize,
}

impl FaultSpec {
    /// A rule the spec breaks, in words.
    pub fn problem(&self) -> Option<String> {
        if !self.path.starts_with('/') {
            return Some("path: must start with / (end it with * to match a prefix)".into());
        }
        if self.times.is_some() && self.ratio.is_some() {
            return Some("times, ratio: give one or the other".into());
        }
        if self.ratio.is_some_and(|r| !(0.0..=1.0).contains(&r)) {
            return Some("ratio: must be between 0 and 1".into());
        }
        if self.times == Some(0) {
            return Some("times: at least 1".into());
        }
        if let Some(s) = self.http_status {
            if !(200..=599).contains(&s) {
                return Some("http_status: must be 200 to 599".into());
            }
        }
        if self.code.is_none() && self.delay_ms.is_none() {
            return Some("code, delay_ms: a fault needs a code to answer, a delay, or both".into());
        }
        if self.delay_ms.is_some_and(|d| d > 600_000) {
            return Some("delay_ms: at most 600000".into());
        }
        None
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        let method_ok = self
            .method
            .as_deref()
            .is_none_or(|m| m == "*" || m.eq_ignore_ascii_case(method));
        let path_ok = match self.path.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => self.path == path,
        };
        method_ok && path_ok
    }
}

impl Faults {
    pub fn add(&self, spec: FaultSpec) -> Fault {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.0 += 1;
        let fault = Fault {
            id: inner.0,
            spec,
            hits: 0,
        };
        inner.1.push(fault.clone());
        self.count
            .store(inner.1.len(), std::sync::atomic::Ordering::Release);
        fault
    }

    pub fn list(&self) -> Vec<Fault> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .clone()
    }

    /// Takes the list another instance has.
    pub fn replace(&self, faults: Vec<Fault>) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.0 = inner.0.max(faults.iter().map(|f| f.id).max().unwrap_or(0));
        inner.1 = faults;
        self.count
            .store(inner.1.len(), std::sync::atomic::Ordering::Release);
    }

    pub fn clear(&self) {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .clear();
    }

    /// The first fault this call meets, counted (a fault whose `times` are spent is removed).
    pub fn hit(&self, method: &str, path: &str) -> Option<Hit> {
        if self.count.load(std::sync::atomic::Ordering::Acquire) == 0 {
            return None;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let faults = &mut inner.1;
        let i = faults.iter().position(|f| {
            f.spec.matches(method, path)
                && f.spec
                    .ratio
                    .is_none_or(|r| rand::thread_rng().gen_bool(r.clamp(0.0, 1.0)))
        })?;
        let fault = &mut faults[i];
        fault.hits += 1;
        let spec = fault.spec.clone();
        if spec.times.is_some_and(|t| fault.hits >= u64::from(t)) {
            faults.remove(i);
            self.count
                .store(faults.len(), std::sync::atomic::Ordering::Release);
        }
        Some(Hit {
            delay_ms: spec.delay_ms.unwrap_or(0),
            answer: spec.code.map(|code| {
                (
                    code,
                    spec.http_status.unwrap_or(if code == 99991400 {
                        429
                    } else if code == 1500 {
                        500
                    } else {
                        400
                    }),
                    spec.msg.unwrap_or_else(|| {
                        larkfeed_model::ErrorCode::from_code(code)
                            .map(|c| c.message().to_string())
                            .unwrap_or_else(|| "injected fault".into())
                    }),
                )
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(path: &str, times: Option<u32>) -> FaultSpec {
        FaultSpec {
            path: path.into(),
            code: Some(230020),
            times,
            ..FaultSpec::default()
        }
    }

    #[test]
    fn a_counted_fault_hits_that_many_calls_then_goes() {
        let faults = Faults::default();
        faults.add(spec("/open-apis/im/v1/messages", Some(2)));
        assert!(faults.hit("POST", "/open-apis/im/v1/messages").is_some());
        assert!(faults.hit("POST", "/open-apis/im/v1/chats").is_none());
        let hit = faults.hit("POST", "/open-apis/im/v1/messages").unwrap();
        assert_eq!(hit.answer.unwrap().1, 400);
        assert!(faults.hit("POST", "/open-apis/im/v1/messages").is_none());
        assert!(faults.list().is_empty());
    }

    #[test]
    fn a_prefix_matches_every_path_under_it() {
        let faults = Faults::default();
        faults.add(spec("/open-apis/im/v2/*", None));
        assert!(faults
            .hit("PUT", "/open-apis/im/v2/app_feed_card/batch")
            .is_some());
        assert!(faults
            .hit("GET", "/open-apis/im/v1/messages/om_1")
            .is_none());
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        assert!(spec("im", None).problem().unwrap().contains("path"));
        let both = FaultSpec {
            ratio: Some(0.5),
            ..spec("/x", Some(1))
        };
        assert!(both.problem().unwrap().contains("one or the other"));
        assert!(spec("/x", None).problem().is_none());
    }
}
