//! A user recalls a message they sent: it reads back recalled, and each app whose bot is in the
//! chat gets `im.message.recalled_v1` (message_id, chat_id, recall_time, recall_type).

use super::*;
use larkfeed_model::admin::Recall;

pub async fn recall(state: &PlatformState, req: Recall) -> Result<Acted, ApiError> {
    let user = user(state, &req.user)?;
    let message = messages::find(state, &req.message_id).await?;
    if message.sender_user.as_ref() != Some(&user.user_id) {
        return Err(invalid(
            "message_id",
            "only the user who sent a message recalls it",
        ));
    }
    let now = state.clock.now_ms();
    if !state.store.recall_message(&message.message_id, now).await? {
        return Err(ApiError::new(ErrorCode::MessageRecalled));
    }
    let applied = serde_json::json!({"message_id": message.message_id, "chat_id": message.chat_id});
    state
        .platform
        .publish("message.recalled", now, applied.clone());
    let mut first: Option<Outcome> = None;
    let mut events = Vec::new();
    for bot in crate::service::bots_of(state, &message.chat_id).await? {
        let Some(app) = state.world.app(&bot) else {
            continue;
        };
        let ends = endpoints::of_app(state, app).await?;
        let event = serde_json::json!({
            "message_id": message.message_id,
            "chat_id": message.chat_id,
            "recall_time": now.to_string(),
            "recall_type": "message_owner",
        });
        let body = delivery::envelope(
            state,
            app,
            &ends,
            "im.message.recalled_v1",
            micros(state),
            event,
        );
        let outcome = delivery::send_event(state, &app.app_id, &ends, body).await;
        events.push(serde_json::json!({"app_id": app.app_id, "delivered": outcome.delivered}));
        first.get_or_insert(outcome);
    }
    let mut applied = applied;
    applied["events"] = events.into();
    Ok(acted(
        first.unwrap_or_else(|| Outcome::not_sent("no app's bot is in the chat")),
        applied,
    ))
}
