//! `larkfeed serve`: the local Feishu IM API server.

use clap::ValueEnum;
use larkfeed_server::startup::ConnectionLimits;
use larkfeed_server::store::sqlite::{Durability, Location};
use larkfeed_server::world::World;
use larkfeed_server::{Application, Config, DEFAULT_PORT};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Sync {
    Normal,
    Full,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Port to listen on (0 picks a free one and prints it).
    #[arg(long, env = "LARKFEED_PORT", default_value_t = DEFAULT_PORT)]
    port: u16,
    /// Address to listen on.
    #[arg(long, env = "LARKFEED_HOST", default_value = "127.0.0.1")]
    host: String,
    /// SQLite database file (created if missing), a sqlite:// URL, `memory` for a database
    /// that lives in RAM and is discarded at exit (fast; for test suites), or a
    /// postgres://user@host/db URL (add `?schema=NAME` to keep larkfeed's tables in a schema).
    #[arg(long, env = "LARKFEED_DATABASE", default_value = "larkfeed.db")]
    database: String,
    /// `normal`: an acknowledged write survives the process being killed. `full`: it also
    /// survives a power loss (each commit waits for the disk).
    #[arg(long, env = "LARKFEED_SYNC", value_enum, default_value = "normal")]
    sync: Sync,
    /// Seconds a client has to send a request's headers, counted from when the server is ready
    /// for its next request; a half-sent or idle connection is closed after this.
    #[arg(long, env = "LARKFEED_HEADER_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout: u64,
    /// Seconds to answer one request; past it the answer is code 1500 ("request timed out").
    #[arg(long, env = "LARKFEED_REQUEST_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    request_timeout: u64,
    /// Connections open at once; one more is answered 1500 ("server busy") and closed.
    #[arg(long, env = "LARKFEED_MAX_CONNECTIONS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    max_connections: u64,
    /// World file (TOML) with the tenant, users and apps; the built-in demo world if absent.
    #[arg(long, env = "LARKFEED_WORLD")]
    world: Option<PathBuf>,
    /// Apply the platform's rate limits (on), or serve as fast as possible (off).
    #[arg(long, env = "LARKFEED_RATE_LIMITS", value_enum, default_value = "on")]
    rate_limits: Switch,
    /// Connections to PostgreSQL this instance keeps (with --database postgres://…).
    #[arg(long, env = "LARKFEED_POOL_SIZE", default_value_t = larkfeed_server::startup::DEFAULT_POOL_SIZE as u64, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pool_size: u64,
    /// How many Open API calls GET /_larkfeed/requests keeps (the newest).
    #[arg(long, env = "LARKFEED_REQUESTS_KEPT", default_value_t = larkfeed_server::platform::DEFAULT_REQUESTS_KEPT)]
    requests_kept: usize,
    /// Load a saved state (a file `--export-on-exit` or GET /_larkfeed/state wrote) before
    /// serving; it replaces what the database holds.
    #[arg(long, value_name = "FILE", env = "LARKFEED_IMPORT")]
    import: Option<PathBuf>,
    /// On SIGINT or SIGTERM, once the requests in flight are answered, write the whole state
    /// to FILE (for `--import` next time).
    #[arg(long, value_name = "FILE", env = "LARKFEED_EXPORT_ON_EXIT")]
    export_on_exit: Option<PathBuf>,
}

/// `admin_token`: the global `--admin-token`; when set, every `/_larkfeed/` call needs it, and
/// only with it will the server listen on an address other than loopback.
pub async fn serve(args: &ServeArgs, admin_token: Option<String>) -> anyhow::Result<()> {
    let world = match &args.world {
        Some(path) => World::load(path)?,
        None => World::default_world(),
    };
    let mut config = Config::new(args.database.clone());
    config.host = args.host.clone();
    config.port = args.port;
    config.world = world;
    config.rate_limits = args.rate_limits == Switch::On;
    config.admin_token = admin_token;
    config.requests_kept = args.requests_kept;
    config.pool_size = usize::try_from(args.pool_size).unwrap_or(16);
    config.import = args.import.clone();
    config.export_on_exit = args.export_on_exit.clone();
    config.limits = ConnectionLimits {
        header_timeout: Duration::from_secs(args.header_timeout),
        request_timeout: Duration::from_secs(args.request_timeout),
        max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
    };
    config.durability = match args.sync {
        Sync::Normal => Durability::Normal,
        Sync::Full => Durability::Full,
    };
    let database = if larkfeed_server::startup::is_postgres(&args.database) {
        format!(
            "PostgreSQL {} (pool of {})",
            without_password(&args.database),
            args.pool_size
        )
    } else {
        match Location::parse(&args.database) {
            Location::Memory => "in memory (nothing on disk; discarded at exit)".to_string(),
            Location::File(path) => format!(
                "{} (sync {})",
                path.display(),
                match args.sync {
                    Sync::Normal => "normal: survives a killed process",
                    Sync::Full => "full: survives a power loss",
                }
            ),
        }
    };
    // Held until the process ends: one server per SQLite file.
    let _lock = match Location::parse(&args.database) {
        Location::File(path) if !larkfeed_server::startup::is_postgres(&args.database) => {
            lock_database(&path)?
        }
        _ => None,
    };
    let app = Application::bind(config).await?;
    let signals = StopSignals::listen();
    let world = app.state().world.clone();
    let first = &world.apps[0];
    println!("larkfeed listening on {}", app.base_url());
    println!("  database:    {database}");
    println!(
        "  world:       {}",
        args.world
            .as_ref()
            .map_or("built-in demo world".into(), |p| p.display().to_string())
    );
    for change in app.world_changes() {
        println!("  world changed since this database was made: {change}");
    }
    println!(
        "  rate limits: {}",
        if app.state().limits.enabled() {
            "on"
        } else {
            "off"
        }
    );
    println!(
        "  app \"{}\": app_id={} app_secret={}",
        first.name, first.app_id, first.app_secret
    );
    println!(
        "  every app and user id: curl {}/_larkfeed/world",
        app.base_url()
    );
    println!("  inspector:   {}/_larkfeed/ui", app.base_url());
    let shutdown = async move {
        let signal = signals.recv().await;
        tracing::info!(signal, "shutting down: finishing the requests in flight");
    };
    app.run_until(shutdown).await?;
    tracing::info!("stopped: every request answered, the database closed");
    Ok(())
}

/// Takes `<database>.lock` for this process, or says which process has it. Two servers on one
/// file would each keep their own caches, rate limits and writer and disagree; several
/// instances share PostgreSQL instead. The lock goes with the process, however it ends.
fn lock_database(path: &std::path::Path) -> anyhow::Result<Option<std::fs::File>> {
    use std::io::{Read, Seek, Write};
    let Some(name) = path.file_name() else {
        return Ok(None);
    };
    let mut lock_name = name.to_os_string();
    lock_name.push(".lock");
    let lock_path = path.with_file_name(lock_name);
    if lock_path
        .parent()
        .is_some_and(|d| !d.as_os_str().is_empty() && !d.is_dir())
    {
        // The database's own error names the missing folder.
        return Ok(None);
    }
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(|e| anyhow::anyhow!("cannot open the lock file {}: {e}", lock_path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            let pid = pid.trim();
            anyhow::bail!(
                "the database {} is in use by another larkfeed server (pid {}; its lock is {}). \
                 Stop that one, or give this one another --database. Several instances that \
                 share one state belong on PostgreSQL (--database postgres://…)",
                path.display(),
                if pid.is_empty() { "unknown" } else { pid },
                lock_path.display()
            );
        }
        Err(std::fs::TryLockError::Error(e)) => {
            anyhow::bail!("cannot lock {}: {e}", lock_path.display())
        }
    }
    file.set_len(0)?;
    file.rewind()?;
    writeln!(file, "{}", std::process::id())?;
    file.flush()?;
    Ok(Some(file))
}

/// A database URL fit to print: any password replaced.
fn without_password(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// SIGINT (Ctrl-C) and SIGTERM (what process managers send), listened for from the moment this
/// is made, so a signal that arrives right after the banner is not missed.
pub(crate) struct StopSignals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    pub(crate) fn listen() -> StopSignals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            StopSignals {
                term: signal(SignalKind::terminate()).ok(),
                int: signal(SignalKind::interrupt()).ok(),
            }
        }
        #[cfg(not(unix))]
        StopSignals {}
    }

    /// Waits for either and names it.
    pub(crate) async fn recv(mut self) -> &'static str {
        #[cfg(unix)]
        {
            let term = async {
                match self.term.as_mut() {
                    Some(s) => s.recv().await,
                    None => std::future::pending().await,
                }
            };
            let int = async {
                match self.int.as_mut() {
                    Some(s) => s.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = term => "SIGTERM",
                _ = int => "SIGINT",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "SIGINT"
        }
    }
}
