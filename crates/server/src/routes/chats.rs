use super::{success, Answer};
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody, Params, PathId, Per};
use crate::service::chats;
use crate::state::AppState;
use axum::extract::State;
use larkfeed_model::chat::{
    AddMembersRequest, AddMembersResponse, Chat, CreateChatRequest, ListMembersResponse,
    DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE,
};
use larkfeed_model::{MemberIdType, UserIdType};

const SCOPES: &[&str] = &["im:chat"];
/// 50 a second and 1000 a minute, per app and per API.
const LIMITS: &[Per] = &[Per::Second(50), Per::Minute(1000)];

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    body: Result<JsonBody<CreateChatRequest>, ApiError>,
) -> Answer<Chat> {
    caller.require(SCOPES)?;
    let id_type = caller.user_id_type(&params, "user_id_type")?;
    caller.limit(&state, "chats.create", LIMITS).await?;
    let JsonBody(req) = body?;
    Ok(success(
        chats::create(&state, &caller.app, id_type, &req).await?,
    ))
}

pub async fn add_members(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    PathId(chat_id): PathId,
    body: Result<JsonBody<AddMembersRequest>, ApiError>,
) -> Answer<AddMembersResponse> {
    caller.require(SCOPES)?;
    let id_type = params
        .parse::<MemberIdType>("member_id_type")?
        .unwrap_or(MemberIdType::User(UserIdType::OpenId));
    if id_type == MemberIdType::User(UserIdType::UserId) {
        caller.user_id_type(&params, "member_id_type")?;
    }
    caller.limit(&state, "chats.members.add", LIMITS).await?;
    let JsonBody(req) = body?;
    Ok(success(
        chats::add_members(&state, &caller.app, &chat_id, id_type, &req).await?,
    ))
}

pub async fn list_members(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    PathId(chat_id): PathId,
) -> Answer<ListMembersResponse> {
    caller.require(SCOPES)?;
    let id_type = caller.user_id_type(&params, "member_id_type")?;
    let page_size = params
        .number("page_size", 1, MAX_PAGE_SIZE)?
        .unwrap_or(DEFAULT_PAGE_SIZE);
    caller.limit(&state, "chats.members.list", LIMITS).await?;
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
