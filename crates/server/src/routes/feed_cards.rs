use super::{parsed, success, Body, Reply};
use crate::extract::{Caller, Params, PathId};
use crate::service::feed_cards;
use crate::state::AppState;
use axum::extract::State;
use larkfeed_model::endpoint::{
    BotTimeSentive, CreateAppFeedCard, DeleteAppFeedCards, Endpoint, PatchFeedCard,
    UpdateAppFeedCards, UpdateChatButton,
};

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    body: Body<CreateAppFeedCard>,
) -> Reply<CreateAppFeedCard> {
    caller.require(CreateAppFeedCard::SCOPES)?;
    let id_type = caller.user_id_type(&params, "user_id_type")?;
    caller.limit::<CreateAppFeedCard>(&state).await?;
    let req = parsed::<CreateAppFeedCard, _>(body?.0.parse())?;
    Ok(success(
        feed_cards::create(&state, &caller.app, id_type, req).await?,
    ))
}

pub async fn update_batch(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    body: Body<UpdateAppFeedCards>,
) -> Reply<UpdateAppFeedCards> {
    caller.require(UpdateAppFeedCards::SCOPES)?;
    let id_type = caller.user_id_type(&params, "user_id_type")?;
    caller.limit::<UpdateAppFeedCards>(&state).await?;
    let req = parsed::<UpdateAppFeedCards, _>(body?.0.parse())?;
    Ok(success(
        feed_cards::update_batch(&state, &caller.app, id_type, req).await?,
    ))
}

pub async fn delete_batch(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    body: Body<DeleteAppFeedCards>,
) -> Reply<DeleteAppFeedCards> {
    caller.require(DeleteAppFeedCards::SCOPES)?;
    let id_type = caller.user_id_type(&params, "user_id_type")?;
    caller.limit::<DeleteAppFeedCards>(&state).await?;
    let req = parsed::<DeleteAppFeedCards, _>(body?.0.parse())?;
    Ok(success(
        feed_cards::delete_batch(&state, &caller.app, id_type, req).await?,
    ))
}

pub async fn update_chat_buttons(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    body: Body<UpdateChatButton>,
) -> Reply<UpdateChatButton> {
    caller.require(UpdateChatButton::SCOPES)?;
    let id_type = caller.user_id_type(&params, "user_id_type")?;
    caller.limit::<UpdateChatButton>(&state).await?;
    let req = parsed::<UpdateChatButton, _>(body?.0.parse())?;
    Ok(success(
        feed_cards::update_chat_buttons(&state, &caller.app, id_type, req).await?,
    ))
}

/// `PATCH /open-apis/im/v2/feed_cards/:feed_card_id`. The platform requires `user_id_type` here.
pub async fn patch_chat(
    State(state): State<AppState>,
    caller: Caller,
    PathId(feed_card_id): PathId,
    params: Params,
    body: Body<PatchFeedCard>,
) -> Reply<PatchFeedCard> {
    caller.require(PatchFeedCard::SCOPES)?;
    if params.get("user_id_type").is_none() {
        return Err(params.invalid("user_id_type", "is required"));
    }
    let id_type = caller.user_id_type(&params, "user_id_type")?;
    caller.limit::<PatchFeedCard>(&state).await?;
    let req = parsed::<PatchFeedCard, _>(body?.0.parse())?;
    Ok(success(
        feed_cards::set_chat_time_sensitive(&state, &caller.app, id_type, &feed_card_id, req)
            .await?,
    ))
}

/// `PATCH /open-apis/im/v2/feed_cards/bot_time_sentive` (the platform's spelling).
pub async fn bot_time_sentive(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    body: Body<BotTimeSentive>,
) -> Reply<BotTimeSentive> {
    caller.require(BotTimeSentive::SCOPES)?;
    let id_type = caller.user_id_type(&params, "user_id_type")?;
    caller.limit::<BotTimeSentive>(&state).await?;
    let req = parsed::<BotTimeSentive, _>(body?.0.parse())?;
    Ok(success(
        feed_cards::set_bot_time_sensitive(&state, &caller.app, id_type, req).await?,
    ))
}
