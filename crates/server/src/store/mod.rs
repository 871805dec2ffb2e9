//! Storage behind traits split by capability (tokens, chats, messages, feed cards, the feed), so
//! the services never see SQL and a second backend can be added beside [`sqlite::SqliteStore`].
//! The store keeps data; the platform's rules (the feed-card merge, the one-to-one chat key, the
//! uuid window) are decided in `service/` and handed in as values or functions.
//!
//! Every write method is one atomic operation: a check and the write it guards happen together
//! (a uuid's first message, a token under the 30-minute rule, a one-to-one chat opened once).
//! `contract` (feature `contract`) holds the tests every backend must pass.

#[cfg(any(test, feature = "contract"))]
pub mod contract;
pub mod core;
pub(crate) mod db;
pub mod postgres;
pub mod schema;
pub mod secret;
pub mod sqlite;

use async_trait::async_trait;
use larkfeed_model::cardkit::Refusal;
use larkfeed_model::feed_card::{Button, OpenAppFeedCard, UpdateEffects, UpdateField};
use larkfeed_model::{AppId, BizId, CardId, ChatId, MessageId, ThreadId, UserId};

/// What can go wrong below the services. Backend errors are kept as text: the services only
/// log them and answer "internal error".
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed the operation.
    #[error("database error: {0}")]
    Backend(String),
    /// A stored value could not be read back (a bug, or a file edited by hand).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The store is shutting down or its writer is gone.
    #[error("the store is closed")]
    Closed,
    /// What the caller handed in cannot be stored (a snapshot naming an unknown table).
    #[error("{0}")]
    Refused(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A stored value that cannot be read back, or a value that cannot be written as JSON.
fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// A value as the JSON text a column holds.
fn to_json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(corrupt)
}

/// A tenant access token as stored: never the token itself (see `service::tokens`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    /// What a request's token is looked up by: a digest of it.
    pub token_hash: String,
    pub app_id: AppId,
    pub issued_at_ms: i64,
    pub expires_at_ms: i64,
    /// The token sealed with the app's secret, so it can be handed out again.
    pub sealed: String,
}

/// A group (`private`/`public`) or a bot's one-to-one chat with a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatType {
    Private,
    Public,
    P2p,
}

impl ChatType {
    pub fn as_str(self) -> &'static str {
        match self {
            ChatType::Private => "private",
            ChatType::Public => "public",
            ChatType::P2p => "p2p",
        }
    }

    /// The chat's mode as the platform names it in answers and events: `p2p` or `group`.
    pub fn mode(self) -> &'static str {
        match self {
            ChatType::P2p => "p2p",
            ChatType::Private | ChatType::Public => "group",
        }
    }

    pub fn parse(s: &str) -> Option<ChatType> {
        match s {
            "private" => Some(ChatType::Private),
            "public" => Some(ChatType::Public),
            "p2p" => Some(ChatType::P2p),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRow {
    pub chat_id: ChatId,
    pub name: String,
    pub description: String,
    pub chat_type: ChatType,
    pub owner_user: Option<UserId>,
    pub owner_app: Option<AppId>,
    pub creator_app: AppId,
    /// For a one-to-one chat: the key the service made of its bot and user (unique).
    pub p2p_key: Option<String>,
    /// For a one-to-one chat: the user.
    pub p2p_user: Option<UserId>,
    pub dissolved: bool,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemberKind {
    User,
    Bot,
}

/// A chat member: a user of the tenant, or an app's bot.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Member {
    User(UserId),
    Bot(AppId),
}

impl Member {
    pub fn kind(&self) -> MemberKind {
        match self {
            Member::User(_) => MemberKind::User,
            Member::Bot(_) => MemberKind::Bot,
        }
    }

    /// The id as stored: the user's user_id or the app's app_id.
    pub fn id(&self) -> &str {
        match self {
            Member::User(id) => id,
            Member::Bot(id) => id,
        }
    }

    /// The member of `kind` stored under `id`, its kind of id checked.
    pub fn of(kind: MemberKind, id: String) -> Result<Member, larkfeed_model::ids::IdError> {
        Ok(match kind {
            MemberKind::User => Member::User(UserId::parse(id)?),
            MemberKind::Bot => Member::Bot(AppId::parse(id)?),
        })
    }
}

impl MemberKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberKind::User => "user",
            MemberKind::Bot => "bot",
        }
    }
}

/// The members of one kind of one chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Members<'a> {
    pub chat_id: &'a ChatId,
    pub kind: MemberKind,
}

impl<'a> Members<'a> {
    pub fn users(chat_id: &'a ChatId) -> Self {
        Members {
            chat_id,
            kind: MemberKind::User,
        }
    }

    pub fn bots(chat_id: &'a ChatId) -> Self {
        Members {
            chat_id,
            kind: MemberKind::Bot,
        }
    }

    /// Up to `limit` of them from `offset`, in join order.
    pub fn page(self, offset: u32, limit: u32) -> MemberSlice<'a> {
        MemberSlice {
            of: self,
            offset,
            limit,
        }
    }

    /// All of them.
    pub fn all(self) -> MemberSlice<'a> {
        self.page(0, u32::MAX)
    }

    /// None of them, only how many there are.
    pub fn count(self) -> MemberSlice<'a> {
        self.page(0, 0)
    }
}

/// A page of a chat's members of one kind: see [`Members::page`].
#[derive(Debug, Clone, Copy)]
pub struct MemberSlice<'a> {
    pub of: Members<'a>,
    pub offset: u32,
    pub limit: u32,
}

/// Who a message @-mentions: the placeholder in its content (`@_user_1`) and whom it stands for.
/// Stored as JSON: `{"key", "kind": "user"|"app", "id", "name"}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MentionRow {
    pub key: String,
    #[serde(flatten)]
    pub who: Mentioned,
    pub name: String,
}

/// A mentioned user of the tenant, or an app's bot.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Mentioned {
    User(UserId),
    App(AppId),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRow {
    pub message_id: MessageId,
    pub chat_id: ChatId,
    /// The app that sent it, when an app did.
    pub sender_app: Option<AppId>,
    /// The user who sent it, when a user did.
    pub sender_user: Option<UserId>,
    pub mentions: Vec<MentionRow>,
    pub msg_type: String,
    pub content: String,
    pub uuid: Option<String>,
    pub create_time_ms: i64,
    pub update_time_ms: i64,
    pub updated: bool,
    pub recalled: bool,
    pub deleted: bool,
    /// A reply's conversation: its first message, the message it answers, and its thread.
    pub root_id: Option<MessageId>,
    pub parent_id: Option<MessageId>,
    pub thread_id: Option<ThreadId>,
}

impl MessageRow {
    /// A message as it is first stored, at `now_ms`: no sender yet, no mentions or uuid, not
    /// updated, recalled or deleted, in no conversation.
    pub fn new(
        message_id: MessageId,
        chat_id: ChatId,
        msg_type: String,
        content: String,
        now_ms: i64,
    ) -> MessageRow {
        MessageRow {
            message_id,
            chat_id,
            sender_app: None,
            sender_user: None,
            mentions: Vec::new(),
            msg_type,
            content,
            uuid: None,
            create_time_ms: now_ms,
            update_time_ms: now_ms,
            updated: false,
            recalled: false,
            deleted: false,
            root_id: None,
            parent_id: None,
            thread_id: None,
        }
    }
}

/// Where a new message goes: an existing chat, or a bot's one-to-one chat with a user, opened
/// (from the given row) if it does not exist yet.
#[derive(Debug, Clone)]
pub enum Destination {
    Chat(ChatId),
    P2p(ChatRow),
}

impl Destination {
    /// The chat the message goes to, as far as the caller knows: a one-to-one chat that already
    /// exists keeps its own id, which the store puts in the message instead.
    pub fn chat_id(&self) -> &ChatId {
        match self {
            Destination::Chat(id) => id,
            Destination::P2p(chat) => &chat.chat_id,
        }
    }
}

/// A message to store, atomically with its uuid check and its one-to-one chat.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub to: Destination,
    /// `chat_id` is `to.chat_id()`; the store corrects it if `to` names a one-to-one chat that
    /// was already opened.
    pub row: MessageRow,
    /// With a uuid: the earliest create time of a message that makes this one a duplicate.
    pub uuid_since_ms: i64,
    /// The row's `thread_id` is new, for a thread under its `root_id`: the root takes it, unless
    /// the root is in a thread already (a racing reply opened it), whose id the row takes
    /// instead.
    pub opens_thread: bool,
    /// A CardKit entity the message sends: bound to the message only together with it (an
    /// entity is sent once), and the message's content is the entity's card as it is then.
    pub card_id: Option<CardId>,
}

/// The app's messages with this uuid created at or after `since_ms`: where a duplicate is looked
/// for.
#[derive(Debug, Clone, Copy)]
pub struct UuidKey<'a> {
    pub app_id: &'a AppId,
    pub uuid: &'a str,
    pub since_ms: i64,
}

/// A message's new content, at `now_ms`.
#[derive(Debug, Clone, Copy)]
pub struct ContentEdit<'a> {
    pub message_id: &'a MessageId,
    pub content: &'a str,
    pub now_ms: i64,
}

/// What a send did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    New(MessageRow),
    /// The app already sent a message with this uuid inside the window: that message.
    Duplicate(MessageRow),
    /// The card entity it sends was sent already (or is gone): nothing was stored.
    CardTaken,
}

/// One user's app feed card, with the card's content.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedCardRow {
    pub app_id: AppId,
    pub user_id: UserId,
    pub biz_id: BizId,
    pub card: OpenAppFeedCard,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// The time the feed shows on the card.
    pub display_time_ms: i64,
    /// The time the feed orders the card by.
    pub sort_time_ms: i64,
    /// Notifications the user has not seen.
    pub unread: i64,
}

/// Which card: one app's card with this biz_id for one user.
#[derive(Debug, Clone, Copy)]
pub struct CardKey<'a> {
    pub app_id: &'a AppId,
    pub user_id: &'a UserId,
    pub biz_id: &'a BizId,
}

/// One card given to several users: its content is stored once.
#[derive(Debug, Clone)]
pub struct NewFeedCards {
    pub app_id: AppId,
    pub biz_id: BizId,
    pub card: OpenAppFeedCard,
    pub user_ids: Vec<UserId>,
    pub now_ms: i64,
    /// Unread notifications the new card starts with.
    pub unread: i64,
}

/// A batch update of one app's cards, at `now_ms`.
#[derive(Debug, Clone)]
pub struct FeedCardEdits {
    pub app_id: AppId,
    pub edits: Vec<FeedCardEdit>,
    /// The service's rule for each edit.
    pub merge: Merge,
    pub now_ms: i64,
}

/// One card of a batch update: `merge` (from the service) applies `patch` and `fields`.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedCardEdit {
    pub user_id: UserId,
    pub biz_id: BizId,
    pub patch: OpenAppFeedCard,
    pub fields: Vec<UpdateField>,
}

/// The service's rule for an update: changes the stored card and says what else moves.
pub type Merge = fn(&mut OpenAppFeedCard, &FeedCardEdit) -> UpdateEffects;

/// A batch update's bookkeeping of card contents, the same for every backend: each stored
/// content is parsed once, users whose cards end up alike share one new content, and the
/// reference counts to move are gathered for one adjustment at the end.
#[derive(Default)]
pub(crate) struct Regrouping {
    parsed: std::collections::HashMap<i64, (OpenAppFeedCard, String)>,
    made: std::collections::HashMap<String, i64>,
    /// content_id → references gained (or lost, when negative).
    pub deltas: std::collections::HashMap<i64, i64>,
}

/// Where an updated card's content is.
pub(crate) enum Placed {
    /// An existing content (the old one, or one this batch made).
    At(i64),
    /// A content still to store, as this JSON; tell [`Regrouping::stored`] its id.
    New(String),
}

impl Regrouping {
    /// Applies `edit` to the card stored as `json` under `old_id`: the new card, what else
    /// moves, and where its content is.
    pub fn merge(
        &mut self,
        old_id: i64,
        json: String,
        edit: &FeedCardEdit,
        merge: Merge,
    ) -> StoreResult<(OpenAppFeedCard, UpdateEffects, Placed)> {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.parsed.entry(old_id) {
            let card: OpenAppFeedCard = serde_json::from_str(&json).map_err(corrupt)?;
            slot.insert((card, json));
        }
        let (stored, old_json) = &self.parsed[&old_id];
        let mut card = stored.clone();
        let effects = merge(&mut card, edit);
        let new_json = serde_json::to_string(&card).map_err(corrupt)?;
        let placed = if &new_json == old_json {
            Placed::At(old_id)
        } else if let Some(&id) = self.made.get(&new_json) {
            Placed::At(id)
        } else {
            Placed::New(new_json)
        };
        Ok((card, effects, placed))
    }

    /// A new content was stored under `id`.
    pub fn stored(&mut self, json: String, id: i64) {
        self.made.insert(json, id);
    }

    /// A card moved from one content to another.
    pub fn moved(&mut self, old_id: i64, new_id: i64) {
        if new_id != old_id {
            *self.deltas.entry(old_id).or_default() -= 1;
            *self.deltas.entry(new_id).or_default() += 1;
        }
    }
}

/// A chat in a user's feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedChatRow {
    pub chat: ChatRow,
    pub joined_at_ms: i64,
    /// When the last message that is not recalled arrived.
    pub last_message_ms: Option<i64>,
    /// That message.
    pub last_message: Option<LastMessage>,
    /// Messages of others, not recalled, since the user last read the chat.
    pub unread: i64,
    /// The app that pinned the entry for this user, if it is pinned.
    pub pinned_by: Option<AppId>,
}

/// The last message of a chat, as its feed entry shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastMessage {
    pub msg_type: String,
    pub content: String,
    /// The user who sent it, if a user did; else the app.
    pub sender_user: Option<UserId>,
    pub sender_app: Option<AppId>,
}

/// Where a page of a user's feed cards starts: after this entry, in feed order
/// (time-sensitive first, then the latest sort time, then by `(key, app_id)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedCursor {
    pub time_sensitive: bool,
    pub sort_time_ms: i64,
    pub key: String,
    pub app_id: String,
}

/// One page of a user's feed, as stored: up to `limit` cards after the cursor in feed order, and
/// every chat and button (a user is in few chats; the service merges and pages them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedRows {
    pub cards: Vec<FeedCardRow>,
    pub chats: Vec<FeedChatRow>,
    /// The quick-action buttons this user sees.
    pub buttons: Vec<AppButtons>,
}

/// The buttons one app shows one user on one chat: (app_id, chat_id, buttons).
pub type AppButtons = (AppId, ChatId, Vec<Button>);

/// [`AppButtons`] as stored: the list as JSON.
type StoredButtons = (AppId, ChatId, String);

/// Each stored list of buttons, read.
fn read_buttons(rows: Vec<StoredButtons>) -> StoreResult<Vec<AppButtons>> {
    rows.into_iter()
        .map(|(app, chat, json)| Ok((app, chat, serde_json::from_str(&json).map_err(corrupt)?)))
        .collect()
}

impl FeedRows {
    /// The page, with each stored list of buttons read.
    fn with_buttons(
        cards: Vec<FeedCardRow>,
        chats: Vec<FeedChatRow>,
        buttons: Vec<StoredButtons>,
    ) -> StoreResult<FeedRows> {
        Ok(FeedRows {
            cards,
            chats,
            buttons: read_buttons(buttons)?,
        })
    }
}

#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Atomically: the app's live token if it still has at least `reuse_ms` left when `fresh` is
    /// issued, otherwise `fresh`, stored. One live token per app comes out of any number of
    /// racing calls.
    async fn issue_token(&self, fresh: TokenRow, reuse_ms: i64) -> StoreResult<TokenRow>;
    async fn find_token(&self, token_hash: &str) -> StoreResult<Option<TokenRow>>;
}

#[async_trait]
pub trait ChatStore: Send + Sync {
    /// Creates a chat with its first members, atomically.
    async fn insert_chat(&self, chat: &ChatRow, members: &[Member]) -> StoreResult<()>;
    async fn get_chat(&self, chat_id: &ChatId) -> StoreResult<Option<ChatRow>>;
    /// The one-to-one chat with this key, if it was ever opened.
    async fn find_p2p_chat(&self, p2p_key: &str) -> StoreResult<Option<ChatRow>>;
    /// Adds members, joined at `at_ms`; returns how many were new.
    async fn add_members(
        &self,
        chat_id: &ChatId,
        members: &[Member],
        at_ms: i64,
    ) -> StoreResult<u64>;
    /// For each of `members`, whether it is in the chat (one query for all).
    async fn are_members(&self, chat_id: &ChatId, members: &[Member]) -> StoreResult<Vec<bool>>;
    /// Members of one kind in join order: (the page, total).
    async fn list_members(&self, slice: MemberSlice<'_>) -> StoreResult<(Vec<Member>, i64)>;
    /// Takes a member out of a chat; false if it was not in it.
    async fn remove_member(&self, chat_id: &ChatId, member: &Member) -> StoreResult<bool>;
    /// The chat's users who have read it up to `at_ms` or later, with when they last read it.
    async fn readers(&self, chat_id: &ChatId, at_ms: i64) -> StoreResult<Vec<(UserId, i64)>>;
    /// Up to `limit` groups (not one-to-one chats, not dissolved) the app's bot is in, by
    /// `(created_at, chat_id)` after `after`.
    async fn chats_of_bot(
        &self,
        app_id: &AppId,
        after: Option<(i64, &ChatId)>,
        limit: u32,
    ) -> StoreResult<Vec<ChatRow>>;
}

#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Stores a message atomically with its checks: a message of the same app and uuid created
    /// at or after `uuid_since_ms` is returned instead, and a one-to-one destination is opened
    /// only together with the message.
    async fn send_message(&self, msg: NewMessage) -> StoreResult<Sent>;
    async fn get_message(&self, message_id: &MessageId) -> StoreResult<Option<MessageRow>>;
    /// The first message the app sent with this uuid inside the window.
    async fn message_by_uuid(&self, key: UuidKey<'_>) -> StoreResult<Option<MessageRow>>;
    /// Replaces the content of a message that is not recalled; false if it was recalled meanwhile.
    async fn update_message_content(&self, edit: ContentEdit<'_>) -> StoreResult<bool>;
    /// The chat's latest `limit` messages (recalled ones included), oldest first.
    async fn chat_messages(&self, chat_id: &ChatId, limit: u32) -> StoreResult<Vec<MessageRow>>;
    /// Marks a message recalled; false if it already was.
    async fn recall_message(&self, message_id: &MessageId, now_ms: i64) -> StoreResult<bool>;
    /// A page of a chat's or a thread's messages: see [`MessageSlice`].
    async fn list_messages(&self, slice: MessageSlice<'_>) -> StoreResult<Vec<MessageRow>>;
    /// The first message of a thread.
    async fn thread_root(&self, thread_id: &ThreadId) -> StoreResult<Option<MessageRow>>;
    /// Edits a text or post atomically with its count: see [`MessageEdit`].
    async fn edit_message(&self, edit: MessageEdit<'_>) -> StoreResult<Edited>;
}

/// Up to `limit` messages of a chat (its thread replies left out) or of one thread, created
/// between `from_ms` and `to_ms`, in create order (or the latest first), after the message
/// `after` names (`(create_time, message_id)`).
#[derive(Debug, Clone, Copy)]
pub struct MessageSlice<'a> {
    pub chat_id: &'a ChatId,
    /// Only this thread's messages (its root too).
    pub thread_id: Option<&'a ThreadId>,
    pub from_ms: i64,
    pub to_ms: i64,
    pub newest_first: bool,
    pub after: Option<(i64, &'a str)>,
    pub limit: u32,
}

/// An edit of a text or post: the new type and content, allowed while the message was edited
/// fewer than `max_edits` times and is not recalled.
#[derive(Debug, Clone, Copy)]
pub struct MessageEdit<'a> {
    pub message_id: &'a MessageId,
    pub msg_type: &'a str,
    pub content: &'a str,
    pub now_ms: i64,
    pub max_edits: i64,
}

/// What an edit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edited {
    /// The message as it is now.
    Done(Box<MessageRow>),
    Recalled,
    TooMany,
}

#[async_trait]
pub trait FeedCardStore: Send + Sync {
    /// Gives the card to each user; returns, per user, whether it was new (false: the user
    /// already had a card with this biz_id from this app, and it was left as it was).
    async fn create_feed_cards(&self, new: NewFeedCards) -> StoreResult<Vec<bool>>;
    async fn feed_card(&self, key: CardKey<'_>) -> StoreResult<Option<FeedCardRow>>;
    /// Every card of one app for one user, the latest first.
    async fn feed_cards_of_user(
        &self,
        app_id: &AppId,
        user_id: &UserId,
    ) -> StoreResult<Vec<FeedCardRow>>;
    /// Applies each edit with its `merge`, atomically; returns, per edit, whether the card
    /// existed. Effects move the display/sort time to `now_ms` or add an unread notification.
    async fn update_feed_cards(&self, batch: FeedCardEdits) -> StoreResult<Vec<bool>>;
    /// Deletes the app's cards named by (user_id, biz_id); returns, per pair, whether it existed.
    async fn delete_feed_cards(
        &self,
        app_id: &AppId,
        keys: Vec<(UserId, BizId)>,
    ) -> StoreResult<Vec<bool>>;
}

/// Whose feed entry of one chat an app's pin or buttons change, and when: named fields, so the
/// app's and the chat's ids cannot trade places.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatUsers {
    pub app_id: AppId,
    pub chat_id: ChatId,
    pub user_ids: Vec<UserId>,
    pub now_ms: i64,
}

/// One user's feed entry of one chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatEntry<'a> {
    pub chat_id: &'a ChatId,
    pub user_id: &'a UserId,
}

/// Pins (`pinned`) or unpins each user's one-to-one chat with the app's bot; each row opens the
/// chat if it does not exist yet.
#[derive(Debug, Clone)]
pub struct P2pPins {
    pub app_id: AppId,
    pub chats: Vec<ChatRow>,
    pub pinned: bool,
    pub now_ms: i64,
}

/// Up to `limit` of one user's feed cards, after the cursor (from the start without one).
#[derive(Debug, Clone, Copy)]
pub struct FeedSlice<'a> {
    pub user_id: &'a UserId,
    pub after: Option<&'a FeedCursor>,
    pub limit: u32,
}

#[async_trait]
pub trait FeedStore: Send + Sync {
    /// Pins (`pinned`) or unpins a chat's feed entry for each user.
    async fn set_pins(&self, at: ChatUsers, pinned: bool) -> StoreResult<()>;
    /// Pins or unpins each user's one-to-one chat with the bot, opening it from the given row
    /// where it does not exist yet, in one atomic step.
    async fn pin_p2p_chats(&self, pins: P2pPins) -> StoreResult<()>;
    /// A page of one user's feed: see [`FeedRows`].
    async fn feed_page(&self, slice: FeedSlice<'_>) -> StoreResult<FeedRows>;
    /// Replaces, for each user, the buttons the app shows on the chat's feed entry.
    async fn set_chat_buttons(&self, at: ChatUsers, buttons: &[Button]) -> StoreResult<()>;
    /// The buttons each app shows on one user's entry of a chat (an app that set none is left
    /// out; one that set an empty list is not), by app_id.
    async fn chat_buttons(&self, entry: ChatEntry<'_>) -> StoreResult<Vec<AppButtons>>;
    /// The user has read the chat up to `at_ms` (never back in time).
    async fn read_chat(&self, entry: ChatEntry<'_>, at_ms: i64) -> StoreResult<()>;
}

/// A token a card callback handed out for the delayed card update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardTokenRow {
    /// The token's digest.
    pub token: String,
    pub app_id: AppId,
    pub message_id: MessageId,
    /// The user who clicked.
    pub user_id: UserId,
    pub expires_at_ms: i64,
    /// How many times it has been used.
    pub uses: i64,
}

/// One use of a card token by an app at `now_ms`, allowed while it was used fewer than
/// `max_uses` times.
#[derive(Debug, Clone, Copy)]
pub struct CardTokenSpend<'a> {
    /// The token's digest.
    pub token: &'a str,
    pub app_id: &'a AppId,
    pub now_ms: i64,
    pub max_uses: i64,
}

/// What trying to use a card token found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardTokenUse {
    Unknown,
    Expired,
    UsedUp,
    /// Counted: the row with its uses after this one.
    Used(CardTokenRow),
}

/// A CardKit card entity as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardEntityRow {
    pub card_id: CardId,
    /// The app that created it: the only one that may write to it or send it.
    pub app_id: AppId,
    /// The card JSON 2.0 as it is now.
    pub card: String,
    /// The last write's `sequence` (0 before any).
    pub sequence: i64,
    /// When streaming mode was last turned on (it turns itself off 10 minutes later).
    pub streaming_since_ms: Option<i64>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// The message that sent it, once it was sent.
    pub message_id: Option<MessageId>,
}

/// What a write makes of an entity, decided by the service from the row as it is (locked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardChange {
    /// The new card, and when streaming was last turned on after this write.
    Card {
        card: String,
        streaming_since_ms: Option<i64>,
    },
    /// The write repeats an earlier one (same uuid): nothing changes.
    Replay,
}

/// Decides a write from the entity as stored and the sequence an earlier write with the same
/// uuid carried (if there was one): the platform's rules, handed in by the service.
pub type CardRules =
    Box<dyn Fn(&CardEntityRow, Option<i64>) -> Result<CardChange, Refusal> + Send + Sync>;

/// One write to a card entity: its stamp, and the rules that make the change.
pub struct CardWrite {
    pub card_id: CardId,
    pub sequence: i64,
    pub uuid: Option<String>,
    pub now_ms: i64,
    pub rules: CardRules,
}

/// What a write to an entity did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardWritten {
    /// No entity has this id.
    Unknown,
    /// The rules refused it; nothing changed.
    Refused(Refusal),
    /// The entity after the write (unchanged for a replay).
    Done(CardEntityRow),
}

#[async_trait]
pub trait CardEntityStore: Send + Sync {
    async fn insert_card_entity(&self, row: CardEntityRow) -> StoreResult<()>;
    async fn card_entity(&self, card_id: &CardId) -> StoreResult<Option<CardEntityRow>>;
    /// The entity a message sent, if it sent one.
    async fn card_entity_of_message(
        &self,
        message_id: &MessageId,
    ) -> StoreResult<Option<CardEntityRow>>;
    /// One write, atomically: the entity locked, the rules asked, the new card, sequence and
    /// uuid stored, and the content of the message that sent it replaced with the card.
    async fn write_card_entity(&self, write: CardWrite) -> StoreResult<CardWritten>;
}

/// Who did something (reacted, uploaded): an app's bot, or a user of the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Actor {
    App(AppId),
    User(UserId),
}

/// A reaction as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReactionRow {
    pub reaction_id: String,
    pub message_id: MessageId,
    pub emoji_type: String,
    pub operator: Actor,
    pub action_time_ms: i64,
}

/// Up to `limit` reactions of one message (of one emoji type, or all), oldest first, after the
/// reaction `after` names (`(action_time, reaction_id)`).
#[derive(Debug, Clone, Copy)]
pub struct ReactionSlice<'a> {
    pub message_id: &'a MessageId,
    pub emoji_type: Option<&'a str>,
    pub after: Option<(i64, &'a str)>,
    pub limit: u32,
}

#[async_trait]
pub trait ReactionStore: Send + Sync {
    async fn add_reaction(&self, row: ReactionRow) -> StoreResult<()>;
    async fn reaction(&self, reaction_id: &str) -> StoreResult<Option<ReactionRow>>;
    /// Removes a reaction; false if it was gone already.
    async fn remove_reaction(&self, reaction_id: &str) -> StoreResult<bool>;
    async fn list_reactions(&self, slice: ReactionSlice<'_>) -> StoreResult<Vec<ReactionRow>>;
    /// Every reaction of these messages, oldest first (one query, for a chat's page).
    async fn reactions_of(&self, message_ids: &[MessageId]) -> StoreResult<Vec<ReactionRow>>;
}

/// An uploaded image or file: its bytes (at most 30 MB) and what they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRow {
    /// `img_…` or `file_…`.
    pub key: String,
    /// `image` or `file`.
    pub kind: String,
    pub owner: Actor,
    /// The image's or the file's type as uploaded (`message`, `pdf`, `stream`, …).
    pub file_type: String,
    pub file_name: String,
    pub duration_ms: Option<i64>,
    /// The media type the bytes are served with.
    pub media_type: String,
    pub bytes: Vec<u8>,
    pub created_at_ms: i64,
}

#[async_trait]
pub trait UploadStore: Send + Sync {
    async fn add_upload(&self, row: UploadRow) -> StoreResult<()>;
    async fn upload(&self, key: &str) -> StoreResult<Option<UploadRow>>;
}

/// The tables that hold state, in an order that respects their references: what a snapshot
/// holds and a reset empties. Access tokens, `meta` and the rate-limit windows are not state a
/// test saves or resets.
pub const STATE_TABLES: &[&str] = &[
    "chats",
    "chat_members",
    "messages",
    "feed_card_contents",
    "feed_cards",
    "chat_buttons",
    "feed_pins",
    "app_settings",
    "card_tokens",
    "card_entities",
    "card_writes",
    "reactions",
    "uploads",
];

/// Every table of state as rows of named values, backend-neutral: what `GET /_larkfeed/state`
/// shows and `PUT` restores. Tokens are not part of it.
pub type Snapshot =
    std::collections::BTreeMap<String, Vec<serde_json::Map<String, serde_json::Value>>>;

/// Refuses a snapshot that names a table [`STATE_TABLES`] does not list.
pub(crate) fn only_state_tables(snapshot: &Snapshot) -> StoreResult<()> {
    match snapshot
        .keys()
        .find(|t| !STATE_TABLES.contains(&t.as_str()))
    {
        None => Ok(()),
        Some(unknown) => Err(StoreError::Refused(format!(
            "the state has a table larkfeed does not know: {unknown:?} (known: {})",
            STATE_TABLES.join(", ")
        ))),
    }
}

#[async_trait]
pub trait PlatformStore: Send + Sync {
    /// The app's endpoint settings as set at run time (JSON), if any.
    async fn app_settings(&self, app_id: &AppId) -> StoreResult<Option<String>>;
    async fn set_app_settings(&self, app_id: &AppId, settings: &str) -> StoreResult<()>;
    async fn insert_card_token(&self, row: CardTokenRow) -> StoreResult<()>;
    /// Atomically counts one use of the token, if the app's callback handed it out, it has not
    /// expired and was used fewer than the allowed times.
    async fn use_card_token(&self, spend: CardTokenSpend<'_>) -> StoreResult<CardTokenUse>;
}

#[async_trait]
pub trait SnapshotStore: Send + Sync {
    /// Empties every table of state in one step (issued access tokens and `meta` are kept, so
    /// running apps keep their tokens).
    async fn reset(&self) -> StoreResult<()>;
    /// Every table of state.
    async fn export(&self) -> StoreResult<Snapshot>;
    /// Replaces every table of state with the snapshot's rows in one step; an unknown table or
    /// column is refused and nothing changes.
    async fn import(&self, snapshot: Snapshot) -> StoreResult<()>;
}

#[async_trait]
pub trait MetaStore: Send + Sync {
    /// A value the server keeps about itself (such as the world it last served).
    async fn meta(&self, key: &str) -> StoreResult<Option<String>>;
    async fn set_meta(&self, key: &str, value: &str) -> StoreResult<()>;
    /// Every value whose key starts with `prefix`, by key.
    async fn metas(&self, prefix: &str) -> StoreResult<Vec<(String, String)>>;
    /// Forgets a value; whether there was one.
    async fn delete_meta(&self, key: &str) -> StoreResult<bool>;
}

/// Every capability: what the server holds.
#[async_trait]
pub trait Store:
    TokenStore
    + ChatStore
    + MessageStore
    + FeedCardStore
    + FeedStore
    + MetaStore
    + PlatformStore
    + CardEntityStore
    + ReactionStore
    + UploadStore
    + SnapshotStore
    + 'static
{
    /// Writes what is pending and makes the files tidy before the process exits.
    async fn close(&self) -> StoreResult<()>;

    /// Closes the store and removes what it kept: a PostgreSQL store drops its schema (a
    /// tenant's, deleted); a SQLite store closes (its files are the caller's to remove).
    async fn destroy(&self) -> StoreResult<()> {
        self.close().await
    }

    /// How many writes each transaction committed together, when the store groups them.
    fn commit_batches(&self) -> Option<prometheus_client::metrics::histogram::Histogram> {
        None
    }
}
