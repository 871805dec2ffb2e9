//! A click on an interactive card: `card.action.trigger` with a card update token; a card in
//! the app's answer replaces the message's card.

use super::*;

/// A click on an interactive card: `card.action.trigger` with `host: "im_message"` and a card
/// update token. A `card` in the answer replaces the message's card.
pub async fn card_action(state: &PlatformState, req: CardAction) -> Result<Acted, ApiError> {
    let user = user(state, &req.user)?;
    let row = messages::find(state, &req.message_id).await?;
    if row.recalled || row.deleted {
        return Err(invalid("message_id", "the message was recalled"));
    }
    let Some(sender_app) = row
        .sender_app
        .as_ref()
        .filter(|_| row.msg_type == "interactive")
    else {
        return Err(invalid(
            "message_id",
            format!(
                "only an app's interactive card can be clicked; this is a {} message",
                row.msg_type
            ),
        ));
    };
    must_be_in_chat(state, user, &row.chat_id).await?;
    let app = app(state, sender_app)?.clone();
    let ends = endpoints::of_app(state, &app).await?;
    let token = cards::hand_out_token(state, &app.app_id, &row.message_id, &user.user_id).await?;
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
    message_id: &MessageId,
    content: &str,
) -> Result<(), ApiError> {
    cards::replace_card(state, message_id, content).await?;
    state.platform.publish(
        "message.updated",
        state.clock.now_ms(),
        serde_json::json!({"message_id": message_id}),
    );
    Ok(())
}
