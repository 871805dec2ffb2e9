//! A message a user types to a chat or a bot: stored, then `im.message.receive_v1` to each app
//! that may read it.

use super::*;

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
        let (who, shown) = if let Some(app) = state.world.app(&id) {
            (Mentioned::App(app.app_id.clone()), app.name.clone())
        } else if let Some(u) = state.world.find_user(&id) {
            (Mentioned::User(u.user_id.clone()), u.name.clone())
        } else {
            return Err(invalid(
                "content",
                format!("<at> names {id:?}, which is neither a user nor an app_id"),
            ));
        };
        out.push_str(&key);
        mentions.push(MentionRow {
            key,
            who,
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
    crate::service::resources::keys_exist(state, &req.msg_type, &content).await?;
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
            let chat = crate::service::chat(state, chat_id)
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
    // A reply: to a live message of the same chat, in its thread or a new one when asked.
    let thread = match &req.reply_to {
        Some(parent_id) => {
            let parent = messages::find(state, parent_id).await?;
            if parent.recalled || parent.deleted {
                return Err(invalid("reply_to", "the message was recalled"));
            }
            if &parent.chat_id != to.chat_id() {
                return Err(invalid("reply_to", "the message is in another chat"));
            }
            messages::Thread::under(&parent, req.in_thread.unwrap_or(false))
        }
        None => messages::Thread::default(),
    };
    let new_id = crate::service::new_message_id();
    let message = MessageRow::new(
        new_id,
        to.chat_id().clone(),
        req.msg_type.clone(),
        content,
        now,
    );
    let row = MessageRow {
        sender_user: Some(user.user_id.clone()),
        mentions,
        root_id: thread.root_id,
        parent_id: thread.parent_id,
        thread_id: thread.thread_id,
        ..message
    };
    let row = messages::post_user_message(state, to, row, thread.opens).await?;
    state.platform.publish(
        "message.sent",
        now,
        serde_json::json!({"message_id": row.message_id, "chat_id": row.chat_id, "sender": "user"}),
    );
    // Every bot in the chat that may read this message hears of it.
    let bots = crate::service::bots_of(state, &row.chat_id).await?;
    let mut events = Vec::new();
    let mut first: Option<Outcome> = None;
    for bot in bots {
        let Some(app) = state.world.app(&bot) else {
            continue;
        };
        let mentioned = row
            .mentions
            .iter()
            .any(|m| m.who == Mentioned::App(app.app_id.clone()));
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
            let id = match &m.who {
                Mentioned::User(user_id) => state
                    .world
                    .user(user_id)
                    .map(|u| ids_for(state, app, u))
                    .unwrap_or_default(),
                Mentioned::App(app_id) => serde_json::json!({
                    "union_id": "", "user_id": "",
                    "open_id": state.world.bot_open_id(app, app_id),
                }),
            };
            serde_json::json!({"key": m.key, "id": id, "name": m.name, "tenant_key": tenant_key})
        })
        .collect();
    let mut message = serde_json::json!({
        "message_id": row.message_id,
        "root_id": row.root_id.as_deref().unwrap_or(""),
        "parent_id": row.parent_id.as_deref().unwrap_or(""),
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
    if let Some(thread_id) = &row.thread_id {
        message["thread_id"] = thread_id.as_str().into();
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
