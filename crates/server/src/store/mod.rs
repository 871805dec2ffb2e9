//! Storage behind a trait, so the services never see SQL and a PostgreSQL backend can be added
//! beside [`sqlite::SqliteStore`]. The backend is chosen from the database URL's scheme.

pub mod sqlite;

use async_trait::async_trait;
use larkfeed_model::feed_card::OpenAppFeedCard;

pub type StoreResult<T> = Result<T, sqlx::Error>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub token: String,
    pub app_id: String,
    pub issued_at_ms: i64,
    pub expires_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRow {
    pub chat_id: String,
    pub name: String,
    pub description: String,
    pub chat_type: String,
    pub owner_user: Option<String>,
    pub owner_app: Option<String>,
    pub creator_app: String,
    pub p2p_key: Option<String>,
    pub dissolved: bool,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKind {
    User,
    Bot,
}

impl MemberKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberKind::User => "user",
            MemberKind::Bot => "bot",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRow {
    pub message_id: String,
    pub chat_id: String,
    pub sender_app: String,
    pub msg_type: String,
    pub content: String,
    pub uuid: Option<String>,
    pub create_time_ms: i64,
    pub update_time_ms: i64,
    pub updated: bool,
    pub recalled: bool,
    pub deleted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedCardRow {
    pub app_id: String,
    pub user_id: String,
    pub biz_id: String,
    pub card: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// The time the feed shows on the card.
    pub display_time_ms: i64,
    /// The time the feed orders the card by.
    pub sort_time_ms: i64,
    /// Notifications the user has not seen.
    pub unread: i64,
}

/// One card of a batch update: the fields named in `fields` are copied from `card`.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedCardEdit {
    pub user_id: String,
    pub biz_id: String,
    pub card: OpenAppFeedCard,
    pub fields: Vec<String>,
}

/// A chat in a user's feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedChatRow {
    pub chat: ChatRow,
    pub joined_at_ms: i64,
    /// When the last message that is not recalled arrived.
    pub last_message_ms: Option<i64>,
    /// The app that pinned the entry for this user, if it is pinned.
    pub pinned_by: Option<String>,
}

/// Everything in one user's feed, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedRows {
    pub cards: Vec<FeedCardRow>,
    pub chats: Vec<FeedChatRow>,
    /// (app_id, chat_id, buttons JSON) of the quick-action buttons this user sees.
    pub buttons: Vec<(String, String, String)>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    // Tokens.
    async fn insert_token(&self, row: &TokenRow) -> StoreResult<()>;
    /// The token of `app_id` that expires last, if any is still valid at `now_ms`.
    async fn latest_token(&self, app_id: &str, now_ms: i64) -> StoreResult<Option<TokenRow>>;
    async fn find_token(&self, token: &str) -> StoreResult<Option<TokenRow>>;

    // Chats.
    /// Creates a chat with its first members, atomically.
    async fn insert_chat(
        &self,
        chat: &ChatRow,
        members: &[(MemberKind, String)],
    ) -> StoreResult<()>;
    async fn get_chat(&self, chat_id: &str) -> StoreResult<Option<ChatRow>>;
    /// The bot's one-to-one chat with a user, created on first use.
    async fn p2p_chat(
        &self,
        app_id: &str,
        user_id: &str,
        new_chat_id: &str,
        now_ms: i64,
    ) -> StoreResult<ChatRow>;
    /// Adds members; returns how many were new.
    async fn add_members(
        &self,
        chat_id: &str,
        members: &[(MemberKind, String)],
        now_ms: i64,
    ) -> StoreResult<u64>;
    async fn is_member(
        &self,
        chat_id: &str,
        kind: MemberKind,
        member_id: &str,
    ) -> StoreResult<bool>;
    /// Members of one kind in join order: (ids of the page, total).
    async fn list_members(
        &self,
        chat_id: &str,
        kind: MemberKind,
        offset: u32,
        limit: u32,
    ) -> StoreResult<(Vec<String>, i64)>;

    // Messages.
    async fn insert_message(&self, row: &MessageRow) -> StoreResult<()>;
    async fn get_message(&self, message_id: &str) -> StoreResult<Option<MessageRow>>;
    /// A message the app sent with this uuid at or after `since_ms`.
    async fn message_by_uuid(
        &self,
        app_id: &str,
        uuid: &str,
        since_ms: i64,
    ) -> StoreResult<Option<MessageRow>>;
    /// Replaces the content of a message that is not recalled; false if it was recalled meanwhile.
    async fn update_message_content(
        &self,
        message_id: &str,
        content: &str,
        now_ms: i64,
    ) -> StoreResult<bool>;
    /// Marks a message recalled; false if it already was.
    async fn recall_message(&self, message_id: &str, now_ms: i64) -> StoreResult<bool>;

    // App feed cards.
    /// Inserts the card for each user in one transaction; returns, per user, whether it was new
    /// (false: a card with this biz_id already existed for the user and was left as it was).
    async fn create_feed_cards(&self, rows: &[FeedCardRow]) -> StoreResult<Vec<bool>>;
    async fn feed_cards_of_user(
        &self,
        app_id: &str,
        user_id: &str,
    ) -> StoreResult<Vec<FeedCardRow>>;
    /// Applies each edit to the app's card in one transaction; returns, per edit, whether the
    /// card existed. `update_fields` 101/102 move the display/sort time to `now_ms`, 103 adds an
    /// unread notification.
    async fn update_feed_cards(
        &self,
        app_id: &str,
        edits: &[FeedCardEdit],
        now_ms: i64,
    ) -> StoreResult<Vec<bool>>;
    /// Deletes the app's cards named by (user_id, biz_id); returns, per pair, whether it existed.
    async fn delete_feed_cards(
        &self,
        app_id: &str,
        keys: &[(String, String)],
    ) -> StoreResult<Vec<bool>>;

    // The feed.
    /// Pins (`pinned`) or unpins a chat's feed entry for each user.
    async fn set_pins(
        &self,
        app_id: &str,
        chat_id: &str,
        user_ids: &[String],
        pinned: bool,
        now_ms: i64,
    ) -> StoreResult<()>;
    /// The cards, chats and buttons of one user's feed, unordered.
    async fn feed_of_user(&self, user_id: &str) -> StoreResult<FeedRows>;

    // Chat buttons.
    /// Replaces, for each user, the buttons `app_id` shows on the chat's feed entry.
    async fn set_chat_buttons(
        &self,
        app_id: &str,
        chat_id: &str,
        user_ids: &[String],
        buttons: &str,
        now_ms: i64,
    ) -> StoreResult<()>;
    async fn chat_buttons(
        &self,
        app_id: &str,
        chat_id: &str,
        user_id: &str,
    ) -> StoreResult<Option<String>>;
}
