//! What a user does, played by the server, one act per module: a click on an interactive card
//! (`card`), on a feed card's button or on a chat's quick-action button (`buttons`), and a message
//! typed to a chat or a bot (`message`). Each is delivered to the app as the platform would
//! deliver it, and each answers an [`Acted`]. What an act reads or stores goes through the
//! services; this module holds what the acts share (who acts, what the app sees of them, a
//! button's press).

mod bot;
mod buttons;
mod card;
mod message;
mod reaction;
mod read;
mod recall;

pub use bot::{add_bot, remove_bot};
pub use buttons::{chat_button, feed_card_button};
pub use card::card_action;
pub use message::send_message;
pub use reaction::react;
pub use read::read;
pub use recall::recall;

use super::delivery::{self, Outcome};
use super::endpoints::{self, Endpoints};
use super::PlatformState;
use crate::error::ApiError;
use crate::service::{cards, existing_p2p_chat, feed_cards, messages, new_p2p_chat};
use crate::store::{CardKey, ChatEntry, ChatType, Destination, MentionRow, Mentioned, MessageRow};
use crate::world::{App, User};
use larkfeed_model::admin::{Acted, CardAction, ChatButton, FeedCardButton, SendMessage};
use larkfeed_model::feed_card::Button;
use larkfeed_model::message::check_content;
use larkfeed_model::{ChatId, MessageId};
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
    chat_id: &ChatId,
) -> Result<(), ApiError> {
    if crate::service::user_in_chat(state, chat_id, &user.user_id).await? {
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
        ids["user_id"] = user.user_id.as_str().into();
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
