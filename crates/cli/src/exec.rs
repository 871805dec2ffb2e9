//! `larkfeed exec -- COMMAND`: a larkfeed of its own for one command (a test run, a script).
//! The server starts on a free port with a memory database, the command runs with
//! `LARKFEED_URL` and `LARKFEED_BASE_URL` naming it (which pytest-larkfeed, larkfeed-testing,
//! the SDK and the CLI all read), and when the command ends the server stops, writing its state
//! first if asked. larkfeed exits with the command's status.

use crate::serve::{StopSignals, Switch};
use larkfeed_server::world::World;
use larkfeed_server::{Application, Config};
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct ExecArgs {
    /// World file (TOML) with the tenant, users and apps; the built-in demo world if absent.
    #[arg(long, env = "LARKFEED_WORLD")]
    world: Option<PathBuf>,
    /// The database: `memory` (the default; gone when the command ends), a SQLite file, or a
    /// postgres:// URL.
    #[arg(long, default_value = "memory")]
    database: String,
    /// Apply the platform's rate limits (on), or serve as fast as possible (off).
    #[arg(long, value_enum, default_value = "on")]
    rate_limits: Switch,
    /// Load a saved state (`--export-on-exit`'s file, or GET /_larkfeed/state's) first.
    #[arg(long, value_name = "FILE")]
    import: Option<PathBuf>,
    /// When the command ends, write the whole state to FILE (for `--import` next time).
    #[arg(long, value_name = "FILE")]
    export_on_exit: Option<PathBuf>,
    /// The command to run, and its arguments (after `--`).
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    command: Vec<OsString>,
}

/// Runs the command beside a server of its own; the command's exit status.
pub async fn exec(args: &ExecArgs, admin_token: Option<String>) -> anyhow::Result<u8> {
    let mut config = Config::new(args.database.clone());
    config.port = 0;
    config.world = match &args.world {
        Some(path) => World::load(path)?,
        None => World::default_world(),
    };
    config.rate_limits = args.rate_limits == Switch::On;
    config.admin_token = admin_token;
    config.import = args.import.clone();
    config.export_on_exit = args.export_on_exit.clone();
    let app = Application::bind(config).await?;
    let base = app.base_url();
    let shown = args
        .command
        .iter()
        .map(|a| a.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ");
    // Listened for before the command starts: a Ctrl-C reaches the command too (one process
    // group), and larkfeed waits for it to end rather than dying first.
    let signals = StopSignals::listen();
    let mut child = tokio::process::Command::new(&args.command[0])
        .args(&args.command[1..])
        .env("LARKFEED_URL", &base)
        .env("LARKFEED_BASE_URL", &base)
        .spawn()
        .map_err(|e| anyhow::anyhow!("cannot run {}: {e}", args.command[0].to_string_lossy()))?;
    // Said once the command runs and signals are caught (a test may signal on reading it).
    eprintln!("larkfeed: serving {base} for `{shown}`");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let status = tokio::select! {
        status = child.wait() => status?,
        signal = signals.recv() => {
            tracing::info!(signal, "passing the signal on to the command and waiting for it");
            if let Some(pid) = child.id().and_then(|p| rustix::process::Pid::from_raw(p as i32)) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
            }
            match tokio::time::timeout(Duration::from_secs(10), child.wait()).await {
                Ok(status) => status?,
                Err(_) => {
                    child.start_kill()?;
                    child.wait().await?
                }
            }
        }
    };
    let _ = stop.send(());
    server.await??;
    Ok(exit_code(status))
}

/// The command's status as a process exit code: its code, or 128 + the signal that ended it.
fn exit_code(status: std::process::ExitStatus) -> u8 {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return u8::try_from(128 + signal).unwrap_or(255);
        }
    }
    status
        .code()
        .map_or(1, |c| u8::try_from(c & 0xff).unwrap_or(1))
}
