//! A click on a feed card's button or on a chat's quick-action button.

use super::*;

/// A click on a feed card's button. Decision (FACTS §2): a `webhook` button sends
/// `card.action.trigger` with `host: "app_feed_card"`, the button's `action_map` as
/// `action.value` and the `biz_id` in `context`.
pub async fn feed_card_button(
    state: &PlatformState,
    req: FeedCardButton,
) -> Result<Acted, ApiError> {
    let user = user(state, &req.user)?;
    let app = app(state, &req.app_id)?.clone();
    let card = feed_cards::card_of(
        state,
        CardKey {
            app_id: &app.app_id,
            user_id: &user.user_id,
            biz_id: &req.biz_id,
        },
    )
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
    for (app_id, _, buttons) in feed_cards::chat_buttons_seen(state, entry).await? {
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
