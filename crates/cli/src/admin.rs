//! The commands that drive a larkfeed server's admin API: act as a user, read the request and
//! delivery logs, inject faults, reset, save and load the state. They need no app credentials,
//! only the server (`--base-url`) and, if it has one, its `--admin-token`.

use crate::output::{self, Format};
use crate::Failure;
use larkfeed_client::admin::Admin;
use larkfeed_model::admin::{
    AddBot, CardAction, ChatButton, FeedCardButton, React, Read, Recall, SendMessage,
};
use larkfeed_model::{AppId, BizId, ChatId, MessageId};
use std::path::PathBuf;

#[derive(Debug, clap::Subcommand)]
pub enum Act {
    /// A user clicks an interactive card: the app gets card.action.trigger.
    CardAction {
        /// The user: a user_id, an open_id or union_id of any app, or an email.
        #[arg(long)]
        user: String,
        #[arg(long)]
        message_id: MessageId,
        /// The clicked element's `value` (JSON object).
        #[arg(long, default_value = "{}")]
        value: String,
        /// The clicked element's tag.
        #[arg(long, default_value = "button")]
        tag: String,
        /// More fields of `action` (JSON object: name, form_value, option, …).
        #[arg(long)]
        action: Option<String>,
    },
    /// A user clicks a feed card's button: a URL to open, or card.action.trigger to the app.
    FeedCardButton {
        #[arg(long)]
        user: String,
        #[arg(long = "app")]
        app_id: AppId,
        #[arg(long)]
        biz_id: BizId,
        /// The button's index, from 0.
        #[arg(long, default_value_t = 0)]
        button: usize,
    },
    /// A user clicks a chat's quick-action button.
    ChatButton {
        #[arg(long)]
        user: String,
        #[arg(long)]
        chat_id: ChatId,
        #[arg(long, default_value_t = 0)]
        button: usize,
        /// The app whose buttons are meant, when several show buttons on the chat.
        #[arg(long = "app")]
        app_id: Option<AppId>,
    },
    /// A user sends a message to a chat or to an app's bot: the apps get im.message.receive_v1.
    SendMessage {
        #[arg(long)]
        user: String,
        /// The chat to send to.
        #[arg(long, conflicts_with = "to_app", required_unless_present = "to_app")]
        chat_id: Option<ChatId>,
        /// The app whose bot gets the message one-to-one.
        #[arg(long)]
        to_app: Option<AppId>,
        /// A text message (`<at user_id="…">Name</at>` mentions a user or a bot).
        #[arg(long, conflicts_with = "content", required_unless_present = "content")]
        text: Option<String>,
        /// Any message content (JSON), with --msg-type.
        #[arg(long)]
        content: Option<String>,
        #[arg(long, default_value = "text")]
        msg_type: String,
        /// Reply to this message of the chat (om_…).
        #[arg(long)]
        reply_to: Option<MessageId>,
        /// With --reply-to: in a thread under it.
        #[arg(long, requires = "reply_to")]
        in_thread: bool,
    },
    /// A user reacts to a message with an emoji (THUMBSUP, Typing, …), or takes it back with
    /// --remove: the apps in the chat get im.message.reaction.created_v1 or deleted_v1.
    React {
        #[arg(long)]
        user: String,
        #[arg(long)]
        message_id: MessageId,
        #[arg(long)]
        emoji: String,
        #[arg(long)]
        remove: bool,
    },
    /// A user recalls a message they sent: the apps in the chat get im.message.recalled_v1.
    Recall {
        #[arg(long)]
        user: String,
        #[arg(long)]
        message_id: MessageId,
    },
    /// A user reads a message: the app that sent it gets im.message.message_read_v1.
    Read {
        #[arg(long)]
        user: String,
        #[arg(long)]
        message_id: MessageId,
    },
    /// A user takes an app's bot out of a group they are in: the app gets
    /// im.chat.member.bot.deleted_v1.
    RemoveBot(BotInGroup),
    /// A user adds an app's bot to a group they are in: the app gets
    /// im.chat.member.bot.added_v1.
    AddBot(BotInGroup),
}

/// Who moves which app's bot into or out of which group.
#[derive(Debug, clap::Args)]
pub struct BotInGroup {
    #[arg(long)]
    user: String,
    #[arg(long)]
    chat_id: ChatId,
    /// The app whose bot joins or leaves.
    #[arg(long = "app")]
    app_id: AppId,
}

impl BotInGroup {
    fn request(&self) -> AddBot {
        AddBot {
            user: self.user.clone(),
            chat_id: self.chat_id.clone(),
            app_id: self.app_id.clone(),
        }
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum Faults {
    /// Make matching Open API calls fail (or wait) as the platform would.
    Add {
        /// The path, exact or ending in * for a prefix (/open-apis/im/v2/*).
        #[arg(long)]
        path: String,
        /// Only this HTTP method (default: any).
        #[arg(long)]
        method: Option<String>,
        /// The code to answer (99991400, 230020, 1500, …).
        #[arg(long)]
        code: Option<i64>,
        /// The HTTP status (default: the code's own).
        #[arg(long)]
        http_status: Option<u16>,
        /// The message to answer (default: the code's own).
        #[arg(long)]
        msg: Option<String>,
        /// Hit only the next N calls.
        #[arg(long, conflicts_with = "ratio")]
        times: Option<u32>,
        /// Hit each call with this probability (0 to 1).
        #[arg(long)]
        ratio: Option<f64>,
        /// Wait this long first.
        #[arg(long)]
        delay_ms: Option<u64>,
    },
    /// The faults in force.
    List,
    /// Remove every fault.
    Clear,
}

#[derive(Debug, clap::Subcommand)]
pub enum State {
    /// Write the whole state to a file (JSON).
    Save { file: PathBuf },
    /// Replace the whole state with a saved file.
    Load { file: PathBuf },
}

#[derive(Debug, clap::Args)]
pub struct LogArgs {
    /// Only this app's (the connection's `--app-id` is not a filter).
    #[arg(long = "app")]
    app_id: Option<String>,
    /// Only this path (ending in * for a prefix); requests only.
    #[arg(long)]
    path: Option<String>,
    /// Only answers with this code; requests only.
    #[arg(long)]
    code: Option<i64>,
    /// At most this many, newest first.
    #[arg(long, default_value_t = 20)]
    limit: u32,
}

fn json_object(
    flag: &str,
    text: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, Failure> {
    match serde_json::from_str(text) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        _ => Err(Failure::Usage(format!(
            "{flag} must be a JSON object, got {text:?}"
        ))),
    }
}

fn filter(args: &LogArgs) -> Vec<(&'static str, String)> {
    let mut q = vec![("limit", args.limit.to_string())];
    if let Some(a) = &args.app_id {
        q.push(("app_id", a.clone()));
    }
    if let Some(p) = &args.path {
        q.push(("path", p.clone()));
    }
    if let Some(c) = args.code {
        q.push(("code", c.to_string()));
    }
    q
}

fn show<T: serde::Serialize>(value: &T, format: Format) {
    output::print(&serde_json::to_value(value).unwrap_or_default(), format);
}

pub async fn act(admin: &Admin, cmd: &Act, format: Format) -> Result<(), Failure> {
    let acted = match cmd {
        Act::CardAction {
            user,
            message_id,
            value,
            tag,
            action,
        } => {
            let mut act = match action {
                Some(a) => json_object("--action", a)?,
                None => serde_json::Map::new(),
            };
            act.insert("tag".into(), tag.clone().into());
            act.insert("value".into(), json_object("--value", value)?.into());
            admin
                .card_action(&CardAction {
                    user: user.clone(),
                    message_id: message_id.clone(),
                    action: act,
                })
                .await?
        }
        Act::FeedCardButton {
            user,
            app_id,
            biz_id,
            button,
        } => {
            admin
                .feed_card_button(&FeedCardButton {
                    user: user.clone(),
                    app_id: app_id.clone(),
                    biz_id: biz_id.clone(),
                    button: *button,
                })
                .await?
        }
        Act::ChatButton {
            user,
            chat_id,
            button,
            app_id,
        } => {
            admin
                .chat_button(&ChatButton {
                    user: user.clone(),
                    chat_id: chat_id.clone(),
                    button: *button,
                    app_id: app_id.clone(),
                })
                .await?
        }
        Act::SendMessage {
            user,
            chat_id,
            to_app,
            text,
            content,
            msg_type,
            reply_to,
            in_thread,
        } => {
            let content = match (text, content) {
                (Some(t), _) => serde_json::json!({"text": t}).to_string(),
                (None, Some(c)) => c.clone(),
                (None, None) => return Err(Failure::Usage("give --text or --content".into())),
            };
            admin
                .send_message(&SendMessage {
                    user: user.clone(),
                    chat_id: chat_id.clone(),
                    to_app: to_app.clone(),
                    msg_type: if text.is_some() {
                        "text".into()
                    } else {
                        msg_type.clone()
                    },
                    content: content.into(),
                    reply_to: reply_to.clone(),
                    in_thread: in_thread.then_some(true),
                })
                .await?
        }
        Act::React {
            user,
            message_id,
            emoji,
            remove,
        } => {
            admin
                .react(&React {
                    user: user.clone(),
                    message_id: message_id.clone(),
                    emoji_type: emoji.clone(),
                    remove: remove.then_some(true),
                })
                .await?
        }
        Act::Recall { user, message_id } => {
            admin
                .recall(&Recall {
                    user: user.clone(),
                    message_id: message_id.clone(),
                })
                .await?
        }
        Act::Read { user, message_id } => {
            admin
                .read(&Read {
                    user: user.clone(),
                    message_id: message_id.clone(),
                })
                .await?
        }
        Act::RemoveBot(bot) => admin.remove_bot(&bot.request()).await?,
        Act::AddBot(bot) => admin.add_bot(&bot.request()).await?,
    };
    show(&acted, format);
    if acted.error.is_some() {
        eprintln!(
            "larkfeed: not delivered: {}",
            acted.error.as_deref().unwrap_or_default()
        );
    }
    Ok(())
}

pub async fn requests(admin: &Admin, args: &LogArgs, format: Format) -> Result<(), Failure> {
    show(&admin.requests(&filter(args)).await?, format);
    Ok(())
}

pub async fn deliveries(admin: &Admin, args: &LogArgs, format: Format) -> Result<(), Failure> {
    let mut q = filter(args);
    q.retain(|(k, _)| *k == "limit" || *k == "app_id");
    show(&admin.deliveries(&q).await?, format);
    Ok(())
}

pub async fn faults(admin: &Admin, cmd: &Faults, format: Format) -> Result<(), Failure> {
    match cmd {
        Faults::Add {
            path,
            method,
            code,
            http_status,
            msg,
            times,
            ratio,
            delay_ms,
        } => {
            let mut spec = serde_json::json!({"path": path});
            let fields = [
                ("method", method.clone().map(Into::into)),
                ("code", code.map(Into::into)),
                ("http_status", http_status.map(Into::into)),
                ("msg", msg.clone().map(Into::into)),
                ("times", times.map(Into::into)),
                ("ratio", ratio.map(Into::into)),
                ("delay_ms", delay_ms.map(Into::into)),
            ];
            for (key, value) in fields {
                if let Some(v) = value {
                    spec[key] = v;
                }
            }
            show(&admin.add_fault(&spec).await?, format);
        }
        Faults::List => show(&admin.faults().await?, format),
        Faults::Clear => {
            admin.clear_faults().await?;
            eprintln!("larkfeed: every fault cleared");
        }
    }
    Ok(())
}

#[derive(Debug, clap::Subcommand)]
pub enum TenantCmd {
    /// A new tenant (POST /_larkfeed/tenants): prints its key and its world with credentials.
    Create {
        /// A world of its own (the world file's TOML); the server's world file when absent.
        #[arg(long, value_name = "FILE")]
        world: Option<std::path::PathBuf>,
    },
    /// The tenants made at run time (GET /_larkfeed/tenants): key, name, apps, users.
    List,
    /// Empty the tenant's state (POST /_larkfeed/tenants/KEY/reset).
    Reset { key: String },
    /// Delete the tenant and all its data (DELETE /_larkfeed/tenants/KEY).
    Delete { key: String },
}

pub async fn tenant(admin: &Admin, cmd: &TenantCmd, format: Format) -> Result<(), Failure> {
    match cmd {
        TenantCmd::List => {
            let listed = admin.list_tenants().await?;
            // One row a tenant, its apps' ids in one cell.
            let rows: Vec<_> = listed["items"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| {
                    let apps: Vec<_> = t["apps"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|a| a["app_id"].as_str())
                        .collect();
                    serde_json::json!({
                        "tenant_key": t["tenant_key"], "name": t["name"],
                        "apps": apps.join(" "), "users": t["users"],
                    })
                })
                .collect();
            match format {
                Format::Json => show(&listed, format),
                Format::Table => show(&serde_json::json!({ "items": rows }), format),
            }
        }
        TenantCmd::Create { world } => {
            let world = match world {
                Some(path) => {
                    let text = std::fs::read_to_string(path).map_err(|e| {
                        Failure::Usage(format!("cannot read {}: {e}", path.display()))
                    })?;
                    let value: toml::Value = toml::from_str(&text).map_err(|e| {
                        Failure::Usage(format!("{} is not a world file: {e}", path.display()))
                    })?;
                    Some(serde_json::to_value(value).unwrap_or_default())
                }
                None => None,
            };
            let made = admin.create_tenant(world.as_ref()).await?;
            println!(
                "{}",
                serde_json::to_string_pretty(&made).unwrap_or_default()
            );
        }
        TenantCmd::Reset { key } => {
            admin.reset_tenant(key).await?;
            eprintln!("larkfeed: tenant {key} is empty");
        }
        TenantCmd::Delete { key } => {
            admin.delete_tenant(key).await?;
            eprintln!("larkfeed: tenant {key} is deleted");
        }
    }
    Ok(())
}

pub async fn reset(admin: &Admin) -> Result<(), Failure> {
    admin.reset().await?;
    eprintln!("larkfeed: the server is back to its world file's state");
    Ok(())
}

pub async fn state(admin: &Admin, cmd: &State) -> Result<(), Failure> {
    match cmd {
        State::Save { file } => {
            let doc = admin.state().await?;
            let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
            std::fs::write(file, text)
                .map_err(|e| Failure::Config(format!("cannot write {}: {e}", file.display())))?;
            let rows: usize = doc["tables"]
                .as_object()
                .map(|t| t.values().filter_map(|r| r.as_array()).map(Vec::len).sum())
                .unwrap_or(0);
            eprintln!("larkfeed: saved {rows} rows to {}", file.display());
        }
        State::Load { file } => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| Failure::Config(format!("cannot read {}: {e}", file.display())))?;
            let doc: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| Failure::Config(format!("{} is not JSON: {e}", file.display())))?;
            admin.load_state(&doc).await?;
            eprintln!("larkfeed: state loaded from {}", file.display());
        }
    }
    Ok(())
}
