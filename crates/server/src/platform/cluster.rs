//! Several instances on one PostgreSQL database behaving as one platform. The data and the
//! rate-limit counters are in the database already; what each instance keeps in memory is kept in
//! step through PostgreSQL's `NOTIFY`: changes for the event stream, the admin clock, the faults,
//! and "forget" after a reset or a state load (the caches of facts that were true before).

use super::PlatformState;
use crate::store::postgres::PgStore;
use crate::store::MetaStore;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// PostgreSQL refuses notification payloads of 8,000 bytes and more.
const MAX_PAYLOAD: usize = 7_900;

pub struct Cluster {
    /// This instance, so it can ignore its own notifications.
    pub instance: String,
    store: Arc<PgStore>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Note {
    from: String,
    kind: String,
    body: serde_json::Value,
}

impl Cluster {
    pub fn new(store: Arc<PgStore>) -> Cluster {
        Cluster {
            instance: uuid::Uuid::new_v4().simple().to_string(),
            store,
        }
    }

    /// Tells the other instances (in the background; a lost note is logged).
    pub fn send(&self, kind: &str, body: serde_json::Value) {
        let mut note = Note {
            from: self.instance.clone(),
            kind: kind.to_string(),
            body,
        };
        let mut payload = serde_json::to_string(&note).unwrap_or_default();
        if payload.len() > MAX_PAYLOAD {
            // A change's bodies are the large part: the others learn of the change without them.
            if let Some(detail) = note.body.get_mut("detail").and_then(|d| d.as_object_mut()) {
                detail.remove("request");
                detail.remove("data");
                detail.insert("truncated".into(), true.into());
            }
            payload = serde_json::to_string(&note).unwrap_or_default();
        }
        if payload.len() > MAX_PAYLOAD {
            tracing::warn!(
                kind,
                "a note for the other instances is too large and was not sent"
            );
            return;
        }
        let store = self.store.clone();
        tokio::spawn(async move {
            if let Err(e) = store.notify(&payload).await {
                tracing::warn!(error = %e, "the other instances could not be told of a change");
            }
        });
    }
}

/// Joins the cluster: applies the shared clock, then listens for the other instances' notes for
/// as long as the server runs (reconnecting when the database comes back).
pub async fn join(state: &PlatformState, store: Arc<PgStore>) -> anyhow::Result<()> {
    if let Some(json) = store.meta("clock").await? {
        if let Ok(settings) = serde_json::from_str::<(i64, i64)>(&json) {
            state.clock.apply(settings);
        }
    }
    let cluster = Arc::new(Cluster::new(store.clone()));
    let _ = state.platform.cluster.set(cluster.clone());
    let weak = state.downgrade();
    let clock = state.clock.clone();
    let mut listening = Some(store.listen().await?);
    tokio::spawn(async move {
        loop {
            let (_client, mut notes) = match listening.take() {
                Some(l) => l,
                None => match store.listen().await {
                    Ok(l) => {
                        tracing::info!("listening to the other instances again");
                        l
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "cannot listen to the other instances yet");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                },
            };
            while let Some(payload) = notes.recv().await {
                let Some(parts) = weak.upgrade() else {
                    return;
                };
                let (platform, caches) = (&parts.platform, &parts.caches);
                let Ok(note) = serde_json::from_str::<Note>(&payload) else {
                    continue;
                };
                if note.from == cluster.instance {
                    continue;
                }
                match note.kind.as_str() {
                    "change" => {
                        if let Ok(change) = serde_json::from_value::<Heard>(note.body) {
                            platform.publish_here(&change.kind, change.at_ms, change.detail);
                        }
                    }
                    "clock" => {
                        if let Ok(settings) = serde_json::from_value(note.body) {
                            clock.apply(settings);
                        }
                    }
                    "faults" => {
                        if let Ok(faults) = serde_json::from_value(note.body) {
                            platform.faults.replace(faults);
                        }
                    }
                    "bot_left" => {
                        let chat_id = note.body["chat_id"].as_str().unwrap_or_default();
                        let app_id = note.body["app_id"].as_str().unwrap_or_default();
                        caches
                            .bots_in_chats
                            .remove(&(chat_id.to_string(), app_id.to_string()));
                    }
                    "forget" => {
                        caches.forget_state();
                        platform.start_over_here();
                    }
                    "tenant_gone" => {
                        let key = note.body["tenant_key"].as_str().unwrap_or_default();
                        if let Some(tenants) = platform.tenants.get() {
                            tenants.forget(key);
                        }
                    }
                    _ => {}
                }
            }
            if weak.upgrade().is_none() {
                return;
            }
            tracing::warn!("lost the connection the other instances' notes come on; reconnecting");
        }
    });
    Ok(())
}

/// A change as another instance published it.
#[derive(Debug, Deserialize)]
struct Heard {
    kind: String,
    at_ms: i64,
    detail: serde_json::Value,
}
