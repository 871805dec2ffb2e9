//! Tenants made at run time (`POST /_larkfeed/tenants`), one per parallel test worker: each is
//! a whole platform of its own (world, store, rate limits, logs, faults, event stream, long
//! connections), so nothing one does shows in another. The server's top routes each request to
//! its tenant:
//!
//! - `?tenant=KEY` on any path (acts, logs, faults, `/_larkfeed/events`, the inspector);
//! - a tenant access token, which names its tenant (`t-KEY_…`);
//! - for the token endpoints and the long connection's endpoint, the `app_id` in the body;
//! - the long connection itself, by the `tenant=` its URL carries.
//!
//! Anything else goes to the server's own tenant (the world file's), as before tenants existed.
//!
//! A tenant's data lives apart: in memory beside a memory database, in `<file>.tenants/KEY.db`
//! beside a SQLite file, or in a schema of its own on PostgreSQL (`…_t_KEY`). The tenants'
//! worlds are kept in the server's own database (its `meta`), so a restarted server, or another
//! instance on the same PostgreSQL, serves them too; a deleted one is dropped everywhere.

use crate::error::ApiError;
use crate::platform::{PlatformState, TenantControl};
use crate::startup::{start_platform, Making};
use crate::world::{World, WorldFile};
use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use axum::Router;
use larkfeed_model::ErrorCode;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// The `meta` key prefix the tenants' worlds are kept under.
const REGISTRY: &str = "tenant:";

/// PostgreSQL connections a tenant made at run time keeps, at most.
const TENANT_POOL: usize = 4;

/// One tenant made at run time.
struct Made {
    state: PlatformState,
    router: Router,
    database: String,
}

pub struct Tenants {
    own: PlatformState,
    own_router: Router,
    /// The server's own database: the tenants' databases are named after it.
    database: String,
    making: Making,
    made: RwLock<HashMap<String, Arc<Made>>>,
    /// app_id → tenant key, for the calls that name only an app.
    apps: RwLock<HashMap<String, String>>,
    /// One tenant opened at a time (its database made, its schema migrated).
    opening: tokio::sync::Mutex<()>,
}

impl Tenants {
    /// The server's own tenant, and every tenant its database remembers.
    pub(crate) async fn start(
        own: PlatformState,
        database: &str,
        making: Making,
    ) -> anyhow::Result<Arc<Tenants>> {
        let tenants = Arc::new(Tenants {
            own_router: crate::routes::router(own.clone()),
            own: own.clone(),
            database: database.to_string(),
            making,
            made: RwLock::default(),
            apps: RwLock::default(),
            opening: tokio::sync::Mutex::new(()),
        });
        let control: Arc<dyn TenantControl> = tenants.clone();
        let _ = own.platform.tenants.set(control);
        tenants.catch_up().await?;
        Ok(tenants)
    }

    /// The service the listener serves: each request to its tenant's router.
    pub fn service(self: &Arc<Self>) -> Front {
        Front(self.clone())
    }

    /// Opens every tenant the registry lists and this instance has not opened.
    async fn catch_up(&self) -> anyhow::Result<()> {
        for (key, world) in self.own.store.metas(REGISTRY).await? {
            let key = key[REGISTRY.len()..].to_string();
            if self.get(&key).is_some() {
                continue;
            }
            let file: WorldFile = serde_json::from_str(&world)
                .map_err(|e| anyhow::anyhow!("tenant {key}: its kept world does not read: {e}"))?;
            self.open(&key, file).await?;
        }
        Ok(())
    }

    fn get(&self, key: &str) -> Option<Arc<Made>> {
        let made = self.made.read().unwrap_or_else(|e| e.into_inner());
        made.get(key).cloned()
    }

    /// A tenant this instance knows, or one another instance made since (read from the
    /// registry).
    async fn find(&self, key: &str) -> Option<Arc<Made>> {
        if let Some(made) = self.get(key) {
            return Some(made);
        }
        if let Err(e) = self.catch_up().await {
            tracing::warn!(error = %e, "the tenants registry could not be read");
        }
        self.get(key)
    }

    /// The tenant made at run time an app belongs to: one this instance knows, or, for an
    /// app of neither the server's world nor a known tenant, one another instance made since.
    async fn tenant_of_app(&self, app_id: &str) -> Option<String> {
        let known = |tenants: &Tenants| {
            let apps = tenants.apps.read().unwrap_or_else(|e| e.into_inner());
            apps.get(app_id).cloned()
        };
        if let Some(key) = known(self) {
            return Some(key);
        }
        if self.own.world.app(app_id).is_some() {
            return None;
        }
        if let Err(e) = self.catch_up().await {
            tracing::warn!(error = %e, "the tenants registry could not be read");
        }
        known(self)
    }

    /// Starts a tenant's platform on its own database.
    async fn open(&self, key: &str, file: WorldFile) -> anyhow::Result<Arc<Made>> {
        let _one = self.opening.lock().await;
        if let Some(made) = self.get(key) {
            return Ok(made);
        }
        let mut world = World::from_file(file)?;
        world.tenant.made_at_run_time = true;
        let database = database_of(&self.database, key)?;
        let clock = crate::clock::Clock::system();
        // Many tenants share one PostgreSQL: each keeps a few connections.
        let making = Making {
            pool_size: self.making.pool_size.min(TENANT_POOL),
            ..self.making.clone()
        };
        let (state, _) = start_platform(&making, &database, world, clock).await?;
        let made = Arc::new(Made {
            router: crate::routes::router(state.clone()),
            state,
            database,
        });
        {
            let mut apps = self.apps.write().unwrap_or_else(|e| e.into_inner());
            for app in &made.state.world.apps {
                apps.insert(app.app_id.to_string(), key.to_string());
            }
        }
        let mut all = self.made.write().unwrap_or_else(|e| e.into_inner());
        all.insert(key.to_string(), made.clone());
        tracing::info!(tenant = key, "tenant opened");
        Ok(made)
    }

    /// Drops this instance's handle on a tenant; its platform stops when the last request
    /// holding it ends.
    fn take(&self, key: &str) -> Option<Arc<Made>> {
        let made = {
            let mut all = self.made.write().unwrap_or_else(|e| e.into_inner());
            all.remove(key)?
        };
        let mut apps = self.apps.write().unwrap_or_else(|e| e.into_inner());
        apps.retain(|_, k| k != key);
        Some(made)
    }

    async fn route(&self, req: Request) -> Response {
        let (req, key) = match which(req, self).await {
            Ok(found) => found,
            Err(refusal) => return refusal,
        };
        let router = match key {
            None => self.own_router.clone(),
            Some(Which::Named(key)) => match self.find(&key).await {
                Some(made) => made.router.clone(),
                None => {
                    return ApiError::with_msg(
                        ErrorCode::NotFound,
                        format!("no tenant has the key {key:?}"),
                    )
                    .into_response()
                }
            },
            // A token or an app naming a tenant this instance does not know: the server's own
            // tenant answers (the token or app is unknown there too).
            Some(Which::Claimed(key)) => match self.find(&key).await {
                Some(made) => made.router.clone(),
                None => self.own_router.clone(),
            },
        };
        match tower::ServiceExt::oneshot(router, req).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }

    /// Ends every tenant's change-feed streams: the server is stopping.
    pub fn close_streams(&self) {
        self.own.platform.close_streams();
        let made = self.made.read().unwrap_or_else(|e| e.into_inner());
        for tenant in made.values() {
            tenant.state.platform.close_streams();
        }
    }

    /// What a new tenant's caller needs: its key, and its world as `/_larkfeed/world` shows
    /// one (apps with credentials, each app's ids of every user).
    fn describe(made: &Made, key: &str) -> serde_json::Value {
        let mut world = made.state.world.describe();
        world["tenant_key"] = serde_json::json!(key);
        world
    }
}

/// The listener's service: a request goes to its tenant's router (a plain service rather than a
/// router of its own, so a call meets one router, not two).
#[derive(Clone)]
pub struct Front(Arc<Tenants>);

impl<B> tower::Service<axum::http::Request<B>> for Front
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future = futures_util::future::BoxFuture<'static, Result<Response, Self::Error>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: axum::http::Request<B>) -> Self::Future {
        let tenants = self.0.clone();
        Box::pin(async move { Ok(tenants.route(req.map(Body::new)).await) })
    }
}

/// How a request names its tenant.
enum Which {
    /// `?tenant=KEY`: that tenant, or an error.
    Named(String),
    /// A token or an app of the tenant: that tenant if it exists.
    Claimed(String),
}

/// The tenant a request is for, if not the server's own. The token endpoints' and the long
/// connection endpoint's bodies are read (and put back) to find their app.
async fn which(req: Request, tenants: &Tenants) -> Result<(Request, Option<Which>), Response> {
    // Tenants are made, listed and deleted on the server's own tenant, whatever `?tenant=` says
    // (a helper that adds it to every call deletes its tenant as it deletes anything else).
    if req.uri().path().starts_with("/_larkfeed/tenants") {
        return Ok((req, None));
    }
    if let Some(key) = query_tenant(req.uri().query()) {
        return Ok((req, Some(Which::Named(key))));
    }
    let token = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.trim().strip_prefix("Bearer "))
        .and_then(token_tenant);
    if let Some(key) = token {
        return Ok((req, Some(Which::Claimed(key))));
    }
    let path = req.uri().path();
    let names_app = path == "/open-apis/auth/v3/tenant_access_token/internal"
        || path == "/open-apis/auth/v3/app_access_token/internal"
        || path == crate::platform::ws::ENDPOINT_PATH;
    // Without tenants (and without other instances that may have made some) there is no
    // other app to find.
    let may_have_tenants = crate::startup::is_postgres(&tenants.database)
        || !tenants.apps.read().map_or(true, |a| a.is_empty());
    if !names_app || !may_have_tenants {
        return Ok((req, None));
    }
    let own = &tenants.own;
    let (parts, body) = req.into_parts();
    // A body that stalls is cut off here as the server's front cuts it off.
    let body = crate::body::timed(body, own.header_timeout, own.request_timeout);
    let bytes = match axum::body::to_bytes(body, crate::platform::requests::MAX_BODY).await {
        Ok(bytes) => bytes,
        // Cut off or too big: the server's own tenant answers it as any such body, from the
        // same error.
        Err(e) => {
            let again = futures_util::stream::once(std::future::ready(Err::<
                axum::body::Bytes,
                axum::Error,
            >(e)));
            return Ok((Request::from_parts(parts, Body::from_stream(again)), None));
        }
    };
    let app_id = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| {
            v.get("app_id")
                .or_else(|| v.get("AppID"))
                .and_then(|a| a.as_str())
                .map(str::to_string)
        });
    let key = match app_id {
        Some(id) => tenants.tenant_of_app(&id).await,
        None => None,
    };
    Ok((
        Request::from_parts(parts, Body::from(bytes)),
        key.map(Which::Claimed),
    ))
}

/// `tenant=` in a query string.
fn query_tenant(query: Option<&str>) -> Option<String> {
    let query = query.filter(|q| q.contains("tenant="))?;
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(k, v)| k == "tenant" && !v.is_empty())
        .map(|(_, v)| v)
}

/// The tenant a tenant access token names: `t-KEY_…` (the server's own are `t-g…`, without
/// `_`).
fn token_tenant(token: &str) -> Option<String> {
    let (key, _) = token.trim().strip_prefix("t-")?.split_once('_')?;
    (!key.is_empty() && key.bytes().all(|b| b.is_ascii_hexdigit())).then(|| key.to_string())
}

/// Where a tenant's data lives, beside the server's own database.
fn database_of(own: &str, key: &str) -> anyhow::Result<String> {
    if crate::startup::is_postgres(own) {
        let (base, query) = own.split_once('?').unwrap_or((own, ""));
        let mut params: Vec<String> = Vec::new();
        let mut own_schema = "lf".to_string();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.strip_prefix("schema=") {
                Some(schema) => own_schema = schema.to_string(),
                None => params.push(pair.to_string()),
            }
        }
        params.push(format!("schema={own_schema}_t_{key}"));
        return Ok(format!("{base}?{}", params.join("&")));
    }
    match crate::store::sqlite::Location::parse(own) {
        crate::store::sqlite::Location::Memory => Ok("memory".to_string()),
        crate::store::sqlite::Location::File(path) => {
            let mut dir = path.as_os_str().to_owned();
            dir.push(".tenants");
            let dir = std::path::PathBuf::from(dir);
            std::fs::create_dir_all(&dir)
                .map_err(|e| anyhow::anyhow!("cannot make {}: {e}", dir.display()))?;
            Ok(dir.join(format!("{key}.db")).display().to_string())
        }
    }
}

fn failed(e: impl std::fmt::Display) -> ApiError {
    ApiError::with_msg(ErrorCode::InternalError, e.to_string())
}

#[async_trait::async_trait]
impl TenantControl for Tenants {
    async fn create(&self, file: Option<WorldFile>) -> Result<serde_json::Value, ApiError> {
        let source = file.unwrap_or_else(|| self.own.world.source.clone());
        let world = World::new_tenant(&source).map_err(|e| {
            ApiError::field(
                ErrorCode::ImInvalidParam,
                larkfeed_model::FieldError::new("body", e.to_string()),
            )
        })?;
        let key = world.tenant.tenant_key.clone();
        let kept = serde_json::to_string(&world.source).map_err(failed)?;
        self.own
            .store
            .set_meta(&format!("{REGISTRY}{key}"), &kept)
            .await?;
        let made = self
            .open(&key, world.source.clone())
            .await
            .map_err(failed)?;
        Ok(Tenants::describe(&made, &key))
    }

    async fn list(&self) -> Result<Vec<serde_json::Value>, ApiError> {
        let mut items = Vec::new();
        for (meta_key, kept) in self.own.store.metas(REGISTRY).await? {
            let key = &meta_key[REGISTRY.len()..];
            let world = serde_json::from_str::<WorldFile>(&kept)
                .map_err(|e| e.to_string())
                .and_then(|file| World::from_file(file).map_err(|e| e.to_string()));
            let world = match world {
                Ok(world) => world,
                Err(e) => {
                    tracing::warn!(tenant = key, error = %e, "a tenant's kept world does not read");
                    continue;
                }
            };
            let apps: Vec<_> = world
                .apps
                .iter()
                .map(|a| serde_json::json!({"app_id": a.app_id, "name": a.name}))
                .collect();
            items.push(serde_json::json!({
                "tenant_key": key,
                "name": world.tenant.name,
                "apps": apps,
                "users": world.users.len(),
            }));
        }
        Ok(items)
    }

    async fn delete(&self, key: &str) -> Result<bool, ApiError> {
        let known = self
            .own
            .store
            .delete_meta(&format!("{REGISTRY}{key}"))
            .await?;
        self.own.platform.share_tenant_gone(key);
        let Some(made) = self.take(key) else {
            return Ok(known);
        };
        made.state.platform.close_streams();
        made.state.store.destroy().await?;
        if let crate::store::sqlite::Location::File(path) =
            crate::store::sqlite::Location::parse(&made.database)
        {
            if !crate::startup::is_postgres(&made.database) {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.as_os_str().to_owned();
                    file.push(suffix);
                    let _ = std::fs::remove_file(std::path::PathBuf::from(file));
                }
            }
        }
        tracing::info!(tenant = key, "tenant deleted");
        Ok(true)
    }

    async fn reset(&self, key: &str) -> Result<bool, ApiError> {
        let Some(made) = self.find(key).await else {
            return Ok(false);
        };
        crate::platform::saved::reset(&made.state).await?;
        Ok(true)
    }

    fn open_here(&self) -> usize {
        self.made.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    fn forget(&self, key: &str) {
        if let Some(made) = self.take(key) {
            made.state.platform.close_streams();
            tracing::info!(tenant = key, "tenant deleted on another instance");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_tenant_and_the_servers_own_do_not() {
        assert_eq!(token_tenant("t-0123abcd_ffee").as_deref(), Some("0123abcd"));
        assert_eq!(token_tenant("t-g0123456789abcdef"), None);
        assert_eq!(token_tenant("t-not hex_x"), None);
        assert_eq!(token_tenant("u-abc_def"), None);
    }

    #[test]
    fn a_tenants_database_sits_beside_the_servers() {
        assert_eq!(database_of("memory", "ab").unwrap(), "memory");
        assert_eq!(
            database_of("postgres://u@h/db?schema=mine&sslmode=disable", "ab").unwrap(),
            "postgres://u@h/db?sslmode=disable&schema=mine_t_ab"
        );
        assert_eq!(
            database_of("postgres://u@h/db", "ab").unwrap(),
            "postgres://u@h/db?schema=lf_t_ab"
        );
        let dir = tempfile::tempdir().unwrap();
        let own = dir.path().join("x.db");
        let made = database_of(own.to_str().unwrap(), "ab").unwrap();
        assert!(made.ends_with("x.db.tenants/ab.db"), "{made}");
    }

    #[test]
    fn the_query_names_a_tenant() {
        assert_eq!(
            query_tenant(Some("limit=5&tenant=ab")).as_deref(),
            Some("ab")
        );
        assert_eq!(query_tenant(Some("tenant=")), None);
        assert_eq!(query_tenant(None), None);
    }
}
