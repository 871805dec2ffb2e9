//! Messages: send (to a user's one-to-one chat with the bot, or to a chat), get, recall, and the
//! card update of seed 002 with its rules checked in the platform's order.

use super::call::{Call, Reply, Serve};
use super::{bot_in_chat, existing_p2p_chat, new_p2p_chat, p2p_key};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{
    ChatType, ContentEdit, Destination, Edited, Mentioned, MessageEdit, MessageRow, MessageSlice,
    NewMessage, Sent, UuidKey,
};
use crate::world::App;
use larkfeed_model::card::{sub_code, CardError, CardInfo};
use larkfeed_model::endpoint::{self as ep, Container, PathParam, ReceiveIds};
use larkfeed_model::message::{
    check_content, ContentError, GetMessageResponse, Mention, Message, MessageBody, MessageList,
    Sender, EDIT_LIMIT, LIST_DEFAULT_PAGE_SIZE, PATCH_WINDOW_MS, RECALLED_CONTENT,
};
use larkfeed_model::{CardId, Empty, ErrorCode, FieldError, MessageId, ReceiveIdType, ThreadId};

/// The invalid-parameter code of this module's endpoints, as their descriptions name it.
const INVALID: ErrorCode = <ep::SendMessage as ep::Endpoint>::INVALID;
/// A uuid sends at most one message within this window.
pub const UUID_WINDOW_MS: i64 = 3600 * 1000;
/// Updates allowed per message per second (230020 beyond).
pub const UPDATES_PER_SECOND: u32 = 5;
/// Sends allowed per chat (and so per user) per second (230020 beyond).
pub const SENDS_PER_SECOND: u32 = 5;

pub(crate) fn content_error(e: ContentError) -> ApiError {
    match e {
        ContentError::TooLong { limit, got } => ApiError::with_detail(
            ErrorCode::ContentTooLong,
            format!("content is {got} bytes, the limit is {limit}"),
        ),
        ContentError::Invalid(field) => ApiError::field(INVALID, field),
        ContentError::Card(card) => card_error(card),
    }
}

/// 230099 in the platform's shape: `Failed to create card content, ext=ErrCode: …; ErrMsg: …`.
fn card_error(card: CardError) -> ApiError {
    ApiError::with_msg(
        ErrorCode::CardInvalid,
        format!("{}, ext={card}", ErrorCode::CardInvalid.message()),
    )
}

/// The message as `viewer` sees it: a user who sent or is mentioned appears under the viewer's
/// open_id of them, a mentioned bot under its open_id.
pub fn present(state: &AppState, viewer: &App, row: MessageRow) -> Message {
    let gone = row.recalled || row.deleted;
    let tenant_key = state.world.tenant.tenant_key.clone();
    let user_open_id = |user_id: &str| state.world.open_id_of(viewer, user_id);
    let sender = match &row.sender_user {
        Some(user_id) => Sender {
            id: user_open_id(user_id),
            id_type: "open_id".into(),
            sender_type: "user".into(),
            tenant_key: tenant_key.clone(),
        },
        None => Sender {
            id: row.sender_app.map(String::from).unwrap_or_default(),
            id_type: "app_id".into(),
            sender_type: "app".into(),
            tenant_key: tenant_key.clone(),
        },
    };
    let mentions = (!row.mentions.is_empty()).then(|| {
        row.mentions
            .iter()
            .map(|m| Mention {
                key: m.key.clone(),
                id: match &m.who {
                    Mentioned::User(user_id) => user_open_id(user_id),
                    Mentioned::App(app_id) => state.world.bot_open_id(viewer, app_id),
                },
                id_type: "open_id".into(),
                name: m.name.clone(),
                tenant_key: tenant_key.clone(),
            })
            .collect()
    });
    Message {
        message_id: row.message_id,
        root_id: row.root_id,
        parent_id: row.parent_id,
        thread_id: row.thread_id,
        msg_type: row.msg_type,
        create_time: row.create_time_ms.to_string(),
        update_time: row.update_time_ms.to_string(),
        deleted: gone,
        updated: row.updated,
        chat_id: row.chat_id,
        sender,
        body: MessageBody {
            content: if gone { String::new() } else { row.content },
        },
        mentions,
        upper_message_id: None,
    }
}

impl Serve for ep::SendMessage {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let ReceiveIds(receive_id_type) = call.query;
        let req = call.body;
        if !app.bot {
            return Err(ApiError::new(ErrorCode::BotAbilityOff));
        }
        let (msg_type, content) = (req.msg_type.as_str(), req.content.as_str());
        let card = check_content(msg_type, content).map_err(content_error)?;
        super::resources::keys_exist(state, msg_type, content).await?;
        let card_id = entity_sent(state, app, card).await?;
        let uuid = req.uuid.as_deref();
        let (to, limit_key) =
            destination(state, app, receive_id_type, req.receive_id.as_str()).await?;
        let post = Post {
            to,
            limit_key,
            msg_type,
            content,
            uuid,
            thread: Thread::default(),
            card_id,
        };
        let row = post_message(state, app, post).await?;
        Ok(present(state, app, row))
    }
}

/// Where a message to `receive_id` goes, and the chat whose send limit it counts against (a
/// one-to-one chat by its key, so the limit is the same before and after the chat is first
/// opened): a chat the bot is in, or a user's one-to-one chat with it (opened with the message).
async fn destination(
    state: &AppState,
    app: &App,
    receive_id_type: ReceiveIdType,
    receive_id: &str,
) -> Result<(Destination, String), ApiError> {
    let now = state.clock.now_ms();
    let to = match receive_id_type {
        ReceiveIdType::ChatId => {
            let chat = super::chat(state, receive_id).await?.ok_or_else(|| {
                ApiError::field(
                    INVALID,
                    FieldError::new("receive_id", "no chat has this chat_id"),
                )
            })?;
            if chat.dissolved {
                return Err(ApiError::new(ErrorCode::ChatDissolved));
            }
            if !bot_in_chat(state, &chat.chat_id, &app.app_id).await? {
                return Err(ApiError::new(ErrorCode::BotNotInChatForRead));
            }
            let key = chat
                .p2p_key
                .clone()
                .unwrap_or_else(|| chat.chat_id.to_string());
            (Destination::Chat(chat.chat_id), key)
        }
        ReceiveIdType::Email | ReceiveIdType::User(_) => {
            let user = match receive_id_type {
                ReceiveIdType::User(t) => state.world.resolve(app, t, receive_id),
                _ => state.world.resolve_email(receive_id),
            };
            let user = user.ok_or_else(|| {
                ApiError::field(
                    INVALID,
                    FieldError::new(
                        "receive_id",
                        format!(
                            "no user has the {} {receive_id:?}",
                            receive_id_type.as_str()
                        ),
                    ),
                )
            })?;
            if !state.world.is_available(app, user) {
                return Err(ApiError::new(ErrorCode::NoAvailability));
            }
            let to = match existing_p2p_chat(state, &app.app_id, &user.user_id).await? {
                Some(chat_id) => Destination::Chat(chat_id),
                None => Destination::P2p(new_p2p_chat(&app.app_id, &user.user_id, now)),
            };
            (to, p2p_key(&app.app_id, &user.user_id))
        }
    };
    Ok(to)
}

/// Where a new message stands in a conversation: the message it answers and the first message
/// of its conversation, and its thread.
#[derive(Debug, Default)]
pub(crate) struct Thread {
    pub root_id: Option<MessageId>,
    pub parent_id: Option<MessageId>,
    pub thread_id: Option<ThreadId>,
    /// `thread_id` is new: the thread opens under `root_id` (see [`NewMessage::opens_thread`]).
    pub opens: bool,
}

impl Thread {
    /// Where a reply to `parent` stands: in the parent's thread if it is in one, in a new thread
    /// under it (`in_thread`), or quoting it in the chat.
    pub(crate) fn under(parent: &MessageRow, in_thread: bool) -> Thread {
        let root = parent.root_id.clone().unwrap_or(parent.message_id.clone());
        match (&parent.thread_id, in_thread) {
            (Some(thread_id), _) => Thread {
                root_id: Some(root),
                parent_id: Some(parent.message_id.clone()),
                thread_id: Some(thread_id.clone()),
                opens: false,
            },
            (None, true) => Thread {
                root_id: Some(parent.message_id.clone()),
                parent_id: Some(parent.message_id.clone()),
                thread_id: Some(super::new_thread_id()),
                opens: true,
            },
            (None, false) => Thread {
                root_id: Some(root),
                parent_id: Some(parent.message_id.clone()),
                thread_id: None,
                opens: false,
            },
        }
    }
}

/// A message an app posts, its destination known and its content checked.
pub(crate) struct Post<'a> {
    pub to: Destination,
    /// The chat whose send limit it counts against (a one-to-one chat by its key, so the limit
    /// is the same before and after the chat is first opened).
    pub limit_key: String,
    pub msg_type: &'a str,
    pub content: &'a str,
    pub uuid: Option<&'a str>,
    pub thread: Thread,
    /// The CardKit entity it sends, checked by [`entity_sent`].
    pub card_id: Option<CardId>,
}

/// The card entity an interactive message sends by its id, if it sends one, checked as the
/// platform checks it (see [`super::cardkit::sendable`]).
async fn entity_sent(
    state: &AppState,
    app: &App,
    card: Option<CardInfo>,
) -> Result<Option<CardId>, ApiError> {
    match card.and_then(|c| c.entity) {
        Some(card_id) => super::cardkit::sendable(state, app, &card_id)
            .await
            .map(Some),
        None => Ok(None),
    }
}

/// Every app message's way into a chat, whatever sent it (a send, a reply): a uuid already used
/// within the hour answers its first message; then the chat's send limit; then the row, stored
/// atomically with its uuid check and its one-to-one chat; then the caches. The change is shown
/// by the call's description (`message.sent`).
pub(crate) async fn post_message(
    state: &AppState,
    app: &App,
    post: Post<'_>,
) -> Result<MessageRow, ApiError> {
    let now = state.clock.now_ms();
    if let Some(uuid) = post.uuid {
        let key = UuidKey {
            app_id: &app.app_id,
            uuid,
            since_ms: now - UUID_WINDOW_MS,
        };
        if let Some(first) = state.store.message_by_uuid(key).await? {
            return Ok(first);
        }
    }
    // 5 sends a second to one chat, shared by every bot in it. A user's messages from this app
    // all go to the one-to-one chat, so this is also the 5-a-second limit per user. Checked
    // before anything is stored: a refused send leaves nothing behind.
    state
        .limits
        .count(
            &format!("send|{}", post.limit_key),
            SENDS_PER_SECOND,
            1000,
            now,
        )
        .await
        .map_err(|e| ApiError::rate_limited(ErrorCode::ImRateLimited, e.limit, e.reset_secs))?;
    let opening = matches!(post.to, Destination::P2p(_));
    let Thread {
        root_id,
        parent_id,
        thread_id,
        opens,
    } = post.thread;
    let chat_id = post.to.chat_id().clone();
    let content = post.content.to_string();
    let message = MessageRow::new(
        super::new_message_id(),
        chat_id,
        post.msg_type.to_string(),
        content,
        now,
    );
    let row = MessageRow {
        sender_app: Some(app.app_id.clone()),
        uuid: post.uuid.map(str::to_string),
        root_id,
        parent_id,
        thread_id,
        ..message
    };
    let sent = state
        .store
        .send_message(NewMessage {
            to: post.to,
            row,
            uuid_since_ms: now - UUID_WINDOW_MS,
            opens_thread: opens,
            card_id: post.card_id,
        })
        .await?;
    let row = match sent {
        Sent::New(row) | Sent::Duplicate(row) => row,
        Sent::CardTaken => return Err(super::cardkit::taken()),
    };
    if opening {
        let chat_id = row.chat_id.clone();
        state.caches.p2p_chats.insert(post.limit_key, chat_id);
    }
    Ok(row)
}

/// A message a user sends (played by the server): stored with its one-to-one chat if it opens
/// one (and the thread it opens, if it does), with no uuid and no send limit (those are the
/// apps').
pub(crate) async fn post_user_message(
    state: &AppState,
    to: Destination,
    row: MessageRow,
    opens_thread: bool,
) -> Result<MessageRow, ApiError> {
    let opening = match &to {
        Destination::P2p(chat) => chat.p2p_key.clone(),
        Destination::Chat(_) => None,
    };
    let sent = state
        .store
        .send_message(NewMessage {
            to,
            uuid_since_ms: row.create_time_ms,
            row,
            opens_thread,
            card_id: None,
        })
        .await?;
    let row = match sent {
        Sent::New(row) | Sent::Duplicate(row) => row,
        Sent::CardTaken => return Err(super::cardkit::taken()),
    };
    if let Some(key) = opening {
        state.caches.p2p_chats.insert(key, row.chat_id.clone());
    }
    Ok(row)
}

/// `POST /open-apis/im/v1/messages/:message_id/reply`: into the replied message's chat, quoting
/// it, or in a thread under it (a reply to a message in a thread stays in that thread).
impl Serve for ep::ReplyMessage {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let PathParam(message_id) = call.path;
        let reply = call.body;
        if !app.bot {
            return Err(ApiError::new(ErrorCode::BotAbilityOff));
        }
        let (msg_type, content) = (reply.msg_type.as_str(), reply.content.as_str());
        let card = check_content(msg_type, content).map_err(content_error)?;
        super::resources::keys_exist(state, msg_type, content).await?;
        let parent = find(state, &message_id).await?;
        if parent.deleted {
            return Err(ApiError::new(ErrorCode::MessageDeleted));
        }
        if parent.recalled {
            return Err(ApiError::new(ErrorCode::MessageRecalled));
        }
        let chat = state
            .store
            .get_chat(&parent.chat_id)
            .await?
            .ok_or_else(|| ApiError::new(ErrorCode::InternalError))?;
        if chat.dissolved {
            return Err(ApiError::new(ErrorCode::ChatDissolved));
        }
        if !bot_in_chat(state, &chat.chat_id, &app.app_id).await? {
            return Err(ApiError::new(ErrorCode::BotNotInChatForRead));
        }
        let thread = Thread::under(&parent, reply.in_thread);
        let limit_key = chat
            .p2p_key
            .clone()
            .unwrap_or_else(|| chat.chat_id.to_string());
        let card_id = entity_sent(state, app, card).await?;
        let post = Post {
            to: Destination::Chat(chat.chat_id),
            limit_key,
            msg_type,
            content,
            uuid: reply.uuid.as_deref(),
            thread,
            card_id,
        };
        let row = post_message(state, app, post).await?;
        Ok(present(state, app, row))
    }
}

/// The message with this id; 230001 naming `message_id` if there is none.
pub(crate) async fn find(state: &AppState, message_id: &str) -> Result<MessageRow, ApiError> {
    let unknown = || {
        ApiError::field(
            INVALID,
            FieldError::new("message_id", "no message has this id"),
        )
    };
    let message_id = MessageId::parse(message_id).map_err(|_| unknown())?;
    state
        .store
        .get_message(&message_id)
        .await?
        .ok_or_else(unknown)
}

/// Whether the app sent the message.
fn sent_by(row: &MessageRow, app: &App) -> bool {
    row.sender_app.as_ref() == Some(&app.app_id)
}

impl Serve for ep::GetMessage {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let PathParam(message_id) = call.path;
        let row = find(state, &message_id).await?;
        if !bot_in_chat(state, &row.chat_id, &app.app_id).await? {
            return Err(ApiError::new(ErrorCode::BotNotInChatForRead));
        }
        Ok(GetMessageResponse {
            items: vec![present(state, app, row)],
        })
    }
}

impl Serve for ep::RecallMessage {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let PathParam(message_id) = call.path;
        let message_id = message_id.as_str();
        let row = find(state, message_id).await?;
        if !sent_by(&row, app) {
            return Err(ApiError::with_msg(
                ErrorCode::NoPermission,
                "Lack of necessary permissions: only the sender may recall a message.",
            ));
        }
        if row.deleted {
            return Err(ApiError::new(ErrorCode::MessageDeleted));
        }
        if !state
            .store
            .recall_message(&row.message_id, state.clock.now_ms())
            .await?
        {
            return Err(ApiError::new(ErrorCode::MessageRecalled));
        }
        Ok(Empty {})
    }
}

/// Seed 002: only the sending app, only `interactive`, not recalled, within 14 days, at most
/// 30 KB, a buildable card, shared (`update_multi`) when the chat is a group, 5 updates/s.
impl Serve for ep::PatchMessage {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let PathParam(message_id) = call.path;
        let content = call.body;
        let message_id = message_id.as_str();
        let content = content.as_str();
        let row = find(state, message_id).await?;
        if !sent_by(&row, app) {
            return Err(ApiError::with_msg(
                ErrorCode::NoPermission,
                "Lack of necessary permissions: only the app that sent a message may update it.",
            ));
        }
        if !app.bot {
            return Err(ApiError::new(ErrorCode::BotAbilityOff));
        }
        if row.recalled {
            return Err(ApiError::new(ErrorCode::MessageRecalled));
        }
        if row.deleted {
            return Err(ApiError::new(ErrorCode::MessageDeleted));
        }
        if row.msg_type != "interactive" {
            return Err(ApiError::field(
                INVALID,
                FieldError::new(
                    "message_id",
                    format!(
                        "only interactive messages can be updated, this one is {}",
                        row.msg_type
                    ),
                ),
            ));
        }
        let now = state.clock.now_ms();
        if now - row.create_time_ms > PATCH_WINDOW_MS {
            return Err(ApiError::new(ErrorCode::MessageTooOld));
        }
        let Some(card) = check_content("interactive", content).map_err(content_error)? else {
            return Err(ApiError::new(ErrorCode::InternalError));
        };
        super::resources::keys_exist(state, "interactive", content).await?;
        if card.entity.is_some() {
            return Err(ApiError::field(
                INVALID,
                FieldError::new(
                    "content",
                    "a card entity is sent once: update the card with card JSON, or write to the entity",
                ),
            ));
        }
        let chat = state.store.get_chat(&row.chat_id).await?;
        if let Some(chat) = &chat {
            if chat.dissolved {
                return Err(ApiError::new(ErrorCode::ChatDissolved));
            }
            if chat.chat_type != ChatType::P2p && !card.update_multi {
                return Err(card_error(CardError {
                    path: None,
                    sub_code: sub_code::UPDATE_MULTI,
                    detail:
                        "a card in a group chat must set config.update_multi to true to be updated"
                            .into(),
                }));
            }
            if let Some(user_id) = chat.p2p_user.as_deref() {
                let available = state
                    .world
                    .user(user_id)
                    .is_some_and(|u| state.world.is_available(app, u));
                if !available {
                    return Err(ApiError::new(ErrorCode::NoAvailability));
                }
            }
        }
        state
            .limits
            .count(
                &format!("patch|{message_id}"),
                UPDATES_PER_SECOND,
                1000,
                now,
            )
            .await
            .map_err(|e| ApiError::rate_limited(ErrorCode::ImRateLimited, e.limit, e.reset_secs))?;
        let edit = ContentEdit {
            message_id: &row.message_id,
            content,
            now_ms: now,
        };
        store_content(state, edit).await?;
        Ok(Empty {})
    }
}

/// Stores a message's new content; 230011 if it was recalled meanwhile.
pub(crate) async fn store_content(state: &AppState, edit: ContentEdit<'_>) -> Result<(), ApiError> {
    if state.store.update_message_content(edit).await? {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::MessageRecalled))
    }
}

/// `GET /open-apis/im/v1/messages` (the reference page im-v1/message/list): a chat's messages
/// with its thread replies left out, or one thread's (its root first), oldest or latest first.
/// A recalled message lists with `deleted: true` and the page's fixed text as its content.
impl Serve for ep::ListMessages {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let q = call.query;
        if !app.bot {
            return Err(ApiError::new(ErrorCode::BotAbilityOff));
        }
        let unknown = |what: &str| {
            ApiError::field(
                INVALID,
                FieldError::new("container_id", format!("no {what} has this id")),
            )
        };
        let (chat_id, thread_id) = match q.container {
            Container::Chat => {
                let chat = super::chat(state, &q.container_id)
                    .await?
                    .ok_or_else(|| unknown("chat"))?;
                (chat.chat_id, None)
            }
            Container::Thread => {
                let thread =
                    ThreadId::parse(q.container_id.as_str()).map_err(|_| unknown("thread"))?;
                let root = state
                    .store
                    .thread_root(&thread)
                    .await?
                    .ok_or_else(|| unknown("thread"))?;
                (root.chat_id, Some(thread))
            }
        };
        if !bot_in_chat(state, &chat_id, &app.app_id).await? {
            return Err(ApiError::new(ErrorCode::BotNotInChatForRead));
        }
        // A thread is read whole: its container takes no time range.
        let (from_ms, to_ms) = match (&thread_id, q.start_time, q.end_time) {
            (Some(_), _, _) => (i64::MIN, i64::MAX),
            (None, from, to) => (
                from.map_or(i64::MIN, |s| s.saturating_mul(1000)),
                to.map_or(i64::MAX, |s| s.saturating_mul(1000).saturating_add(999)),
            ),
        };
        let after = match &q.page_token {
            Some(token) => Some(read_page_token(token)?),
            None => None,
        };
        let size = q.page_size.unwrap_or(LIST_DEFAULT_PAGE_SIZE);
        let slice = MessageSlice {
            chat_id: &chat_id,
            thread_id: thread_id.as_ref(),
            from_ms,
            to_ms,
            newest_first: q.newest_first,
            after: after.as_ref().map(|(t, id)| (*t, id.as_str())),
            limit: size + 1,
        };
        let mut rows = state.store.list_messages(slice).await?;
        let has_more = rows.len() > size as usize;
        rows.truncate(size as usize);
        let page_token = has_more
            .then(|| {
                rows.last()
                    .map(|r| format!("{}_{}", r.create_time_ms, r.message_id))
            })
            .flatten();
        let items = rows
            .into_iter()
            .map(|row| {
                let mut m = present(state, app, row);
                if m.deleted {
                    m.body.content = RECALLED_CONTENT.to_string();
                }
                m
            })
            .collect();
        Ok(MessageList {
            has_more,
            page_token,
            items,
        })
    }
}

/// A list's `page_token`: the last message's create time and id (230001 naming it otherwise).
fn read_page_token(token: &str) -> Result<(i64, String), ApiError> {
    let invalid = || {
        ApiError::field(
            INVALID,
            FieldError::new("page_token", "not a page_token this list gave"),
        )
    };
    let (time, id) = token.split_once('_').ok_or_else(invalid)?;
    let time = time.parse().map_err(|_| invalid())?;
    MessageId::parse(id).map_err(|_| invalid())?;
    Ok((time, id.to_string()))
}

/// `PUT /open-apis/im/v1/messages/:message_id` (im-v1/message/update): the sender edits a text
/// or post, 20 times at most.
impl Serve for ep::UpdateMessage {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let PathParam(message_id) = call.path;
        let edit = call.body;
        if !app.bot {
            return Err(ApiError::new(ErrorCode::BotAbilityOff));
        }
        check_content(&edit.msg_type, &edit.content).map_err(content_error)?;
        let row = find(state, &message_id).await?;
        if !sent_by(&row, app) {
            return Err(ApiError::new(ErrorCode::NotTheSender));
        }
        if row.recalled {
            return Err(ApiError::new(ErrorCode::MessageRecalled));
        }
        if row.deleted {
            return Err(ApiError::new(ErrorCode::MessageDeleted));
        }
        if row.msg_type != "text" && row.msg_type != "post" {
            return Err(ApiError::with_detail(
                ErrorCode::MessageTypeUnsupported,
                format!(
                    "only text and post messages are edited; this one is {}",
                    row.msg_type
                ),
            ));
        }
        if let Some(chat) = state.store.get_chat(&row.chat_id).await? {
            if chat.dissolved {
                return Err(ApiError::new(ErrorCode::ChatDissolved));
            }
        }
        if !bot_in_chat(state, &row.chat_id, &app.app_id).await? {
            return Err(ApiError::new(ErrorCode::BotNotInChatForRead));
        }
        let change = MessageEdit {
            message_id: &row.message_id,
            msg_type: &edit.msg_type,
            content: &edit.content,
            now_ms: state.clock.now_ms(),
            max_edits: EDIT_LIMIT,
        };
        match state.store.edit_message(change).await? {
            Edited::Done(row) => Ok(present(state, app, *row)),
            Edited::Recalled => Err(ApiError::new(ErrorCode::MessageRecalled)),
            Edited::TooMany => Err(ApiError::with_detail(
                ErrorCode::EditLimitReached,
                format!("a message is edited at most {EDIT_LIMIT} times"),
            )),
        }
    }
}

/// `GET /open-apis/im/v1/messages/:message_id/read_users` (im-v1/message/read_users): the users
/// of the chat who read it (their last read of the chat is at or after it), the sender left out;
/// only for a message the app sent (230027 otherwise). One page holds every reader.
impl Serve for ep::MessageReadUsers {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let PathParam(message_id) = call.path;
        let ep::RequiredUserIds(id_type) = call.query;
        let row = find(state, &message_id).await?;
        if !sent_by(&row, app) {
            return Err(ApiError::with_msg(
                ErrorCode::NoPermission,
                "Lack of necessary permissions: only the app that sent a message reads who read it.",
            ));
        }
        if row.recalled {
            return Err(ApiError::new(ErrorCode::MessageRecalled));
        }
        let tenant_key = state.world.tenant.tenant_key.clone();
        let items = state
            .store
            .readers(&row.chat_id, row.create_time_ms)
            .await?
            .into_iter()
            .filter_map(|(user_id, at)| {
                let user = state.world.user(&user_id)?;
                Some(larkfeed_model::message::ReadUser {
                    user_id_type: id_type.as_str().into(),
                    user_id: state.world.id_of(app, user, id_type),
                    timestamp: at.to_string(),
                    tenant_key: tenant_key.clone(),
                })
            })
            .collect();
        Ok(larkfeed_model::message::ReadUsers {
            items,
            has_more: false,
            page_token: None,
        })
    }
}

/// `POST /open-apis/im/v1/messages/:message_id/forward` (im-v1/message/forward): a copy of a
/// message the bot can see (its chat's), sent as the app to a user or a chat as a send is.
impl Serve for ep::ForwardMessage {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let PathParam(message_id) = call.path;
        let ReceiveIds(receive_id_type) = call.query;
        let receive_id = call.body;
        if !app.bot {
            return Err(ApiError::new(ErrorCode::BotAbilityOff));
        }
        let original = find(state, &message_id).await?;
        if original.recalled {
            return Err(ApiError::new(ErrorCode::MessageRecalled));
        }
        if original.deleted {
            return Err(ApiError::new(ErrorCode::MessageDeleted));
        }
        if !bot_in_chat(state, &original.chat_id, &app.app_id).await? {
            return Err(ApiError::new(ErrorCode::BotNotInChatForRead));
        }
        let (to, limit_key) = destination(state, app, receive_id_type, &receive_id).await?;
        let post = Post {
            to,
            limit_key,
            msg_type: &original.msg_type,
            content: &original.content,
            uuid: None,
            thread: Thread::default(),
            card_id: None,
        };
        let row = post_message(state, app, post).await?;
        Ok(present(state, app, row))
    }
}

/// `PATCH /open-apis/im/v1/messages/:message_id/urgent_app` (im-v1/message/urgent_app): only a
/// message the app sent (230027 otherwise), not recalled; ids that name no user of the chat come
/// back in `invalid_user_id_list`.
impl Serve for ep::UrgentApp {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let PathParam(message_id) = call.path;
        let ep::RequiredUserIds(id_type) = call.query;
        let ids = call.body;
        let row = find(state, &message_id).await?;
        if !sent_by(&row, app) {
            return Err(ApiError::with_msg(
                ErrorCode::NoPermission,
                "Lack of necessary permissions: only the app that sent a message sends it urgently.",
            ));
        }
        if row.recalled {
            return Err(ApiError::new(ErrorCode::MessageRecalled));
        }
        let mut invalid = Vec::new();
        for id in ids {
            let member = match state.world.resolve(app, id_type, &id) {
                Some(user) => super::user_in_chat(state, &row.chat_id, &user.user_id).await?,
                None => false,
            };
            if !member {
                invalid.push(id);
            }
        }
        Ok(larkfeed_model::message::UrgentResponse {
            invalid_user_id_list: invalid,
        })
    }
}
