//! Building and running the server: [`Config`] says what to serve, [`Application::bind`] opens the
//! database and the listener (port 0 picks a free port, as tests do), [`Application::run`] serves.

use crate::clock::Clock;
use crate::platform::PlatformState;
use crate::ratelimit::RateLimiter;
use crate::state::{AppState, Caches, Shared};
use crate::store::sqlite::{Durability, Location, SqliteStore};
use crate::store::Store;
use crate::world::World;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// PostgreSQL connections per instance unless told otherwise.
pub const DEFAULT_POOL_SIZE: usize = 16;

/// The default port: not one a common service uses.
pub const DEFAULT_PORT: u16 = 8980;

#[derive(Debug, Clone)]
pub struct Config {
    pub host: String,
    pub port: u16,
    /// `memory`, `sqlite://path`, or a plain path to a SQLite file.
    pub database: String,
    /// How hard each commit tries to reach the disk.
    pub durability: Durability,
    pub world: World,
    pub rate_limits: bool,
    pub clock: Clock,
    pub limits: ConnectionLimits,
    /// Required of every `/_larkfeed/` call when set; the server will not listen on an address
    /// other than loopback without it.
    pub admin_token: Option<String>,
    /// How many Open API calls `GET /_larkfeed/requests` keeps.
    pub requests_kept: usize,
    /// Connections to PostgreSQL (no effect on SQLite).
    pub pool_size: usize,
    /// A state document (`GET /_larkfeed/state`'s) loaded before the first request.
    pub import: Option<PathBuf>,
    /// Where the state is written once the server has stopped (after the requests in flight).
    pub export_on_exit: Option<PathBuf>,
}

/// What keeps a slow or idle client from holding the server's resources.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Time to receive a request's headers, counted from when the server is ready for the next
    /// request: a connection that sends half a request, or sits idle between requests this
    /// long, is closed.
    pub header_timeout: Duration,
    /// Time to answer one request; past it the client gets 1500 ("request timed out").
    pub request_timeout: Duration,
    /// Connections open at once; one more is answered 1500 ("server busy") and closed.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            max_connections: 10_000,
        }
    }
}

impl Config {
    pub fn new(database: impl Into<String>) -> Config {
        Config {
            host: "127.0.0.1".into(),
            port: DEFAULT_PORT,
            database: database.into(),
            durability: Durability::Normal,
            world: World::default_world(),
            rate_limits: true,
            clock: Clock::system(),
            limits: ConnectionLimits::default(),
            admin_token: None,
            requests_kept: crate::platform::DEFAULT_REQUESTS_KEPT,
            pool_size: DEFAULT_POOL_SIZE,
            import: None,
            export_on_exit: None,
        }
    }
}

pub struct Application {
    listener: TcpListener,
    state: PlatformState,
    limits: ConnectionLimits,
    world_changes: Vec<String>,
    export_on_exit: Option<PathBuf>,
    /// The server's own tenant and those made at run time; requests go to theirs.
    tenants: Arc<crate::tenants::Tenants>,
}

/// What every tenant's platform is made with: the server's own and those made at run time.
#[derive(Clone)]
pub(crate) struct Making {
    pub durability: Durability,
    pub pool_size: usize,
    pub rate_limits: bool,
    pub request_timeout: Duration,
    pub header_timeout: Duration,
    pub admin_token: Option<Arc<str>>,
    pub requests_kept: usize,
}

/// One tenant's platform on `database`: its store opened (and, on PostgreSQL, joined to the
/// other instances on it), its world remembered (how it changed since the database last served
/// one comes back), its stored keys sealed, its purger running.
pub(crate) async fn start_platform(
    making: &Making,
    database: &str,
    world: World,
    clock: crate::clock::Clock,
) -> anyhow::Result<(PlatformState, Vec<String>)> {
    let Opened { store, shared } =
        open_store(database, making.durability, making.pool_size).await?;
    let limits = match &shared {
        Some(pg) => RateLimiter::shared(making.rate_limits, pg.clone()),
        None => RateLimiter::new(making.rate_limits),
    };
    let world_changes = remember_world(store.as_ref(), &world).await?;
    let state = AppState::new(Shared {
        store,
        world: Arc::new(world),
        clock,
        limits: Arc::new(limits),
        caches: Arc::new(Caches::default()),
        stats: Arc::default(),
        request_timeout: making.request_timeout,
        header_timeout: making.header_timeout,
        admin_token: making.admin_token.clone(),
    });
    let batches = state.store.commit_batches();
    let own = !state.world.tenant.made_at_run_time;
    let platform = crate::platform::Platform::new(making.requests_kept, batches, own);
    let state = PlatformState::new(state, platform);
    if let Some(pg) = shared {
        crate::platform::cluster::join(&state, pg).await?;
    }
    crate::platform::endpoints::seal_plain_keys(&state)
        .await
        .map_err(|e| anyhow::anyhow!("sealing the apps' stored keys: {}", e.msg))?;
    spawn_purger(&state);
    Ok((state, world_changes))
}

/// Whether a database URL names PostgreSQL.
pub fn is_postgres(database: &str) -> bool {
    database.starts_with("postgres://") || database.starts_with("postgresql://")
}

/// The store a database URL names, and, for PostgreSQL, the same store as what several
/// instances share (rate-limit counters, the notification channel).
pub struct Opened {
    pub store: Arc<dyn Store>,
    pub shared: Option<Arc<crate::store::postgres::PgStore>>,
}

/// Picks the store from the database URL's scheme: PostgreSQL (with a pool of `pool_size`
/// connections), or SQLite.
pub async fn open_store(
    database: &str,
    durability: Durability,
    pool_size: usize,
) -> anyhow::Result<Opened> {
    if is_postgres(database) {
        let pg = Arc::new(crate::store::postgres::PgStore::connect(database, pool_size).await?);
        return Ok(Opened {
            store: pg.clone(),
            shared: Some(pg),
        });
    }
    let location = Location::parse(database);
    Ok(Opened {
        store: Arc::new(SqliteStore::open(&location, durability)?),
        shared: None,
    })
}

/// How often expired rate-limit windows and tokens are forgotten.
const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

impl Application {
    pub async fn bind(config: Config) -> anyhow::Result<Application> {
        let admin_token = config.admin_token.clone().filter(|t| !t.is_empty());
        if admin_token.is_none() && !is_loopback(&config.host) {
            anyhow::bail!(
                "refusing to listen on {} without an admin token: anyone who can reach it could \
                 read app secrets and change state through /_larkfeed/. Set --admin-token (or \
                 LARKFEED_ADMIN_TOKEN), or listen on 127.0.0.1",
                config.host
            );
        }
        if let Some(path) = &config.export_on_exit {
            crate::platform::saved::check_writable(path)?;
        }
        let listener = TcpListener::bind((config.host.as_str(), config.port))
            .await
            .map_err(|e| {
                anyhow::anyhow!("cannot listen on {}:{}: {e}", config.host, config.port)
            })?;
        // After the port: a server that cannot listen leaves no database behind.
        let making = Making {
            durability: config.durability,
            pool_size: config.pool_size,
            rate_limits: config.rate_limits,
            request_timeout: config.limits.request_timeout,
            header_timeout: config.limits.header_timeout,
            admin_token: admin_token.map(Arc::from),
            requests_kept: config.requests_kept,
        };
        let (state, world_changes) =
            start_platform(&making, &config.database, config.world, config.clock).await?;
        if let Some(path) = &config.import {
            let rows = crate::platform::saved::load_file(&state, path).await?;
            tracing::info!(file = %path.display(), rows, "state imported");
        }
        let tenants =
            crate::tenants::Tenants::start(state.clone(), &config.database, making).await?;
        Ok(Application {
            listener,
            tenants,
            state,
            limits: config.limits,
            world_changes,
            export_on_exit: config.export_on_exit,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn base_url(&self) -> String {
        match self.listener.local_addr() {
            Ok(addr) => format!("http://{addr}"),
            Err(_) => String::new(),
        }
    }

    /// What the services reach: the store, the world, the clock…
    pub fn state(&self) -> &AppState {
        &self.state.app
    }

    /// What the router reaches: the services' state and the platform's logs, faults and long
    /// connections.
    pub fn platform_state(&self) -> &PlatformState {
        &self.state
    }

    /// How the world differs from the one the database was last served with (empty if it does
    /// not, or the database is new).
    pub fn world_changes(&self) -> &[String] {
        &self.world_changes
    }

    pub async fn run(self) -> std::io::Result<()> {
        self.run_until(std::future::pending()).await
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    ///
    /// HTTP/1.1 with title-case header names: the Python SDK reads `X-Tt-Logid` from a plain,
    /// case-sensitive dict of the response headers, so `x-tt-logid` would be lost to it.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let store = self.state.store.clone();
        let kept = self.export_on_exit.as_ref().map(|_| self.state.clone());
        let limits = self.limits;
        drop(self.state);
        let service = TowerToHyperService::new(self.tenants.service());
        let open = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
        // Connections watch `stopping` and finish their request in flight when it turns true;
        // each holds a clone of `alive`, so `all_done` ends when the last one is gone.
        let (stopping, _) = tokio::sync::watch::channel(false);
        let (alive, mut all_done) = tokio::sync::mpsc::channel::<()>(1);
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let (stream, _) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a moment rather than spin.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            let Ok(permit) = open.clone().try_acquire_owned() else {
                tokio::spawn(crate::routes::turn_away(stream, limits.max_connections));
                continue;
            };
            let conn = http1::Builder::new()
                .title_case_headers(true)
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .serve_connection(
                    TokioIo::new(crate::canned::EnvelopeIo::new(stream)),
                    service.clone(),
                )
                // The SDKs' long connection is a WebSocket on this port.
                .with_upgrades();
            let mut stop = stopping.subscribe();
            let alive = alive.clone();
            tokio::spawn(async move {
                let mut conn = std::pin::pin!(conn);
                let ended = tokio::select! {
                    ended = conn.as_mut() => ended,
                    () = stopped(&mut stop) => {
                        conn.as_mut().graceful_shutdown();
                        conn.await
                    }
                };
                if let Err(e) = ended {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                drop((permit, alive));
            });
        }
        let _ = stopping.send(true);
        self.tenants.close_streams();
        drop(alive);
        let _ = all_done.recv().await;
        // Every answered write is in the store now: the state is whole.
        if let (Some(path), Some(state)) = (&self.export_on_exit, kept) {
            match crate::platform::saved::save_file(&state, path).await {
                Ok(rows) => tracing::info!(file = %path.display(), rows, "state exported"),
                Err(e) => tracing::error!(error = %e, "the state was not exported"),
            }
        }
        if let Err(e) = store.close().await {
            tracing::warn!(error = %e, "the database did not close cleanly");
        }
        Ok(())
    }
}

/// Returns when the server starts to stop.
async fn stopped(stop: &mut tokio::sync::watch::Receiver<bool>) {
    loop {
        if *stop.borrow_and_update() {
            return;
        }
        if stop.changed().await.is_err() {
            return std::future::pending().await;
        }
    }
}

/// Whether a listen address is only reachable from this machine.
fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Compares the world with the one the database was last served with, says what changed, and
/// remembers this one.
async fn remember_world(store: &dyn Store, world: &World) -> anyhow::Result<Vec<String>> {
    let fingerprint = world.fingerprint();
    let changes = match store.meta("world").await? {
        Some(json) => match serde_json::from_str(&json) {
            Ok(before) => world.changes_since(&before),
            Err(_) => Vec::new(),
        },
        None => Vec::new(),
    };
    for change in &changes {
        tracing::warn!("this database was made with another world: {change}");
    }
    store
        .set_meta("world", &serde_json::to_string(&fingerprint)?)
        .await?;
    Ok(changes)
}

/// Forgets expired rate-limit windows and tokens on a timer, so no caller waits for it. The
/// task ends with the server (it holds only weak references).
fn spawn_purger(state: &AppState) {
    let limits = Arc::downgrade(&state.limits);
    let caches = Arc::downgrade(&state.caches);
    let clock = state.clock.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PURGE_EVERY);
        loop {
            tick.tick().await;
            let (Some(limits), Some(caches)) = (limits.upgrade(), caches.upgrade()) else {
                return;
            };
            let now = clock.now_ms();
            limits.purge_all(now).await;
            caches.purge(now);
        }
    });
}
