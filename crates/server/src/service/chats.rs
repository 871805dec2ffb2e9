//! Group chats: create, add members, list members (232xxx codes).

use super::call::{Call, Reply, Serve};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{ChatRow, ChatType, Member, Members};
use crate::world::App;
use larkfeed_model::chat::{
    AboutChat, AddMembersResponse, Chat, ChatInfo, ChatMember, GroupType, InChat,
    ListMembersResponse, DEFAULT_PAGE_SIZE,
};
use larkfeed_model::endpoint::{self as ep, MemberIds, MemberPage, PathParam, UserIds};
use larkfeed_model::{
    AppId, ErrorCode, FieldError, MemberIdType, OpenId, UnionId, UserId, UserIdType,
};

/// The invalid-parameter code of this module's endpoints, as their descriptions name it.
const INVALID: ErrorCode = <ep::CreateChat as ep::Endpoint>::INVALID;

fn resolve_user(
    state: &AppState,
    app: &App,
    id_type: UserIdType,
    id: &str,
    field: String,
) -> Result<UserId, ApiError> {
    state
        .world
        .resolve(app, id_type, id)
        .map(|u| u.user_id.clone())
        .ok_or_else(|| {
            ApiError::field(
                INVALID,
                FieldError::new(field, format!("no user has the {id_type} {id:?}")),
            )
        })
}

impl Serve for ep::CreateChat {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let UserIds(id_type) = call.query;
        let req = call.body;
        if !app.bot {
            return Err(ApiError::new(ErrorCode::ChatBotAbilityOff));
        }
        let mut members = vec![Member::Bot(app.app_id.clone())];
        for (i, id) in req.user_ids.iter().enumerate() {
            let user = resolve_user(state, app, id_type, id, format!("user_id_list[{i}]"))?;
            members.push(Member::User(user));
        }
        for (i, bot) in req.bot_ids.iter().enumerate() {
            let Some(bot) = state.world.app(bot) else {
                return Err(ApiError::field(
                    INVALID,
                    FieldError::new(format!("bot_id_list[{i}]"), format!("no app {bot:?}")),
                ));
            };
            members.push(Member::Bot(bot.app_id.clone()));
        }
        let owner_user = match req.owner_id.as_deref() {
            Some(id) => {
                let user = resolve_user(state, app, id_type, id, "owner_id".into())?;
                members.push(Member::User(user.clone()));
                Some(user)
            }
            None => None,
        };
        let row = ChatRow {
            chat_id: super::new_chat_id(),
            name: req.name,
            description: req.description,
            chat_type: match req.group_type {
                GroupType::Private => ChatType::Private,
                GroupType::Public => ChatType::Public,
            },
            owner_app: owner_user.is_none().then(|| app.app_id.clone()),
            owner_user,
            creator_app: app.app_id.clone(),
            p2p_key: None,
            p2p_user: None,
            dissolved: false,
            created_at_ms: state.clock.now_ms(),
        };
        state.store.insert_chat(&row, &members).await?;
        tracing::debug!(chat_id = %row.chat_id, app_id = %app.app_id, members = members.len(), "created a chat");
        Ok(Chat {
            chat_id: row.chat_id.clone(),
            about: present(state, app, &row, id_type),
        })
    }
}

fn present(state: &AppState, app: &App, row: &ChatRow, id_type: UserIdType) -> AboutChat {
    let (owner_id, owner_id_type) = match (&row.owner_user, &row.owner_app) {
        (Some(user_id), _) => match state.world.user(user_id) {
            Some(user) => (
                state.world.id_of(app, user, id_type),
                id_type.as_str().to_string(),
            ),
            None => (String::new(), String::new()),
        },
        (None, Some(app_id)) => (app_id.to_string(), "app_id".to_string()),
        (None, None) => (String::new(), String::new()),
    };
    AboutChat {
        name: row.name.clone(),
        description: row.description.clone(),
        owner_id,
        owner_id_type,
        chat_mode: row.chat_type.mode().into(),
        chat_type: row.chat_type.as_str().into(),
        external: false,
        tenant_key: state.world.tenant.tenant_key.clone(),
    }
}

/// The chat with the calling bot in it, in the chat APIs' codes.
async fn chat_with_bot(state: &AppState, app: &App, chat_id: &str) -> Result<ChatRow, ApiError> {
    let unknown = || ApiError::new(ErrorCode::ChatIdInvalid);
    super::chat_with_bot(state, app, chat_id, unknown, ErrorCode::OperatorNotInChat).await
}

/// Whether `id` is of the kind `id_type` names (else it is an invalid id, not an unknown one).
fn looks_like(id_type: MemberIdType, id: &str) -> bool {
    match id_type {
        MemberIdType::User(UserIdType::OpenId) => OpenId::parse(id).is_ok(),
        MemberIdType::User(UserIdType::UnionId) => UnionId::parse(id).is_ok(),
        MemberIdType::User(UserIdType::UserId) => {
            UserId::parse(id).is_ok() && !id.contains(char::is_whitespace)
        }
        MemberIdType::AppId => AppId::parse(id).is_ok(),
    }
}

impl Serve for ep::AddChatMembers {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let PathParam(chat_id) = call.path;
        let MemberIds(id_type) = call.query;
        let ids = call.body;
        let chat_id = chat_id.as_str();
        let chat = chat_with_bot(state, app, chat_id).await?;
        if chat.chat_type == ChatType::P2p {
            return Err(ApiError::field(
                INVALID,
                FieldError::new("chat_id", "members cannot be added to a one-to-one chat"),
            ));
        }
        let mut response = AddMembersResponse::default();
        let mut members = Vec::new();
        for id in &ids {
            if !looks_like(id_type, id) {
                response.invalid_id_list.push(id.clone());
                continue;
            }
            let member = match id_type {
                MemberIdType::AppId => state.world.app(id).map(|a| Member::Bot(a.app_id.clone())),
                MemberIdType::User(t) => state
                    .world
                    .resolve(app, t, id)
                    .map(|u| Member::User(u.user_id.clone())),
            };
            match member {
                Some(m) => members.push(m),
                None => response.not_existed_id_list.push(id.clone()),
            }
        }
        state
            .store
            .add_members(&chat.chat_id, &members, state.clock.now_ms())
            .await?;
        Ok(response)
    }
}

/// The chat as the calling app sees it, with its member counts.
impl Serve for ep::GetChat {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let PathParam(chat_id) = call.path;
        let UserIds(id_type) = call.query;
        let chat_id = chat_id.as_str();
        let row = chat_with_bot(state, app, chat_id).await?;
        let (_, users) = state
            .store
            .list_members(Members::users(&row.chat_id).count())
            .await?;
        let (_, bots) = state
            .store
            .list_members(Members::bots(&row.chat_id).count())
            .await?;
        Ok(ChatInfo {
            about: present(state, app, &row, id_type),
            avatar: String::new(),
            user_count: users.to_string(),
            bot_count: bots.to_string(),
        })
    }
}

/// Whether the calling app's bot is in the chat: unlike the other chat calls, a bot outside the
/// chat gets an answer, not 232011.
impl Serve for ep::IsInChat {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let PathParam(chat_id) = call.path;
        let unknown = || ApiError::new(ErrorCode::ChatIdInvalid);
        let chat = super::live_chat(state, &chat_id, unknown).await?;
        let is_in_chat = super::bot_in_chat(state, &chat.chat_id, &app.app_id).await?;
        Ok(InChat { is_in_chat })
    }
}

impl Serve for ep::ListChatMembers {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let PathParam(chat_id) = call.path;
        let MemberPage {
            id_type,
            page_size,
            page_token,
        } = call.query;
        let (chat_id, page_token) = (chat_id.as_str(), page_token.as_deref());
        let page_size = page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        let chat = chat_with_bot(state, app, chat_id).await?;
        let offset = match page_token {
            None => 0,
            Some(t) => t.parse::<u32>().map_err(|_| {
                ApiError::field(
                    INVALID,
                    FieldError::new("page_token", "is not a token this endpoint gave"),
                )
            })?,
        };
        let (members, total) = state
            .store
            .list_members(Members::users(&chat.chat_id).page(offset, page_size))
            .await?;
        let next = offset as i64 + members.len() as i64;
        let items = members
            .iter()
            .filter_map(|m| state.world.user(m.id()))
            .map(|u| ChatMember {
                member_id_type: id_type.as_str().into(),
                member_id: state.world.id_of(app, u, id_type),
                name: u.name.clone(),
                tenant_key: state.world.tenant.tenant_key.clone(),
            })
            .collect();
        let has_more = next < total;
        Ok(ListMembersResponse {
            items,
            page_token: if has_more {
                next.to_string()
            } else {
                String::new()
            },
            has_more,
            member_total: total,
        })
    }
}

/// `GET /open-apis/im/v1/chats`: the groups the calling bot is in, oldest first, paged by the
/// last chat's create time and id (an unreadable `page_token` is 232001 naming it).
impl Serve for ep::ListChats {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let ep::ChatPage {
            id_type,
            page_size,
            page_token,
        } = call.query;
        let invalid_token = || {
            ApiError::field(
                ErrorCode::ChatInvalidParam,
                larkfeed_model::FieldError::new("page_token", "not a page_token this list gave"),
            )
        };
        let after = match &page_token {
            Some(token) => {
                let (time, id) = token.split_once('_').ok_or_else(invalid_token)?;
                let time: i64 = time.parse().map_err(|_| invalid_token())?;
                let id = larkfeed_model::ChatId::parse(id).map_err(|_| invalid_token())?;
                Some((time, id))
            }
            None => None,
        };
        let size = page_size.unwrap_or(20);
        let mut rows = state
            .store
            .chats_of_bot(
                &app.app_id,
                after.as_ref().map(|(t, id)| (*t, id)),
                size + 1,
            )
            .await?;
        let has_more = rows.len() > size as usize;
        rows.truncate(size as usize);
        let page_token = has_more
            .then(|| {
                rows.last()
                    .map(|r| format!("{}_{}", r.created_at_ms, r.chat_id))
            })
            .flatten();
        let items = rows
            .iter()
            .map(|row| {
                let about = present(state, app, row, id_type);
                larkfeed_model::chat::ListedChat {
                    chat_id: row.chat_id.to_string(),
                    avatar: String::new(),
                    name: about.name,
                    description: about.description,
                    owner_id: about.owner_id,
                    owner_id_type: about.owner_id_type,
                    external: about.external,
                    tenant_key: about.tenant_key,
                    chat_status: "normal".into(),
                }
            })
            .collect();
        Ok(larkfeed_model::chat::ChatList {
            items,
            page_token,
            has_more,
        })
    }
}

/// `GET /open-apis/im/v1/chats/:chat_id/members/bots`: the chat's bots (the caller's among them),
/// each by the open_id the caller sees it under and its app's name.
impl Serve for ep::ListChatBots {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let PathParam(chat_id) = call.path;
        let row = chat_with_bot(state, app, &chat_id).await?;
        let items = super::bots_of(state, &row.chat_id)
            .await?
            .into_iter()
            .map(|bot| larkfeed_model::chat::ChatBot {
                bot_id: state.world.bot_open_id(app, &bot),
                bot_name: state.world.app_name(&bot).to_string(),
            })
            .collect();
        Ok(larkfeed_model::chat::ChatBots { items })
    }
}
