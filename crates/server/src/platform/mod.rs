//! The platform's side of the conversation: what Feishu sends to an app (card callbacks and
//! events, signed and encrypted as `FACTS.md` §5 says), what a user does (`act`), and what a
//! test suite needs to watch and steer the server (the request and delivery logs, faults, the
//! change feed).

pub mod act;
pub mod cluster;
pub mod crypto;
pub mod delivery;
pub mod endpoints;
pub mod faults;
pub mod journal;
pub mod metrics;
pub mod requests;
pub mod saved;
pub mod timers;
pub mod ws;

use crate::state::AppState;
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::broadcast;

/// Requests kept by `GET /_larkfeed/requests` unless configured otherwise.
pub const DEFAULT_REQUESTS_KEPT: usize = 1_000;
/// Deliveries kept by `GET /_larkfeed/deliveries`.
pub const DELIVERIES_KEPT: usize = 1_000;

/// One change, as `GET /_larkfeed/events` streams it.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// `feed_card.created`, `feed_card.updated`, `feed_card.deleted`, `message.sent`,
    /// `message.updated`, `message.recalled`, `delivery`, `reset`, `state.loaded`,
    /// `chat_button.updated`, `connection.opened`, `connection.closed`, ….
    pub kind: String,
    pub at_ms: i64,
    #[serde(flatten)]
    pub detail: serde_json::Value,
}

/// What the platform half of the server keeps: logs, faults, the change feed, the HTTP client
/// that reaches apps.
pub struct Platform {
    /// Built on the first delivery: a server that never calls an app never pays for it.
    http: std::sync::OnceLock<reqwest::Client>,
    pub deliveries: journal::Ring<delivery::DeliveryRecord>,
    pub requests: journal::Ring<requests::RequestRecord>,
    pub faults: faults::Faults,
    /// The apps' open long connections.
    pub ws: ws::WsHub,
    /// Timers on the server's clock (event retries): [`timers::Timers::settled`] waits for the
    /// ones due.
    pub timers: std::sync::Arc<timers::Timers>,
    changes: broadcast::Sender<Change>,
    /// The other instances on the same PostgreSQL database, if there may be any.
    pub cluster: std::sync::OnceLock<std::sync::Arc<cluster::Cluster>>,
    /// Bumped by a reset or a state load: event retries scheduled before it are dropped.
    generation: AtomicU64,
    next_delivery: AtomicU64,
    /// What `GET /_larkfeed/metrics` shows.
    pub metrics: metrics::Metrics,
    /// True once the server stops or the tenant is deleted: the change feed's streams end.
    closing: tokio::sync::watch::Sender<bool>,
    /// The tenants made at run time, reached from the server's own tenant only (the
    /// `/_larkfeed/tenants` routes); set once the server is built.
    pub tenants: std::sync::OnceLock<std::sync::Arc<dyn TenantControl>>,
}

/// Making, emptying and deleting tenants at run time (`/_larkfeed/tenants`): the server's
/// top, which routes requests to tenants, does it; the routes reach it through this.
#[async_trait::async_trait]
pub trait TenantControl: Send + Sync {
    /// A new tenant of the given world, or of the server's own world file: its key, apps
    /// (with credentials) and users.
    async fn create(
        &self,
        file: Option<crate::world::WorldFile>,
    ) -> Result<serde_json::Value, crate::error::ApiError>;
    /// Every tenant made at run time, on any instance: key, name, apps (ids and names) and how
    /// many users, in key order.
    async fn list(&self) -> Result<Vec<serde_json::Value>, crate::error::ApiError>;
    /// Removes the tenant and everything it holds; whether there was one.
    async fn delete(&self, key: &str) -> Result<bool, crate::error::ApiError>;
    /// Empties the tenant's state; whether there was one.
    async fn reset(&self, key: &str) -> Result<bool, crate::error::ApiError>;
    /// How many tenants made at run time this instance has open.
    fn open_here(&self) -> usize;
    /// Another instance deleted the tenant: drops this instance's handle on it.
    fn forget(&self, key: &str);
}

/// What the router and the platform's side reach: the services' [`AppState`] and the
/// [`Platform`]. One reference count to clone, as `AppState` is; its fields are reached through
/// it (`state.store`, `state.platform`), and an `AppState` is taken from it where a service is
/// called (`&state.app`).
#[derive(Clone)]
pub struct PlatformState(std::sync::Arc<Parts>);

/// What [`PlatformState`] holds.
pub struct Parts {
    pub app: AppState,
    /// Deliveries to apps, the request log, faults, the change feed.
    pub platform: Platform,
}

impl PlatformState {
    pub fn new(app: AppState, platform: Platform) -> PlatformState {
        PlatformState(std::sync::Arc::new(Parts { app, platform }))
    }

    /// A handle that does not keep the server alive (for tasks that end with it).
    pub fn downgrade(&self) -> std::sync::Weak<Parts> {
        std::sync::Arc::downgrade(&self.0)
    }
}

impl std::ops::Deref for PlatformState {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0
    }
}

/// A service's state field (`state.store`, `state.clock`) read through the platform's.
impl std::ops::Deref for Parts {
    type Target = AppState;

    fn deref(&self) -> &AppState {
        &self.app
    }
}

impl AsRef<AppState> for PlatformState {
    fn as_ref(&self) -> &AppState {
        &self.app
    }
}

impl Platform {
    /// `commit_batches`: the store's group commit sizes, when it groups them; `own`: the
    /// server's own tenant (not one made at run time).
    pub fn new(
        requests_kept: usize,
        commit_batches: Option<prometheus_client::metrics::histogram::Histogram>,
        own: bool,
    ) -> Platform {
        Platform {
            metrics: metrics::Metrics::new(commit_batches, own),
            tenants: std::sync::OnceLock::new(),
            closing: tokio::sync::watch::Sender::new(false),
            http: std::sync::OnceLock::new(),
            deliveries: journal::Ring::new(DELIVERIES_KEPT),
            requests: journal::Ring::new(requests_kept),
            faults: faults::Faults::default(),
            ws: ws::WsHub::default(),
            timers: Default::default(),
            changes: broadcast::channel(1024).0,
            cluster: std::sync::OnceLock::new(),
            generation: AtomicU64::new(0),
            next_delivery: AtomicU64::new(1),
        }
    }

    /// The HTTP client that reaches apps.
    pub fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            reqwest::Client::builder()
                .timeout(delivery::ANSWER_WITHIN)
                .redirect(reqwest::redirect::Policy::none())
                .http1_title_case_headers()
                .no_proxy()
                .build()
                .expect("an HTTP client with no TLS settings of its own builds")
        })
    }

    /// Tells every `/_larkfeed/events` listener, on this instance and the others.
    pub fn publish(&self, kind: &'static str, at_ms: i64, detail: serde_json::Value) {
        self.share(
            "change",
            serde_json::json!({"kind": kind, "at_ms": at_ms, "detail": detail}),
        );
        self.publish_here(kind, at_ms, detail);
    }

    /// Tells this instance's `/_larkfeed/events` listeners (no listener: nothing happens).
    pub fn publish_here(&self, kind: &str, at_ms: i64, detail: serde_json::Value) {
        let _ = self.changes.send(Change {
            kind: kind.to_string(),
            at_ms,
            detail,
        });
    }

    /// Whether anyone would hear of a change: a `/_larkfeed/events` listener here, or other
    /// instances.
    pub fn wants_changes(&self) -> bool {
        self.changes.receiver_count() > 0 || self.cluster.get().is_some()
    }

    /// Sends a note to the other instances, if there may be any.
    pub fn share(&self, kind: &str, body: serde_json::Value) {
        if let Some(cluster) = self.cluster.get() {
            cluster.send(kind, body);
        }
    }

    /// Ends the change feed's streams (`/_larkfeed/events`): the server is stopping, or the
    /// tenant was deleted.
    pub fn close_streams(&self) {
        self.closing.send_replace(true);
    }

    /// Resolves once [`Platform::close_streams`] was called.
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut closing = self.closing.subscribe();
        async move {
            let _ = closing.wait_for(|c| *c).await;
        }
    }

    /// Tells the other instances that a tenant made at run time was deleted.
    pub fn share_tenant_gone(&self, key: &str) {
        self.share("tenant_gone", serde_json::json!({"tenant_key": key}));
    }

    /// Tells the other instances that a bot left a chat (their caches remember bots in chats).
    pub fn share_bot_left(&self, chat_id: &str, app_id: &str) {
        self.share(
            "bot_left",
            serde_json::json!({"chat_id": chat_id, "app_id": app_id}),
        );
    }

    /// Tells the other instances the faults now in force.
    pub fn share_faults(&self) {
        if self.cluster.get().is_some() {
            self.share(
                "faults",
                serde_json::to_value(self.faults.list()).unwrap_or_default(),
            );
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Forgets the logs and faults and drops pending retries (a reset or a state load), here
    /// and on the other instances, which also forget their caches.
    pub fn start_over(&self) {
        self.share("forget", serde_json::Value::Null);
        self.start_over_here();
    }

    /// [`Platform::start_over`] on this instance only.
    pub fn start_over_here(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.deliveries.clear();
        self.requests.clear();
        self.faults.clear();
    }

    fn delivery_id(&self) -> u64 {
        self.next_delivery.fetch_add(1, Ordering::Relaxed)
    }
}
