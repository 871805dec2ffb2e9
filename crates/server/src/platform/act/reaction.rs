//! A user reacts to a message, or takes the reaction back: stored, then
//! `im.message.reaction.created_v1` or `deleted_v1` to each app whose bot is in the chat.

use super::*;
use crate::service::reactions;
use crate::store::Actor;
use larkfeed_model::admin::React;

pub async fn react(state: &PlatformState, req: React) -> Result<Acted, ApiError> {
    let user = user(state, &req.user)?;
    reactions::known_emoji(&req.emoji_type)?;
    let message = reactions::reactable(state, &req.message_id).await?;
    must_be_in_chat(state, user, &message.chat_id).await?;
    let who = Actor::User(user.user_id.clone());
    let removing = req.remove.unwrap_or(false);
    let (row, changed) = if removing {
        match reactions::find(state, &message, &who, &req.emoji_type).await? {
            Some(row) => {
                let gone = state.store.remove_reaction(&row.reaction_id).await?;
                (row, gone)
            }
            None => {
                return Err(invalid(
                    "emoji_type",
                    format!(
                        "{} has no {} reaction on this message",
                        user.name, req.emoji_type
                    ),
                ))
            }
        }
    } else {
        reactions::react(state, &message, who, &req.emoji_type).await?
    };
    let (kind, event_type) = if removing {
        ("reaction.deleted", "im.message.reaction.deleted_v1")
    } else {
        ("reaction.created", "im.message.reaction.created_v1")
    };
    let now = state.clock.now_ms();
    let applied_reaction = serde_json::json!({
        "reaction_id": row.reaction_id, "message_id": row.message_id,
        "emoji_type": row.emoji_type, "user": user.user_id, "new": changed,
    });
    if !changed {
        return Ok(acted(
            Outcome::not_sent("the user had reacted so already: nothing changed"),
            serde_json::json!({"reaction": applied_reaction, "events": []}),
        ));
    }
    state.platform.publish(kind, now, applied_reaction.clone());
    let mut events = Vec::new();
    let mut first: Option<Outcome> = None;
    for bot in crate::service::bots_of(state, &message.chat_id).await? {
        let Some(app) = state.world.app(&bot) else {
            continue;
        };
        let ends = endpoints::of_app(state, app).await?;
        let event = serde_json::json!({
            "message_id": row.message_id,
            "reaction_type": {"emoji_type": row.emoji_type},
            "operator_type": "user",
            "user_id": ids_for(state, app, user),
            "action_time": now.to_string(),
        });
        let body = delivery::envelope(state, app, &ends, event_type, micros(state), event);
        let outcome = delivery::send_event(state, &app.app_id, &ends, body).await;
        events.push(serde_json::json!({
            "app_id": app.app_id, "sent": true, "delivered": outcome.delivered,
            "status": outcome.status, "error": outcome.error,
        }));
        first.get_or_insert(outcome);
    }
    Ok(acted(
        first.unwrap_or_else(|| Outcome::not_sent("no app's bot is in the chat")),
        serde_json::json!({"reaction": applied_reaction, "events": events}),
    ))
}
