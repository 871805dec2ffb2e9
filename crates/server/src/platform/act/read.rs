//! A user reads a message: the chat is read up to now for them (its unread count goes), and the
//! app that sent the message gets `im.message.message_read_v1`.

use super::*;
use larkfeed_model::admin::Read;

pub async fn read(state: &PlatformState, req: Read) -> Result<Acted, ApiError> {
    let user = user(state, &req.user)?;
    let message = messages::find(state, &req.message_id).await?;
    must_be_in_chat(state, user, &message.chat_id).await?;
    let now = state.clock.now_ms();
    let entry = ChatEntry {
        chat_id: &message.chat_id,
        user_id: &user.user_id,
    };
    state.store.read_chat(entry, now).await?;
    let applied = serde_json::json!({"message_id": message.message_id, "user": user.user_id, "read_time": now});
    state.platform.publish("message.read", now, applied.clone());
    let Some(app) = message
        .sender_app
        .as_deref()
        .and_then(|id| state.world.app(id))
    else {
        return Ok(acted(
            Outcome::not_sent("a user sent the message: no app hears of it"),
            applied,
        ));
    };
    let ends = endpoints::of_app(state, app).await?;
    let event = serde_json::json!({
        "reader": {
            "reader_id": ids_for(state, app, user),
            "read_time": now.to_string(),
            "tenant_key": state.world.tenant.tenant_key,
        },
        "message_id_list": [message.message_id],
    });
    let body = delivery::envelope(
        state,
        app,
        &ends,
        "im.message.message_read_v1",
        micros(state),
        event,
    );
    let outcome = delivery::send_event(state, &app.app_id, &ends, body).await;
    Ok(acted(outcome, applied))
}
