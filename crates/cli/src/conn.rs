//! Where the client commands get their credentials and base URL: flags, then `LARKFEED_*`
//! environment variables, then a profile file.

use crate::Failure;
use larkfeed_client::{Client, RetryPolicy, FEISHU, LARK};

/// Where the client commands go unless told otherwise: `larkfeed serve` on this machine.
pub const LOCAL: &str = "http://127.0.0.1:8980";
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Connection (client commands)")]
pub struct ConnArgs {
    /// Base URL of the API: a larkfeed server (default: the local one, http://127.0.0.1:8980),
    /// `feishu` (<https://open.feishu.cn>), `lark` (<https://open.larksuite.com>) or any URL.
    #[arg(long, env = "LARKFEED_BASE_URL", global = true)]
    pub base_url: Option<String>,
    /// The app's app_id (cli_…).
    // An id of its own: a global argument shares its id with any subcommand field of the same
    // name (the acts' and logs' `--app`), which would read LARKFEED_APP_ID and clash in type.
    #[arg(long, id = "conn_app_id", env = "LARKFEED_APP_ID", global = true)]
    pub app_id: Option<String>,
    /// The app's app_secret.
    #[arg(
        long,
        env = "LARKFEED_APP_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub app_secret: Option<String>,
    /// Profile to read from the profile file for whatever the flags and environment leave out.
    #[arg(
        long,
        env = "LARKFEED_PROFILE",
        global = true,
        default_value = "default"
    )]
    pub profile: String,
    /// Profile file (TOML: one table per profile with base_url, app_id, app_secret).
    /// Default: $XDG_CONFIG_HOME/larkfeed/profiles.toml or ~/.config/larkfeed/profiles.toml.
    #[arg(long, env = "LARKFEED_PROFILES", global = true)]
    pub profiles: Option<PathBuf>,
    /// How many times a call that may pass (rate limit, server fault, network) is retried.
    #[arg(long, global = true, default_value_t = 3)]
    pub retries: u32,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Profile {
    base_url: Option<String>,
    app_id: Option<String>,
    app_secret: Option<String>,
}

fn default_profiles() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("larkfeed").join("profiles.toml"))
}

impl ConnArgs {
    fn profile(&self) -> Result<Profile, Failure> {
        let (path, explicit) = match &self.profiles {
            Some(p) => (p.clone(), true),
            None => match default_profiles() {
                Some(p) => (p, false),
                None => return Ok(Profile::default()),
            },
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if !explicit && e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Profile::default())
            }
            Err(e) => {
                return Err(Failure::Config(format!(
                    "cannot read {}: {e}",
                    path.display()
                )))
            }
        };
        let mut all: BTreeMap<String, Profile> = toml::from_str(&text)
            .map_err(|e| Failure::Config(format!("{}: {e}", path.display())))?;
        match all.remove(&self.profile) {
            Some(p) => Ok(p),
            None if self.profile == "default" && !explicit => Ok(Profile::default()),
            None => Err(Failure::Config(format!(
                "no profile [{}] in {}",
                self.profile,
                path.display()
            ))),
        }
    }

    /// The base URL these settings name (flag, environment, profile, else the local server).
    pub fn base_url(&self) -> Result<String, Failure> {
        let profile = self.profile()?;
        Ok(
            match self.base_url.clone().or(profile.base_url).as_deref() {
                // The real platform only when asked for: a test app's secret stays on this machine.
                None => LOCAL.to_string(),
                Some("feishu") => FEISHU.to_string(),
                Some("lark") => LARK.to_string(),
                Some(url) => url.to_string(),
            },
        )
    }

    /// The client these settings describe.
    pub fn client(&self) -> Result<Client, Failure> {
        let base_url = self.base_url()?;
        let profile = self.profile()?;
        let missing = |what: &str, flag: &str, env: &str| {
            Failure::Config(format!(
                "no {what}: pass {flag}, set {env}, or add it to a profile"
            ))
        };
        let app_id = self
            .app_id
            .clone()
            .or(profile.app_id)
            .ok_or_else(|| missing("app_id", "--app-id", "LARKFEED_APP_ID"))?;
        let app_secret = self
            .app_secret
            .clone()
            .or(profile.app_secret)
            .ok_or_else(|| missing("app_secret", "--app-secret", "LARKFEED_APP_SECRET"))?;
        Client::builder()
            .app_id(app_id)
            .app_secret(app_secret)
            .base_url(base_url)
            .user_agent(concat!("larkfeed-cli/", env!("CARGO_PKG_VERSION")))
            .retry(RetryPolicy {
                max_retries: self.retries,
                ..RetryPolicy::default()
            })
            .build()
            .map_err(|e| Failure::Config(e.to_string()))
    }
}
