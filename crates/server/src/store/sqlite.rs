//! The embedded SQLite store. WAL journal with `synchronous = NORMAL`: a write acknowledged to a
//! client is in the WAL file, so it survives a killed process. Writes go through one connection
//! (SQLite has one writer anyway, and this avoids busy-upgrade failures); reads use a small pool.

use super::*;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` (`sqlite://path` or a plain path) and
    /// brings its schema up to date.
    pub async fn open(url: &str) -> anyhow::Result<SqliteStore> {
        let url = if url.starts_with("sqlite:") {
            url.to_string()
        } else {
            format!("sqlite://{url}")
        };
        let options = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations").run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await?;
        Ok(SqliteStore { writer, reader })
    }
}

fn token_row(r: SqliteRow) -> TokenRow {
    TokenRow {
        token: r.get("token"),
        app_id: r.get("app_id"),
        issued_at_ms: r.get("issued_at"),
        expires_at_ms: r.get("expires_at"),
    }
}

fn chat_row(r: SqliteRow) -> ChatRow {
    ChatRow {
        chat_id: r.get("chat_id"),
        name: r.get("name"),
        description: r.get("description"),
        chat_type: r.get("chat_type"),
        owner_user: r.get("owner_user"),
        owner_app: r.get("owner_app"),
        creator_app: r.get("creator_app"),
        p2p_key: r.get("p2p_key"),
        dissolved: r.get::<i64, _>("dissolved") != 0,
        created_at_ms: r.get("created_at"),
    }
}

fn message_row(r: SqliteRow) -> MessageRow {
    MessageRow {
        message_id: r.get("message_id"),
        chat_id: r.get("chat_id"),
        sender_app: r.get("sender_app"),
        msg_type: r.get("msg_type"),
        content: r.get("content"),
        uuid: r.get("uuid"),
        create_time_ms: r.get("create_time"),
        update_time_ms: r.get("update_time"),
        updated: r.get::<i64, _>("updated") != 0,
        recalled: r.get::<i64, _>("recalled") != 0,
        deleted: r.get::<i64, _>("deleted") != 0,
    }
}

fn feed_card_row(r: SqliteRow) -> FeedCardRow {
    FeedCardRow {
        app_id: r.get("app_id"),
        user_id: r.get("user_id"),
        biz_id: r.get("biz_id"),
        card: r.get("card"),
        created_at_ms: r.get("created_at"),
        updated_at_ms: r.get("updated_at"),
        display_time_ms: r.get("display_time"),
        sort_time_ms: r.get("sort_time"),
        unread: r.get("unread"),
    }
}

const FEED_CARD_COLUMNS: &str =
    "app_id, user_id, biz_id, card, created_at, updated_at, display_time, sort_time, unread";

const CHAT_COLUMNS: &str =
    "chat_id, name, description, chat_type, owner_user, owner_app, creator_app, p2p_key, dissolved, created_at";
const MESSAGE_COLUMNS: &str =
    "message_id, chat_id, sender_app, msg_type, content, uuid, create_time, update_time, updated, recalled, deleted";

async fn insert_chat_row(tx: &mut sqlx::SqliteConnection, chat: &ChatRow) -> StoreResult<()> {
    sqlx::query(&format!(
        "INSERT INTO chats ({CHAT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&chat.chat_id)
    .bind(&chat.name)
    .bind(&chat.description)
    .bind(&chat.chat_type)
    .bind(&chat.owner_user)
    .bind(&chat.owner_app)
    .bind(&chat.creator_app)
    .bind(&chat.p2p_key)
    .bind(chat.dissolved as i64)
    .bind(chat.created_at_ms)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn insert_members(
    tx: &mut sqlx::SqliteConnection,
    chat_id: &str,
    members: &[(MemberKind, String)],
    now_ms: i64,
) -> StoreResult<u64> {
    let mut added = 0;
    for (position, (kind, id)) in members.iter().enumerate() {
        added += sqlx::query(
            "INSERT INTO chat_members (chat_id, member_kind, member_id, joined_at, position) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT DO NOTHING",
        )
        .bind(chat_id)
        .bind(kind.as_str())
        .bind(id)
        .bind(now_ms)
        .bind(position as i64)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    Ok(added)
}

#[async_trait]
impl Store for SqliteStore {
    async fn insert_token(&self, row: &TokenRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO tokens (token, app_id, issued_at, expires_at) VALUES (?, ?, ?, ?)",
        )
        .bind(&row.token)
        .bind(&row.app_id)
        .bind(row.issued_at_ms)
        .bind(row.expires_at_ms)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn latest_token(&self, app_id: &str, now_ms: i64) -> StoreResult<Option<TokenRow>> {
        let row = sqlx::query(
            "SELECT token, app_id, issued_at, expires_at FROM tokens WHERE app_id = ? AND expires_at > ? \
             ORDER BY expires_at DESC LIMIT 1",
        )
        .bind(app_id)
        .bind(now_ms)
        .fetch_optional(&self.writer)
        .await?;
        Ok(row.map(token_row))
    }

    async fn find_token(&self, token: &str) -> StoreResult<Option<TokenRow>> {
        let row =
            sqlx::query("SELECT token, app_id, issued_at, expires_at FROM tokens WHERE token = ?")
                .bind(token)
                .fetch_optional(&self.reader)
                .await?;
        Ok(row.map(token_row))
    }

    async fn insert_chat(
        &self,
        chat: &ChatRow,
        members: &[(MemberKind, String)],
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        insert_chat_row(&mut tx, chat).await?;
        insert_members(&mut tx, &chat.chat_id, members, chat.created_at_ms).await?;
        tx.commit().await
    }

    async fn get_chat(&self, chat_id: &str) -> StoreResult<Option<ChatRow>> {
        let row = sqlx::query(&format!(
            "SELECT {CHAT_COLUMNS} FROM chats WHERE chat_id = ?"
        ))
        .bind(chat_id)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(chat_row))
    }

    async fn p2p_chat(
        &self,
        app_id: &str,
        user_id: &str,
        new_chat_id: &str,
        now_ms: i64,
    ) -> StoreResult<ChatRow> {
        let key = format!("{app_id}|{user_id}");
        let mut tx = self.writer.begin().await?;
        let existing = sqlx::query(&format!(
            "SELECT {CHAT_COLUMNS} FROM chats WHERE p2p_key = ?"
        ))
        .bind(&key)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = existing {
            return Ok(chat_row(row));
        }
        let chat = ChatRow {
            chat_id: new_chat_id.to_string(),
            name: String::new(),
            description: String::new(),
            chat_type: "p2p".into(),
            owner_user: None,
            owner_app: None,
            creator_app: app_id.to_string(),
            p2p_key: Some(key),
            dissolved: false,
            created_at_ms: now_ms,
        };
        insert_chat_row(&mut tx, &chat).await?;
        let members = [
            (MemberKind::Bot, app_id.to_string()),
            (MemberKind::User, user_id.to_string()),
        ];
        insert_members(&mut tx, &chat.chat_id, &members, now_ms).await?;
        tx.commit().await?;
        Ok(chat)
    }

    async fn add_members(
        &self,
        chat_id: &str,
        members: &[(MemberKind, String)],
        now_ms: i64,
    ) -> StoreResult<u64> {
        let mut tx = self.writer.begin().await?;
        let added = insert_members(&mut tx, chat_id, members, now_ms).await?;
        tx.commit().await?;
        Ok(added)
    }

    async fn is_member(
        &self,
        chat_id: &str,
        kind: MemberKind,
        member_id: &str,
    ) -> StoreResult<bool> {
        let row = sqlx::query(
            "SELECT 1 FROM chat_members WHERE chat_id = ? AND member_kind = ? AND member_id = ?",
        )
        .bind(chat_id)
        .bind(kind.as_str())
        .bind(member_id)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.is_some())
    }

    async fn list_members(
        &self,
        chat_id: &str,
        kind: MemberKind,
        offset: u32,
        limit: u32,
    ) -> StoreResult<(Vec<String>, i64)> {
        let ids = sqlx::query(
            "SELECT member_id FROM chat_members WHERE chat_id = ? AND member_kind = ? \
             ORDER BY joined_at, position LIMIT ? OFFSET ?",
        )
        .bind(chat_id)
        .bind(kind.as_str())
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(&self.reader)
        .await?
        .into_iter()
        .map(|r| r.get::<String, _>("member_id"))
        .collect();
        let total: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM chat_members WHERE chat_id = ? AND member_kind = ?",
        )
        .bind(chat_id)
        .bind(kind.as_str())
        .fetch_one(&self.reader)
        .await?
        .get("n");
        Ok((ids, total))
    }

    async fn insert_message(&self, m: &MessageRow) -> StoreResult<()> {
        sqlx::query(&format!(
            "INSERT INTO messages ({MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(&m.message_id)
        .bind(&m.chat_id)
        .bind(&m.sender_app)
        .bind(&m.msg_type)
        .bind(&m.content)
        .bind(&m.uuid)
        .bind(m.create_time_ms)
        .bind(m.update_time_ms)
        .bind(m.updated as i64)
        .bind(m.recalled as i64)
        .bind(m.deleted as i64)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn get_message(&self, message_id: &str) -> StoreResult<Option<MessageRow>> {
        let row = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE message_id = ?"
        ))
        .bind(message_id)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(message_row))
    }

    async fn message_by_uuid(
        &self,
        app_id: &str,
        uuid: &str,
        since_ms: i64,
    ) -> StoreResult<Option<MessageRow>> {
        let row = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE sender_app = ? AND uuid = ? AND create_time >= ? \
             ORDER BY create_time LIMIT 1"
        ))
        .bind(app_id)
        .bind(uuid)
        .bind(since_ms)
        .fetch_optional(&self.writer)
        .await?;
        Ok(row.map(message_row))
    }

    async fn update_message_content(
        &self,
        message_id: &str,
        content: &str,
        now_ms: i64,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE messages SET content = ?, update_time = ?, updated = 1 WHERE message_id = ? AND recalled = 0",
        )
        .bind(content)
        .bind(now_ms)
        .bind(message_id)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn recall_message(&self, message_id: &str, now_ms: i64) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE messages SET recalled = 1, update_time = ? WHERE message_id = ? AND recalled = 0")
            .bind(now_ms)
            .bind(message_id)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn create_feed_cards(&self, rows: &[FeedCardRow]) -> StoreResult<Vec<bool>> {
        let mut tx = self.writer.begin().await?;
        let mut created = Vec::with_capacity(rows.len());
        for r in rows {
            let done = sqlx::query(&format!(
                "INSERT INTO app_feed_cards ({FEED_CARD_COLUMNS}) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
            ))
            .bind(&r.app_id)
            .bind(&r.user_id)
            .bind(&r.biz_id)
            .bind(&r.card)
            .bind(r.created_at_ms)
            .bind(r.updated_at_ms)
            .bind(r.display_time_ms)
            .bind(r.sort_time_ms)
            .bind(r.unread)
            .execute(&mut *tx)
            .await?;
            created.push(done.rows_affected() == 1);
        }
        tx.commit().await?;
        Ok(created)
    }

    async fn feed_cards_of_user(
        &self,
        app_id: &str,
        user_id: &str,
    ) -> StoreResult<Vec<FeedCardRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {FEED_CARD_COLUMNS} FROM app_feed_cards \
             WHERE app_id = ? AND user_id = ? ORDER BY sort_time DESC, biz_id"
        ))
        .bind(app_id)
        .bind(user_id)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(feed_card_row).collect())
    }

    async fn update_feed_cards(
        &self,
        app_id: &str,
        edits: &[FeedCardEdit],
        now_ms: i64,
    ) -> StoreResult<Vec<bool>> {
        let mut tx = self.writer.begin().await?;
        let mut found = Vec::with_capacity(edits.len());
        for edit in edits {
            let row = sqlx::query(
                "SELECT card FROM app_feed_cards WHERE app_id = ? AND user_id = ? AND biz_id = ?",
            )
            .bind(app_id)
            .bind(&edit.user_id)
            .bind(&edit.biz_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else {
                found.push(false);
                continue;
            };
            let stored: String = row.get("card");
            let mut card: OpenAppFeedCard =
                serde_json::from_str(&stored).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            let effects = card.apply_update(&edit.card, &edit.fields);
            let card =
                serde_json::to_string(&card).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
            sqlx::query(
                "UPDATE app_feed_cards SET card = ?, updated_at = ?, \
                 display_time = CASE WHEN ? THEN ? ELSE display_time END, \
                 sort_time = CASE WHEN ? THEN ? ELSE sort_time END, \
                 unread = unread + ? \
                 WHERE app_id = ? AND user_id = ? AND biz_id = ?",
            )
            .bind(card)
            .bind(now_ms)
            .bind(effects.display_time)
            .bind(now_ms)
            .bind(effects.sort_time)
            .bind(now_ms)
            .bind(i64::from(effects.notify))
            .bind(app_id)
            .bind(&edit.user_id)
            .bind(&edit.biz_id)
            .execute(&mut *tx)
            .await?;
            found.push(true);
        }
        tx.commit().await?;
        Ok(found)
    }

    async fn delete_feed_cards(
        &self,
        app_id: &str,
        keys: &[(String, String)],
    ) -> StoreResult<Vec<bool>> {
        let mut tx = self.writer.begin().await?;
        let mut found = Vec::with_capacity(keys.len());
        for (user_id, biz_id) in keys {
            let done = sqlx::query(
                "DELETE FROM app_feed_cards WHERE app_id = ? AND user_id = ? AND biz_id = ?",
            )
            .bind(app_id)
            .bind(user_id)
            .bind(biz_id)
            .execute(&mut *tx)
            .await?;
            found.push(done.rows_affected() == 1);
        }
        tx.commit().await?;
        Ok(found)
    }

    async fn set_pins(
        &self,
        app_id: &str,
        chat_id: &str,
        user_ids: &[String],
        pinned: bool,
        now_ms: i64,
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        for user_id in user_ids {
            let query = if pinned {
                sqlx::query(
                    "INSERT INTO feed_pins (chat_id, user_id, app_id, updated_at) VALUES (?, ?, ?, ?) \
                     ON CONFLICT (chat_id, user_id) DO UPDATE SET app_id = excluded.app_id, \
                     updated_at = excluded.updated_at",
                )
                .bind(chat_id)
                .bind(user_id)
                .bind(app_id)
                .bind(now_ms)
            } else {
                sqlx::query("DELETE FROM feed_pins WHERE chat_id = ? AND user_id = ?")
                    .bind(chat_id)
                    .bind(user_id)
            };
            query.execute(&mut *tx).await?;
        }
        tx.commit().await
    }

    async fn feed_of_user(&self, user_id: &str) -> StoreResult<FeedRows> {
        let mut conn = self.reader.begin().await?;
        let cards = sqlx::query(&format!(
            "SELECT {FEED_CARD_COLUMNS} FROM app_feed_cards WHERE user_id = ?"
        ))
        .bind(user_id)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(feed_card_row)
        .collect();
        let chat_columns = CHAT_COLUMNS
            .split(", ")
            .map(|c| format!("c.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let chats = sqlx::query(&format!(
            "SELECT {chat_columns}, m.joined_at AS joined_at, p.app_id AS pinned_by, \
             (SELECT MAX(create_time) FROM messages WHERE chat_id = c.chat_id AND recalled = 0) \
             AS last_message \
             FROM chat_members m JOIN chats c ON c.chat_id = m.chat_id \
             LEFT JOIN feed_pins p ON p.chat_id = c.chat_id AND p.user_id = m.member_id \
             WHERE m.member_kind = 'user' AND m.member_id = ? AND c.dissolved = 0"
        ))
        .bind(user_id)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|r| FeedChatRow {
            joined_at_ms: r.get("joined_at"),
            last_message_ms: r.get("last_message"),
            pinned_by: r.get("pinned_by"),
            chat: chat_row(r),
        })
        .collect();
        let buttons = sqlx::query(
            "SELECT app_id, chat_id, buttons FROM chat_buttons WHERE user_id = ? AND buttons <> '[]'",
        )
        .bind(user_id)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|r| (r.get("app_id"), r.get("chat_id"), r.get("buttons")))
        .collect();
        conn.commit().await?;
        Ok(FeedRows {
            cards,
            chats,
            buttons,
        })
    }

    async fn set_chat_buttons(
        &self,
        app_id: &str,
        chat_id: &str,
        user_ids: &[String],
        buttons: &str,
        now_ms: i64,
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        for user_id in user_ids {
            sqlx::query(
                "INSERT INTO chat_buttons (app_id, chat_id, user_id, buttons, updated_at) VALUES (?, ?, ?, ?, ?) \
                 ON CONFLICT (app_id, chat_id, user_id) DO UPDATE SET buttons = excluded.buttons, \
                 updated_at = excluded.updated_at",
            )
            .bind(app_id)
            .bind(chat_id)
            .bind(user_id)
            .bind(buttons)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }

    async fn chat_buttons(
        &self,
        app_id: &str,
        chat_id: &str,
        user_id: &str,
    ) -> StoreResult<Option<String>> {
        let row = sqlx::query(
            "SELECT buttons FROM chat_buttons WHERE app_id = ? AND chat_id = ? AND user_id = ?",
        )
        .bind(app_id)
        .bind(chat_id)
        .bind(user_id)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(|r| r.get("buttons")))
    }
}
