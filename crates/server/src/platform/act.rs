//! What a user does, played by the server: a click on an interactive card, on a feed card's
//! button or on a chat's quick-action button, and a message typed to a chat or a bot. Each is
//! delivered to the app as the platform would deliver it, and each answers an [`Acted`].

use super::delivery::{self, Outcome};
use super::endpoints::{self, Endpoints};
use super::PlatformState;
use crate::error::ApiError;
use crate::service::cards::CARD_TOKEN_TTL_MS;
use crate::service::{existing_p2p_chat, new_id, new_p2p_chat};
use crate::store::{
    CardKey, CardTokenRow, ChatEntry, ChatType, ContentEdit, Destination, Members, MentionKind,
    MentionRow, MessageRow, NewMessage, Sent,
};
use crate::world::{App, User};
use larkfeed_model::admin::{Acted, CardAction, ChatButton, FeedCardButton, SendMessage};
use larkfeed_model::feed_card::Button;
use larkfeed_model::message::check_content;
use larkfeed_model::{ErrorCode, FieldError};
use std::sync::Arc;

/// The scope an app needs to read an employee's `user_id`.
const EMPLOYEE_ID_SCOPE: &str = "contact:user.employee_id:readonly";
const P2P_SCOPE: &str = "im:message.p2p_msg:readonly";
const GROUP_AT_SCOPE: &str = "im:message.group_at_msg:readonly";
const GROUP_SCOPE: &str = "im:message.group_msg";

fn acted(outcome: Outcome, applied: serde_json::Value) -> Acted {
    Acted {
        delivered: outcome.delivered,
        status: outcome.status,
        response: outcome.response,
        applied,
        error: outcome.error,
    }
}

fn invalid(field: &str, rule: impl Into<String>) -> ApiError {
    ApiError::field(
        ErrorCode::ImInvalidParam,
        FieldError::new(field, rule.into()),
    )
}

/// The user any of their ids names: a user_id, an open_id or union_id of any app, an email.
pub fn user<'a>(state: &'a PlatformState, id: &str) -> Result<&'a User, ApiError> {
    state
        .world
        .find_user(id)
        .ok_or_else(|| invalid("user", format!("no user has the id {id:?}")))
}

fn app<'a>(state: &'a PlatformState, app_id: &str) -> Result<&'a Arc<App>, ApiError> {
    state
        .world
        .app(app_id)
        .ok_or_else(|| invalid("app_id", format!("no app has the id {app_id:?}")))
}

/// 230001 naming `user` unless the user is a member of the chat.
async fn must_be_in_chat(
    state: &PlatformState,
    user: &User,
    chat_id: &str,
) -> Result<(), ApiError> {
    let member = state
        .store
        .are_members(Members::users(chat_id), std::slice::from_ref(&user.user_id))
        .await?;
    if member.first().copied().unwrap_or(false) {
        Ok(())
    } else {
        Err(invalid(
            "user",
            format!("{} is not in the chat {chat_id}", user.name),
        ))
    }
}

/// The user's ids as `app` sees them: open_id and union_id, and user_id only with the
/// employee-id scope.
fn ids_for(state: &PlatformState, app: &App, user: &User) -> serde_json::Value {
    let mut ids = serde_json::json!({
        "union_id": state.world.union_id(app, user),
        "open_id": state.world.open_id(app, user),
    });
    if app.scopes.contains(EMPLOYEE_ID_SCOPE) {
        ids["user_id"] = user.user_id.clone().into();
    }
    ids
}

fn operator(state: &PlatformState, app: &App, user: &User) -> serde_json::Value {
    let mut op = ids_for(state, app, user);
    op["tenant_key"] = state.world.tenant.tenant_key.clone().into();
    op
}

/// `card.action.trigger` times are microseconds, as strings.
fn micros(state: &PlatformState) -> String {
    (state.clock.now_ms() * 1000).to_string()
}

/// Sends a card action to the app's callback URL (no retry: a card callback that fails shows
/// the user an error toast).
async fn send_card_action(
    state: &PlatformState,
    app: &App,
    ends: &Endpoints,
    event: serde_json::Value,
) -> Outcome {
    let body = delivery::envelope(
        state,
        app,
        ends,
        "card.action.trigger",
        micros(state),
        event,
    );
    delivery::deliver(
        state,
        &app.app_id,
        ends,
        ends.callback_target(),
        "callback",
        &body,
        1,
    )
    .await
}

/// The toast the user sees: the app's, or the platform's error toast when the app failed.
fn toast(outcome: &Outcome) -> serde_json::Value {
    if outcome.delivered {
        outcome
            .response
            .as_ref()
            .and_then(|r| r.get("toast"))
            .cloned()
            .unwrap_or(serde_json::Value::Null)
    } else {
        serde_json::json!({
            "type": "error",
            "content": "The app did not respond. Try again later.",
        })
    }
}

/// A click on an interactive card: `card.action.trigger` with `host: "im_message"` and a card
/// update token. A `card` in the answer replaces the message's card.
pub async fn card_action(state: &PlatformState, req: CardAction) -> Result<Acted, ApiError> {
    let user = user(state, &req.user)?;
    let row = state
        .store
        .get_message(&req.message_id)
        .await?
        .ok_or_else(|| invalid("message_id", "no message has this id"))?;
    if row.recalled || row.deleted {
        return Err(invalid("message_id", "the message was recalled"));
    }
    if row.msg_type != "interactive" || row.sender_app.is_empty() {
        return Err(invalid(
            "message_id",
            format!(
                "only an app's interactive card can be clicked; this is a {} message",
                row.msg_type
            ),
        ));
    }
    must_be_in_chat(state, user, &row.chat_id).await?;
    let app = app(state, &row.sender_app)?.clone();
    let ends = endpoints::of_app(state, &app).await?;
    let now = state.clock.now_ms();
    let token = new_id("c-");
    state
        .store
        .insert_card_token(CardTokenRow {
            // Kept as its digest: the database alone gives no token that works.
            token: crate::store::secret::digest(&token),
            app_id: app.app_id.to_string(),
            message_id: row.message_id.to_string(),
            user_id: user.user_id.clone(),
            expires_at_ms: now + CARD_TOKEN_TTL_MS,
            uses: 0,
        })
        .await?;
    let event = serde_json::json!({
        "operator": operator(state, &app, user),
        "token": token,
        "action": req.action,
        "host": "im_message",
        "context": {
            "open_message_id": row.message_id,
            "open_chat_id": row.chat_id,
        },
    });
    let outcome = send_card_action(state, &app, &ends, event).await;
    let mut applied = serde_json::json!({"toast": toast(&outcome), "card_updated": false});
    let new_card = outcome
        .response
        .as_ref()
        .filter(|_| outcome.delivered)
        .and_then(|r| r.get("card"));
    if let Some(card) = new_card {
        match card_content(card) {
            Err(why) => applied["card_error"] = why.into(),
            Ok(content) => match check_content("interactive", &content) {
                Err(e) => {
                    applied["card_error"] = crate::service::messages::content_error(e).msg.into();
                }
                Ok(_) => {
                    replace_card(state, &row.message_id, &content).await?;
                    applied["card_updated"] = true.into();
                }
            },
        }
    }
    Ok(acted(outcome, applied))
}

/// The content a callback answer's `card` stands for: `{"type": "raw", "data": card}` or
/// `{"type": "template", "data": {...}}`.
fn card_content(card: &serde_json::Value) -> Result<String, String> {
    match card.get("type").and_then(|t| t.as_str()) {
        Some("raw") => match card.get("data") {
            Some(data) if data.is_object() => Ok(data.to_string()),
            _ => Err("card.data must be the card as a JSON object".into()),
        },
        Some("template") => {
            Ok(serde_json::json!({"type": "template", "data": card.get("data")}).to_string())
        }
        _ => Err("card.type must be \"raw\" or \"template\"".into()),
    }
}

async fn replace_card(
    state: &PlatformState,
    message_id: &str,
    content: &str,
) -> Result<(), ApiError> {
    let now = state.clock.now_ms();
    let edit = ContentEdit {
        message_id,
        content,
        now_ms: now,
    };
    crate::service::messages::store_content(state, edit).await?;
    state.platform.publish(
        "message.updated",
        now,
        serde_json::json!({"message_id": message_id}),
    );
    Ok(())
}

/// What a button click does: open a URL, or send its `action_map` to the app.
async fn press(
    state: &PlatformState,
    app: &App,
    user: &User,
    button: &Button,
    host: &str,
    context: serde_json::Value,
) -> Result<Acted, ApiError> {
    match button.action_type.as_deref() {
        Some("webhook") => {
            let ends = endpoints::of_app(state, app).await?;
            let event = serde_json::json!({
                "operator": operator(state, app, user),
                "action": {
                    "tag": "button",
                    "value": button.action_map.clone().unwrap_or_default(),
                },
                "host": host,
                "context": context,
            });
            let outcome = send_card_action(state, app, &ends, event).await;
            let applied = serde_json::json!({"toast": toast(&outcome)});
            Ok(acted(outcome, applied))
        }
        _ => {
            let urls = button.multi_url.clone().unwrap_or_default();
            let url = urls
                .pc_url
                .or(urls.url)
                .or(urls.android_url)
                .or(urls.ios_url)
                .filter(|u| !u.is_empty());
            Ok(Acted {
                delivered: false,
                status: None,
                response: None,
                applied: serde_json::json!({"open_url": url}),
                error: None,
            })
        }
    }
}

fn nth(buttons: Option<Vec<Button>>, index: usize) -> Result<Button, ApiError> {
    let buttons = buttons.unwrap_or_default();
    let count = buttons.len();
    buttons.into_iter().nth(index).ok_or_else(|| {
        invalid(
            "button",
            format!("there is no button {index}: the entry has {count} (counted from 0)"),
        )
    })
}

/// A click on a feed card's button. Decision (FACTS §2): a `webhook` button sends
/// `card.action.trigger` with `host: "app_feed_card"`, the button's `action_map` as
/// `action.value` and the `biz_id` in `context`.
pub async fn feed_card_button(
    state: &PlatformState,
    req: FeedCardButton,
) -> Result<Acted, ApiError> {
    let user = user(state, &req.user)?;
    let app = app(state, &req.app_id)?.clone();
    let card = state
        .store
        .feed_card(CardKey {
            app_id: &app.app_id,
            user_id: &user.user_id,
            biz_id: &req.biz_id,
        })
        .await?
        .ok_or_else(|| {
            invalid(
                "biz_id",
                format!(
                    "{} has no feed card {:?} from this app",
                    user.name, req.biz_id
                ),
            )
        })?;
    let button = nth(card.card.buttons.and_then(|b| b.buttons), req.button)?;
    press(
        state,
        &app,
        user,
        &button,
        "app_feed_card",
        serde_json::json!({"biz_id": req.biz_id}),
    )
    .await
}

/// A click on a chat's quick-action button. Decision: a `webhook` button sends
/// `card.action.trigger` with `host: "im_chat"` and `context.open_chat_id`.
pub async fn chat_button(state: &PlatformState, req: ChatButton) -> Result<Acted, ApiError> {
    let user = user(state, &req.user)?;
    let entry = ChatEntry {
        chat_id: &req.chat_id,
        user_id: &user.user_id,
    };
    let mut found: Vec<(Arc<App>, Vec<Button>)> = Vec::new();
    for (app_id, _, buttons) in state.store.chat_buttons(entry).await? {
        let named = req.app_id.as_deref().is_none_or(|id| id == app_id.as_str());
        if let Some(app) = state.world.app(&app_id).filter(|_| named) {
            found.push((app.clone(), buttons));
        }
    }
    let (app, buttons) = match found.len() {
        0 => {
            return Err(invalid(
                "chat_id",
                format!("{} sees no quick-action buttons on this chat", user.name),
            ))
        }
        1 => found.remove(0),
        _ => {
            return Err(invalid(
                "app_id",
                "several apps show buttons on this chat: name the app",
            ))
        }
    };
    let button = nth(Some(buttons), req.button)?;
    press(
        state,
        &app,
        user,
        &button,
        "im_chat",
        serde_json::json!({"open_chat_id": req.chat_id}),
    )
    .await
}

/// `<at user_id="…">Name</at>` in a text message becomes `@_user_N`, and a mention of the user
/// or bot it names (`all` is left as it is).
fn mentions_of(state: &PlatformState, text: &str) -> Result<(String, Vec<MentionRow>), ApiError> {
    let mut out = String::new();
    let mut mentions = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("<at ") {
        out.push_str(&rest[..start]);
        let tag = &rest[start..];
        let Some(end) = tag.find("</at>") else {
            out.push_str(tag);
            rest = "";
            break;
        };
        let (open, name) = match tag[..end].split_once('>') {
            Some(parts) => parts,
            None => (&tag[..end], ""),
        };
        let id = open
            .split(['"', '\''])
            .nth(1)
            .unwrap_or_default()
            .to_string();
        rest = &tag[end + "</at>".len()..];
        if id == "all" {
            out.push_str(&tag[..end + "</at>".len()]);
            continue;
        }
        let key = format!("@_user_{}", mentions.len() + 1);
        let (kind, id, shown) = if let Some(app) = state.world.app(&id) {
            (MentionKind::App, app.app_id.to_string(), app.name.clone())
        } else if let Some(u) = state.world.find_user(&id) {
            (MentionKind::User, u.user_id.clone(), u.name.clone())
        } else {
            return Err(invalid(
                "content",
                format!("<at> names {id:?}, which is neither a user nor an app_id"),
            ));
        };
        out.push_str(&key);
        mentions.push(MentionRow {
            key,
            kind,
            id,
            name: if name.is_empty() {
                shown
            } else {
                name.to_string()
            },
        });
    }
    out.push_str(rest);
    Ok((out, mentions))
}

/// The user sends a message: stored (readable through the messages API), then
/// `im.message.receive_v1` to each app whose bot is in the chat and holds the scope for it.
pub async fn send_message(state: &PlatformState, req: SendMessage) -> Result<Acted, ApiError> {
    let user = user(state, &req.user)?;
    let mut content = match &req.content {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Object(_) => req.content.to_string(),
        _ => return Err(invalid("content", "must be a JSON string (or object)")),
    };
    check_content(&req.msg_type, &content).map_err(crate::service::messages::content_error)?;
    let mut mentions = Vec::new();
    if req.msg_type == "text" {
        let mut parsed: serde_json::Value =
            serde_json::from_str(&content).map_err(|e| invalid("content", e.to_string()))?;
        if let Some(text) = parsed.get("text").and_then(|t| t.as_str()) {
            let (text, found) = mentions_of(state, text)?;
            parsed["text"] = text.into();
            content = parsed.to_string();
            mentions = found;
        }
    }
    let now = state.clock.now_ms();
    let (to, chat_type) = match (&req.chat_id, &req.to_app) {
        (Some(chat_id), None) => {
            let chat = state
                .store
                .get_chat(chat_id)
                .await?
                .ok_or_else(|| invalid("chat_id", "no chat has this chat_id"))?;
            if chat.dissolved {
                return Err(ApiError::new(ErrorCode::ChatDissolved));
            }
            must_be_in_chat(state, user, chat_id).await?;
            (Destination::Chat(chat.chat_id), chat.chat_type)
        }
        (None, Some(app_id)) => {
            let app = app(state, app_id)?;
            if !app.bot {
                return Err(ApiError::new(ErrorCode::BotAbilityOff));
            }
            if !state.world.is_available(app, user) {
                return Err(ApiError::new(ErrorCode::NoAvailability));
            }
            let to = match existing_p2p_chat(state, &app.app_id, &user.user_id).await? {
                Some(chat_id) => Destination::Chat(chat_id),
                None => Destination::P2p(new_p2p_chat(&app.app_id, &user.user_id, now)),
            };
            (to, ChatType::P2p)
        }
        _ => return Err(invalid("chat_id", "give chat_id or to_app, not both")),
    };
    let opening = match &to {
        Destination::P2p(chat) => chat.p2p_key.clone(),
        Destination::Chat(_) => None,
    };
    let row = MessageRow {
        message_id: crate::service::new_message_id(),
        chat_id: to.chat_id().clone(),
        sender_app: String::new(),
        sender_user: Some(user.user_id.clone()),
        mentions,
        msg_type: req.msg_type.clone(),
        content,
        uuid: None,
        create_time_ms: now,
        update_time_ms: now,
        updated: false,
        recalled: false,
        deleted: false,
        root_id: None,
        parent_id: None,
        thread_id: None,
    };
    let row = match state
        .store
        .send_message(NewMessage {
            to,
            row,
            uuid_since_ms: now,
            opens_thread: false,
        })
        .await?
    {
        Sent::New(row) | Sent::Duplicate(row) => row,
    };
    if let Some(key) = opening {
        state.caches.p2p_chats.insert(key, row.chat_id.clone());
    }
    state.platform.publish(
        "message.sent",
        now,
        serde_json::json!({"message_id": row.message_id, "chat_id": row.chat_id, "sender": "user"}),
    );
    // Every bot in the chat that may read this message hears of it.
    let (bots, _) = state
        .store
        .list_members(Members::bots(&row.chat_id).page(0, 1_000))
        .await?;
    let mut events = Vec::new();
    let mut first: Option<Outcome> = None;
    for bot in bots {
        let Some(app) = state.world.app(&bot) else {
            continue;
        };
        let mentioned = row
            .mentions
            .iter()
            .any(|m| m.kind == MentionKind::App && app.app_id == m.id.as_str());
        let may_read = match chat_type {
            ChatType::P2p => app.scopes.contains(P2P_SCOPE),
            _ => {
                app.scopes.contains(GROUP_SCOPE)
                    || (mentioned && app.scopes.contains(GROUP_AT_SCOPE))
            }
        };
        if !may_read {
            events.push(serde_json::json!({"app_id": app.app_id, "sent": false,
                "why": "the app lacks the scope to read this message"}));
            continue;
        }
        let ends = endpoints::of_app(state, app).await?;
        let event = receive_event(state, app, user, &row, chat_type);
        let body = delivery::envelope(
            state,
            app,
            &ends,
            "im.message.receive_v1",
            micros(state),
            event,
        );
        let outcome = delivery::send_event(state, &app.app_id, &ends, body).await;
        events.push(serde_json::json!({
            "app_id": app.app_id, "sent": true, "delivered": outcome.delivered,
            "status": outcome.status, "error": outcome.error,
        }));
        first.get_or_insert(outcome);
    }
    let applied = serde_json::json!({
        "message_id": row.message_id,
        "chat_id": row.chat_id,
        "events": events,
    });
    Ok(acted(
        first.unwrap_or_else(|| Outcome::not_sent("no app in the chat may read this message")),
        applied,
    ))
}

/// `im.message.receive_v1`'s event: `sender` and `message`, ids as the receiving app sees them.
fn receive_event(
    state: &PlatformState,
    app: &App,
    user: &User,
    row: &MessageRow,
    chat_type: ChatType,
) -> serde_json::Value {
    let tenant_key = &state.world.tenant.tenant_key;
    let mentions: Vec<serde_json::Value> = row
        .mentions
        .iter()
        .map(|m| {
            let id = match m.kind {
                MentionKind::User => state
                    .world
                    .user(&m.id)
                    .map(|u| ids_for(state, app, u))
                    .unwrap_or_default(),
                MentionKind::App => serde_json::json!({
                    "union_id": "", "user_id": "",
                    "open_id": state.world.bot_open_id(app, &m.id),
                }),
            };
            serde_json::json!({"key": m.key, "id": id, "name": m.name, "tenant_key": tenant_key})
        })
        .collect();
    let mut message = serde_json::json!({
        "message_id": row.message_id,
        "root_id": "",
        "parent_id": "",
        "create_time": row.create_time_ms.to_string(),
        "update_time": row.update_time_ms.to_string(),
        "chat_id": row.chat_id,
        "chat_type": chat_type.mode(),
        "message_type": row.msg_type,
        "content": row.content,
    });
    if !mentions.is_empty() {
        message["mentions"] = mentions.into();
    }
    serde_json::json!({
        "sender": {
            "sender_id": ids_for(state, app, user),
            "sender_type": "user",
            "tenant_key": tenant_key,
        },
        "message": message,
    })
}
