//! A user adds an app's bot to a group, or takes it out: the bot joins or leaves, and the app
//! gets `im.chat.member.bot.added_v1` or `deleted_v1` (chat_id, the operator's ids, the chat's
//! name).

use super::*;
use crate::store::ChatRow;
use crate::store::Member;
use larkfeed_model::admin::AddBot;

pub async fn add_bot(state: &PlatformState, req: AddBot) -> Result<Acted, ApiError> {
    user(state, &req.user)?; // named first when both are wrong, as before the bot check
    if !app(state, &req.app_id)?.bot {
        return Err(ApiError::new(ErrorCode::BotAbilityOff));
    }
    let (user, app, chat) = group_of(state, &req, "joins").await?;
    let now = state.clock.now_ms();
    let bot = [Member::Bot(app.app_id.clone())];
    let added = state.store.add_members(&chat.chat_id, &bot, now).await? > 0;
    let applied =
        serde_json::json!({"chat_id": chat.chat_id, "app_id": app.app_id, "added": added});
    if !added {
        return Ok(acted(
            Outcome::not_sent("the app's bot is in the chat already: nothing changed"),
            applied,
        ));
    }
    state
        .platform
        .publish("chat.bot_added", now, applied.clone());
    tell_app(
        state,
        (user, app, &chat),
        "im.chat.member.bot.added_v1",
        applied,
    )
    .await
}

/// A member takes an app's bot out of a group: it no longer reads or sends there, here and on the
/// other instances (whose caches remember bots in chats), and the app hears of it.
pub async fn remove_bot(state: &PlatformState, req: AddBot) -> Result<Acted, ApiError> {
    let (user, app, chat) = group_of(state, &req, "leaves").await?;
    let removed = state
        .store
        .remove_member(&chat.chat_id, &Member::Bot(app.app_id.clone()))
        .await?;
    let key = (chat.chat_id.to_string(), app.app_id.to_string());
    state.caches.bots_in_chats.remove(&key);
    state.platform.share_bot_left(&chat.chat_id, &app.app_id);
    let applied =
        serde_json::json!({"chat_id": chat.chat_id, "app_id": app.app_id, "removed": removed});
    if !removed {
        return Ok(acted(
            Outcome::not_sent("the app's bot was not in the chat: nothing changed"),
            applied,
        ));
    }
    let now = state.clock.now_ms();
    state
        .platform
        .publish("chat.bot_removed", now, applied.clone());
    tell_app(
        state,
        (user, app, &chat),
        "im.chat.member.bot.deleted_v1",
        applied,
    )
    .await
}

/// The acting user, the app and the group the request names: a live group (not a one-to-one
/// chat) the user is a member of. `verb` says what the bot does there, for the error.
async fn group_of<'a>(
    state: &'a PlatformState,
    req: &AddBot,
    verb: &str,
) -> Result<(&'a User, &'a Arc<App>, ChatRow), ApiError> {
    let user = user(state, &req.user)?;
    let app = app(state, &req.app_id)?;
    let chat = crate::service::chat(state, &req.chat_id)
        .await?
        .ok_or_else(|| invalid("chat_id", "no chat has this chat_id"))?;
    if chat.chat_type == ChatType::P2p {
        return Err(invalid(
            "chat_id",
            format!("a bot {verb} a group, not a one-to-one chat"),
        ));
    }
    if chat.dissolved {
        return Err(ApiError::new(ErrorCode::ChatDissolved));
    }
    must_be_in_chat(state, user, &chat.chat_id).await?;
    Ok((user, app, chat))
}

/// Sends the app `event_type` for its bot joining or leaving the chat, as the user's doing.
async fn tell_app(
    state: &PlatformState,
    (user, app, chat): (&User, &Arc<App>, &ChatRow),
    event_type: &str,
    applied: serde_json::Value,
) -> Result<Acted, ApiError> {
    let ends = endpoints::of_app(state, app).await?;
    let event = serde_json::json!({
        "chat_id": chat.chat_id,
        "operator_id": ids_for(state, app, user),
        "external": false,
        "operator_tenant_key": state.world.tenant.tenant_key,
        "name": chat.name,
        "i18n_names": {"zh_cn": chat.name, "en_us": chat.name},
    });
    let body = delivery::envelope(state, app, &ends, event_type, micros(state), event);
    let outcome = delivery::send_event(state, &app.app_id, &ends, body).await;
    Ok(acted(outcome, applied))
}
