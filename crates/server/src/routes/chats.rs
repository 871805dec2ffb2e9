use super::{parsed, success, Body, Reply};
use crate::extract::{Caller, Params, PathId};
use crate::service::chats;
use crate::state::AppState;
use axum::extract::State;
use larkfeed_model::chat::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use larkfeed_model::endpoint::{AddChatMembers, CreateChat, Endpoint, GetChat, ListChatMembers};
use larkfeed_model::{MemberIdType, UserIdType};

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    body: Body<CreateChat>,
) -> Reply<CreateChat> {
    caller.require(CreateChat::SCOPES)?;
    let id_type = caller.user_id_type(&params, "user_id_type")?;
    caller.limit::<CreateChat>(&state).await?;
    let req = parsed::<CreateChat, _>(body?.0.parse())?;
    Ok(success(
        chats::create(&state, &caller.app, id_type, req).await?,
    ))
}

pub async fn add_members(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    PathId(chat_id): PathId,
    body: Body<AddChatMembers>,
) -> Reply<AddChatMembers> {
    caller.require(AddChatMembers::SCOPES)?;
    let id_type = params
        .parse::<MemberIdType>("member_id_type")?
        .unwrap_or(MemberIdType::User(UserIdType::OpenId));
    if id_type == MemberIdType::User(UserIdType::UserId) {
        caller.user_id_type(&params, "member_id_type")?;
    }
    caller.limit::<AddChatMembers>(&state).await?;
    let req = parsed::<AddChatMembers, _>(body?.0.parse())?;
    Ok(success(
        chats::add_members(&state, &caller.app, &chat_id, id_type, req).await?,
    ))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    PathId(chat_id): PathId,
) -> Reply<GetChat> {
    caller.require(GetChat::SCOPES)?;
    let id_type = caller.user_id_type(&params, "user_id_type")?;
    caller.limit::<GetChat>(&state).await?;
    Ok(success(
        chats::get(&state, &caller.app, &chat_id, id_type).await?,
    ))
}

pub async fn list_members(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    PathId(chat_id): PathId,
) -> Reply<ListChatMembers> {
    caller.require(ListChatMembers::SCOPES)?;
    let id_type = caller.user_id_type(&params, "member_id_type")?;
    let page_size = params
        .number("page_size", 1, MAX_PAGE_SIZE)?
        .unwrap_or(DEFAULT_PAGE_SIZE);
    caller.limit::<ListChatMembers>(&state).await?;
    let page = chats::list_members(
        &state,
        &caller.app,
        &chat_id,
        id_type,
        page_size,
        params.get("page_token"),
    )
    .await?;
    Ok(success(page))
}
