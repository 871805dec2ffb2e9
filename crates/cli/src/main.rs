//! `larkfeed`: run a local Feishu IM API server (`larkfeed serve`), or call the API — of a
//! larkfeed server or of the real platform — from the command line.

mod admin;
mod broadcast;
mod commands;
mod conn;
mod exec;
mod input;
mod output;
mod serve;
mod stream;
mod transfer;

use clap::{Parser, Subcommand};
use commands::{BotCmd, CardCmd, ChatButton, ChatCmd, FeedCard, MessageCmd, UserCmd};
use larkfeed_model::FieldError;
use output::Format;
use std::io::IsTerminal;
use std::process::ExitCode;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  the API answered with an error code (printed with its log id)
  2  bad command line
  3  the request breaks a rule of the API and was not sent
  4  network or HTTP failure (after retries)
  5  done, but some users failed (failed_cards / failed_user_reasons)
  6  configuration: missing credentials, unreadable profile or journal

Credentials and base URL come from flags, then LARKFEED_BASE_URL / LARKFEED_APP_ID /
LARKFEED_APP_SECRET, then the profile file (--profile, --profiles).";

#[derive(Debug, Parser)]
#[command(
    name = "larkfeed",
    version,
    about = "A local Feishu (Lark) IM API server for app feed cards, chat buttons and card messages, and a client for the same API",
    after_help = EXIT_CODES
)]
struct Cli {
    #[command(flatten)]
    conn: conn::ConnArgs,
    /// Output: JSON (for scripts) or a table (for people).
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "json",
        help_heading = "Output (client commands)"
    )]
    format: Format,
    /// The admin token: `serve` requires it on every /_larkfeed/ call (and needs it to listen
    /// beyond loopback); the admin commands send it.
    #[arg(
        long,
        env = "LARKFEED_ADMIN_TOKEN",
        global = true,
        hide_env_values = true,
        help_heading = "Connection (client commands)"
    )]
    admin_token: Option<String>,
    /// The tenant made at run time (`larkfeed tenant create`) the admin commands act in; the
    /// server's own when absent.
    #[arg(
        long,
        env = "LARKFEED_TENANT",
        global = true,
        help_heading = "Connection (client commands)"
    )]
    tenant: Option<String>,
    /// Print the request that would be sent, and send nothing.
    #[arg(long, global = true, help_heading = "Output (client commands)")]
    dry_run: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the Open API on a local port, with state in a SQLite file or PostgreSQL.
    Serve(serve::ServeArgs),
    /// Run a command beside a larkfeed of its own (memory database, a free port), with
    /// LARKFEED_URL naming it; exits with the command's status.
    Exec(exec::ExecArgs),
    /// Fetch a tenant access token for the app.
    Token,
    /// App feed cards: create, update, delete, broadcast; pin chats in users' feeds.
    #[command(subcommand)]
    FeedCard(FeedCard),
    /// The quick-action buttons of a chat's feed entry.
    #[command(subcommand)]
    ChatButton(ChatButton),
    /// Messages: send, get, patch (cards), recall, update a clicked card.
    #[command(subcommand)]
    Message(MessageCmd),
    /// Group chats: create, get, add members, list members, is the bot in.
    #[command(subcommand)]
    Chat(ChatCmd),
    /// The app's bot: its name and open_id.
    #[command(subcommand)]
    Bot(BotCmd),
    /// Users of the tenant, as the app sees them.
    #[command(subcommand)]
    User(UserCmd),
    /// Images: upload one for messages and cards, download the app's own.
    #[command(subcommand)]
    Image(transfer::ImageCmd),
    /// Files: upload one for messages, download the app's own.
    #[command(subcommand)]
    File(transfer::FileCmd),
    /// CardKit card entities: create, send, stream a text into one, change settings and
    /// elements.
    #[command(subcommand)]
    Card(CardCmd),
    /// Act as a user on a larkfeed server: click a card or a button, send a message.
    #[command(subcommand)]
    Act(admin::Act),
    /// The Open API calls a larkfeed server answered, newest first (secrets redacted).
    Requests(admin::LogArgs),
    /// The callbacks and events a larkfeed server sent to apps, newest first.
    Deliveries(admin::LogArgs),
    /// Make a larkfeed server's Open API calls fail or wait, to test an app's retries.
    #[command(subcommand)]
    Faults(admin::Faults),
    /// Empty every table of a larkfeed server (back to its world file); tokens stay valid.
    Reset,
    /// Make, list, empty or delete tenants (one per test worker); `--tenant KEY` points
    /// the other admin commands at it.
    #[command(subcommand)]
    Tenant(admin::TenantCmd),
    /// Save or load a larkfeed server's whole state (a JSON file).
    #[command(subcommand)]
    State(admin::State),
}

/// `larkfeed serve`, read apart from the client commands.
#[derive(Debug, Parser)]
#[command(
    name = "larkfeed serve",
    version,
    about = "Serve the Open API on a local port, with state in a SQLite file or PostgreSQL"
)]
struct ServeCli {
    #[command(flatten)]
    args: serve::ServeArgs,
    /// Require `Authorization: Bearer <token>` on every /_larkfeed/ call; needed to listen on
    /// an address other than loopback.
    #[arg(long, env = "LARKFEED_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
}

/// `larkfeed exec`, read on its own as `serve` is (the client commands' flags mean nothing to it).
#[derive(Debug, Parser)]
#[command(
    name = "larkfeed exec",
    version,
    about = "Run a command beside a larkfeed of its own: a memory database on a free port, \
             LARKFEED_URL and LARKFEED_BASE_URL naming it (pytest-larkfeed, larkfeed-testing, the \
             SDK and the CLI read them). The server stops when the command ends; larkfeed exits \
             with the command's status. Its logs are warnings only unless LARKFEED_LOG says more.",
    after_help = "Example: larkfeed exec -- pytest -n 4   (every worker's tests on one server, a tenant each)"
)]
struct ExecCli {
    #[command(flatten)]
    args: exec::ExecArgs,
    /// Require `Authorization: Bearer <token>` on every /_larkfeed/ call (the command is given
    /// it as LARKFEED_ADMIN_TOKEN by its environment).
    #[arg(long, env = "LARKFEED_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
}

/// Why a command did not fully succeed; each maps to one exit code.
#[derive(Debug)]
pub enum Failure {
    Client(larkfeed_client::Error),
    Invalid(FieldError),
    Usage(String),
    Config(String),
    Partial,
    Server(anyhow::Error),
    /// `larkfeed exec`'s command ended with this status.
    Exited(u8),
}

impl From<larkfeed_client::Error> for Failure {
    fn from(e: larkfeed_client::Error) -> Self {
        match e {
            larkfeed_client::Error::Validation(f) => Failure::Invalid(f),
            larkfeed_client::Error::Config(m) => Failure::Config(m),
            other => Failure::Client(other),
        }
    }
}

impl From<FieldError> for Failure {
    fn from(f: FieldError) -> Self {
        Failure::Invalid(f)
    }
}

impl Failure {
    fn exit_code(&self) -> u8 {
        match self {
            Failure::Client(larkfeed_client::Error::Api { .. }) | Failure::Server(_) => 1,
            Failure::Usage(_) => 2,
            Failure::Invalid(_) => 3,
            Failure::Client(_) => 4,
            Failure::Partial => 5,
            Failure::Config(_) => 6,
            Failure::Exited(code) => *code,
        }
    }

    fn report(&self) {
        match self {
            Failure::Client(e) if e.is_connect() => eprintln!(
                "larkfeed: cannot reach the server at {}\n  is it running? Start one with `larkfeed serve`, or pass --base-url (feishu, lark or a URL)",
                e.url().unwrap_or("the base URL")
            ),
            Failure::Client(e) => eprintln!("larkfeed: {e}"),
            Failure::Invalid(f) => eprintln!("larkfeed: invalid request, not sent: {f}"),
            Failure::Usage(m) => eprintln!("larkfeed: {m}"),
            Failure::Config(m) => eprintln!("larkfeed: {m}"),
            Failure::Partial => eprintln!("larkfeed: some users failed (see the answer)"),
            Failure::Server(e) => eprintln!("larkfeed: {e:#}"),
            Failure::Exited(_) => {}
        }
    }
}

/// The server allocates a few short-lived buffers per request from two threads at once:
/// mimalloc's per-thread heaps serve that faster than the system allocator. With its `override`
/// feature it also stands in for libc's `malloc`, which SQLite calls; with `no_thp` an idle
/// server stays at about 12 MiB.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Logs to stderr, filtered by `LARKFEED_LOG` (default `info`, `warn` under `exec`): plain text (coloured on a
/// terminal), or with `LARKFEED_LOG_FORMAT=json` one JSON object per line for a log collector.
fn init_logs(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LARKFEED_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match std::env::var("LARKFEED_LOG_FORMAT").as_deref() {
        Ok("json") => logs.json().with_current_span(false).init(),
        Ok(other) if !other.is_empty() && other != "text" => {
            logs.with_ansi(false).init();
            tracing::warn!(
                format = other,
                "LARKFEED_LOG_FORMAT takes json or text: logging text"
            );
        }
        _ => logs.with_ansi(std::io::stderr().is_terminal()).init(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    // `larkfeed serve …` is read on its own, so its help lists the server's options only (the
    // client commands' global flags mean nothing to it).
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // Under `exec` the command's own output is what matters: the server says only what is wrong.
    init_logs(if args.get(1).is_some_and(|a| a == "exec") {
        "warn"
    } else {
        "info"
    });
    if args.get(1).is_some_and(|a| a == "serve") {
        let serve = ServeCli::parse_from(
            std::iter::once(std::ffi::OsString::from("larkfeed serve"))
                .chain(args[2..].iter().cloned()),
        );
        return match serve::serve(&serve.args, serve.admin_token).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                let f = Failure::Server(e);
                f.report();
                ExitCode::from(f.exit_code())
            }
        };
    }
    if args.get(1).is_some_and(|a| a == "exec") {
        let exec = ExecCli::parse_from(
            std::iter::once(std::ffi::OsString::from("larkfeed exec"))
                .chain(args[2..].iter().cloned()),
        );
        return match exec::exec(&exec.args, exec.admin_token).await {
            Ok(code) => ExitCode::from(code),
            Err(e) => {
                let f = Failure::Server(e);
                f.report();
                ExitCode::from(f.exit_code())
            }
        };
    }
    let cli = Cli::try_parse().unwrap_or_else(|e| usage_error(e, &args).exit());
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            f.report();
            ExitCode::from(f.exit_code())
        }
    }
}

/// A missing argument is reported with the command's own usage line (`[OPTIONS]` and its required
/// arguments). Clap's default also lists every argument given so far, and an argument the
/// environment gave (`LARKFEED_APP_ID`…) counts as given: the line then showed credentials as
/// required flags, as if the environment had been ignored.
fn usage_error(e: clap::Error, args: &[std::ffi::OsString]) -> clap::Error {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    use clap::CommandFactory;
    if e.kind() != ErrorKind::MissingRequiredArgument {
        return e;
    }
    let Some(ContextValue::Strings(missing)) = e.get(ContextKind::InvalidArg) else {
        return e;
    };
    let mut root = Cli::command();
    root.build();
    // The subcommand the words name, from the top.
    let mut cmd = &mut root;
    for word in args.iter().skip(1).filter_map(|a| a.to_str()) {
        if cmd.find_subcommand(word).is_none() {
            continue;
        }
        cmd = cmd.find_subcommand_mut(word).expect("found just now");
    }
    // The command's usage, with what is missing named on it (an argument required unless
    // another is given is not on the plain usage line).
    let mut usage = cmd.render_usage().to_string();
    for m in missing {
        if !usage.contains(m.as_str()) {
            usage.push(' ');
            usage.push_str(m);
        }
    }
    let missing: String = missing.iter().map(|m| format!("\n  {m}")).collect();
    clap::Error::raw(
        ErrorKind::MissingRequiredArgument,
        format!(
            "the following required arguments were not provided:{missing}\n\n{usage}\n\n\
             For more information, try '--help'.\n"
        ),
    )
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let (format, dry_run) = (cli.format, cli.dry_run);
    let admin = || {
        let admin =
            larkfeed_client::admin::Admin::new(cli.conn.base_url()?, cli.admin_token.clone())
                .map_err(Failure::from)?;
        Ok::<_, Failure>(match &cli.tenant {
            Some(key) => admin.in_tenant(key),
            None => admin,
        })
    };
    let plan = match &cli.command {
        Command::Serve(args) => {
            return serve::serve(args, cli.admin_token.clone())
                .await
                .map_err(Failure::Server)
        }
        Command::Exec(args) => {
            return match exec::exec(args, cli.admin_token.clone()).await {
                Ok(0) => Ok(()),
                Ok(code) => Err(Failure::Exited(code)),
                Err(e) => Err(Failure::Server(e)),
            }
        }
        Command::Act(cmd) => return admin::act(&admin()?, cmd, format).await,
        Command::Requests(args) => return admin::requests(&admin()?, args, format).await,
        Command::Deliveries(args) => return admin::deliveries(&admin()?, args, format).await,
        Command::Faults(cmd) => return admin::faults(&admin()?, cmd, format).await,
        Command::Reset => return admin::reset(&admin()?).await,
        Command::Tenant(cmd) => return admin::tenant(&admin()?, cmd, format).await,
        Command::State(cmd) => return admin::state(&admin()?, cmd).await,
        Command::Token => {
            let client = cli.conn.client()?;
            let answer = if dry_run {
                let body = serde_json::json!({"app_id": client.app_id(), "app_secret": "(hidden)"});
                let path = "/open-apis/auth/v3/tenant_access_token/internal";
                serde_json::to_value(client.prepare(&larkfeed_client::RawCall {
                    method: reqwest::Method::POST,
                    path,
                    query: &[],
                    body: Some(&body),
                })?)
                .unwrap_or_default()
            } else {
                serde_json::to_value(client.fetch_token().await?).unwrap_or_default()
            };
            output::print(&answer, format);
            return Ok(());
        }
        Command::FeedCard(FeedCard::Broadcast(args)) => {
            let client = cli.conn.client()?;
            return broadcast::run(args, &client, dry_run, format).await;
        }
        Command::FeedCard(cmd) => commands::feed_card_plan(cmd)?,
        Command::ChatButton(cmd) => commands::chat_button_plan(cmd)?,
        Command::Message(MessageCmd::Resource(args)) => {
            let client = cli.conn.client()?;
            return transfer::resource(args, &client, format).await;
        }
        Command::Message(cmd) => commands::message_plan(cmd)?,
        Command::Chat(cmd) => commands::chat_plan(cmd)?,
        Command::Card(CardCmd::Stream(args)) => {
            let client = cli.conn.client()?;
            return stream::run(args, &client, dry_run, format).await;
        }
        Command::Card(cmd) => commands::card_plan(cmd)?,
        Command::Bot(cmd) => commands::bot_plan(cmd)?,
        Command::Image(cmd) => {
            let client = cli.conn.client()?;
            return transfer::image(cmd, &client, format).await;
        }
        Command::File(cmd) => {
            let client = cli.conn.client()?;
            return transfer::file(cmd, &client, format).await;
        }
        Command::User(cmd) => commands::user_plan(cmd)?,
    };
    let client = cli.conn.client()?;
    commands::execute(plan, &client, dry_run, format).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
        ServeCli::command().debug_assert();
    }
}
