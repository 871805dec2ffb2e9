//! The store's operations, written once for both backends: every rule, statement, column list
//! and row reading of the store traits is here, run through an `Engine` on a `Db`. The
//! backends (`sqlite`, `postgres`) only open connections and run work their way.
//!
//! Where the dialects differ, a statement has a text for each (`Sql::each`): lists are
//! `json_each` in SQLite and `unnest`/`ANY` in PostgreSQL, and PostgreSQL locks the rows a
//! read-then-write reads (`FOR UPDATE`) and a key a check-then-insert guards (`Db::lock`),
//! which SQLite's one writer does not need.

use super::db::{args, texts, Db, Engine, Get, Sql};
use super::*;
use std::collections::{HashMap, HashSet};

/// A store: the core's operations on an engine.
pub struct Core<E>(pub(crate) E);

// The columns a row type is read from, as literals, so that each statement is one `concat!` at
// compile time.
macro_rules! chat_columns {
    () => {
        "chat_id, name, description, chat_type, owner_user, owner_app, creator_app, p2p_key, \
         p2p_user, dissolved, created_at"
    };
}
macro_rules! message_columns {
    () => {
        "message_id, chat_id, sender_app, msg_type, content, uuid, create_time, update_time, \
         updated, recalled, deleted, sender_user, mentions, root_id, parent_id, thread_id"
    };
}
/// `SELECT` of card rows (a card joined to its content), then `$rest` (`WHERE …`).
macro_rules! select_cards {
    ($rest:literal) => {
        concat!(
            "SELECT f.app_id, f.user_id, f.biz_id, c.card, f.created_at, f.updated_at, \
             f.display_time, f.sort_time, f.unread \
             FROM feed_cards f JOIN feed_card_contents c ON c.content_id = f.content_id ",
            $rest
        )
    };
}

/// `SELECT` of message rows for a list, in one order, then the filters every list shares.
macro_rules! list_messages {
    ($cmp:literal, $order:literal) => {
        concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages WHERE chat_id = $1 \
             AND (($2 = '' AND (thread_id IS NULL OR root_id IS NULL)) OR thread_id = $2) \
             AND create_time >= $3 AND create_time <= $4 \
             AND (create_time ",
            $cmp,
            " $5 OR (create_time = $5 AND message_id ",
            $cmp,
            " $6)) ORDER BY create_time ",
            $order,
            ", message_id ",
            $order,
            " LIMIT $7"
        )
    };
}

fn chat_row(r: &dyn Get, at: usize) -> StoreResult<ChatRow> {
    let chat_type = r.text(at + 3)?;
    Ok(ChatRow {
        chat_id: r.id(at)?,
        name: r.text(at + 1)?,
        description: r.text(at + 2)?,
        chat_type: ChatType::parse(&chat_type)
            .ok_or_else(|| corrupt(format!("unknown chat type {chat_type:?}")))?,
        owner_user: r.opt_id(at + 4)?,
        owner_app: r.opt_id(at + 5)?,
        creator_app: r.id(at + 6)?,
        p2p_key: r.opt_text(at + 7)?,
        p2p_user: r.opt_id(at + 8)?,
        dissolved: r.flag(at + 9)?,
        created_at_ms: r.int(at + 10)?,
    })
}

fn message_row(r: &dyn Get) -> StoreResult<MessageRow> {
    Ok(MessageRow {
        message_id: r.id(0)?,
        chat_id: r.id(1)?,
        sender_app: opt_app(r, 2)?,
        msg_type: r.text(3)?,
        content: r.text(4)?,
        uuid: r.opt_text(5)?,
        create_time_ms: r.int(6)?,
        update_time_ms: r.int(7)?,
        updated: r.flag(8)?,
        recalled: r.flag(9)?,
        deleted: r.flag(10)?,
        sender_user: r.opt_id(11)?,
        mentions: r.json(12)?,
        root_id: r.opt_id(13)?,
        parent_id: r.opt_id(14)?,
        thread_id: r.opt_id(15)?,
    })
}

fn card_row(r: &dyn Get) -> StoreResult<FeedCardRow> {
    Ok(FeedCardRow {
        app_id: r.id(0)?,
        user_id: r.id(1)?,
        biz_id: r.id(2)?,
        card: r.json(3)?,
        created_at_ms: r.int(4)?,
        updated_at_ms: r.int(5)?,
        display_time_ms: r.int(6)?,
        sort_time_ms: r.int(7)?,
        unread: r.int(8)?,
    })
}

macro_rules! card_entity_columns {
    () => {
        "card_id, app_id, card, sequence, streaming_since, created_at, updated_at, message_id"
    };
}

fn card_entity_row(r: &dyn Get) -> StoreResult<CardEntityRow> {
    Ok(CardEntityRow {
        card_id: r.id(0)?,
        app_id: r.id(1)?,
        card: r.text(2)?,
        sequence: r.int(3)?,
        streaming_since_ms: r.opt_int(4)?,
        created_at_ms: r.int(5)?,
        updated_at_ms: r.int(6)?,
        message_id: r.opt_id(7)?,
    })
}

macro_rules! reaction_columns {
    () => {
        "reaction_id, message_id, emoji_type, operator_kind, operator_id, action_time"
    };
}

fn reaction_row(r: &dyn Get) -> StoreResult<ReactionRow> {
    let kind = r.text(3)?;
    let operator = match kind.as_str() {
        "app" => Actor::App(r.id(4)?),
        "user" => Actor::User(r.id(4)?),
        other => return Err(corrupt(format!("unknown reaction operator kind {other:?}"))),
    };
    Ok(ReactionRow {
        reaction_id: r.text(0)?,
        message_id: r.id(1)?,
        emoji_type: r.text(2)?,
        operator,
        action_time_ms: r.int(5)?,
    })
}

fn token_row(r: &dyn Get) -> StoreResult<TokenRow> {
    Ok(TokenRow {
        token_hash: r.text(0)?,
        app_id: r.id(1)?,
        issued_at_ms: r.int(2)?,
        expires_at_ms: r.int(3)?,
        sealed: r.text(4)?,
    })
}

fn card_token_row(r: &dyn Get) -> StoreResult<CardTokenRow> {
    Ok(CardTokenRow {
        token: r.text(0)?,
        app_id: r.id(1)?,
        message_id: r.id(2)?,
        user_id: r.id(3)?,
        expires_at_ms: r.int(4)?,
        uses: r.int(5)?,
    })
}

/// A message's sender app, stored as '' when a user sent it.
fn opt_app(r: &dyn Get, at: usize) -> StoreResult<Option<AppId>> {
    let text = r.text(at)?;
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(corrupt)
}

fn stored_buttons(r: &dyn Get) -> StoreResult<StoredButtons> {
    Ok((r.id(0)?, r.id(1)?, r.text(2)?))
}

fn first_text(r: &dyn Get) -> StoreResult<String> {
    r.text(0)
}

fn first_int(r: &dyn Get) -> StoreResult<i64> {
    r.int(0)
}

// ---- writes shared by several operations (run inside a write transaction) ----

async fn insert_chat_row(db: &mut Db<'_>, chat: &ChatRow) -> StoreResult<()> {
    const INSERT: Sql = Sql::same(concat!(
        "INSERT INTO chats (",
        chat_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ));
    db.exec(
        &INSERT,
        &args![
            chat.chat_id.as_str(),
            &chat.name,
            &chat.description,
            chat.chat_type.as_str(),
            &chat.owner_user,
            chat.owner_app.as_deref(),
            chat.creator_app.as_str(),
            &chat.p2p_key,
            &chat.p2p_user,
            chat.dissolved,
            chat.created_at_ms,
        ],
    )
    .await
    .map(drop)
}

/// Adds members in the given order, joined at `now_ms`; how many were new.
async fn insert_members(
    db: &mut Db<'_>,
    chat_id: &ChatId,
    members: &[Member],
    now_ms: i64,
) -> StoreResult<u64> {
    const INSERT: Sql = Sql::each(
        "INSERT INTO chat_members (chat_id, member_kind, member_id, joined_at, position) \
         SELECT $1, k.value, i.value, $2, k.key FROM json_each($3) k \
         JOIN json_each($4) i ON i.key = k.key WHERE true ON CONFLICT DO NOTHING",
        "INSERT INTO chat_members (chat_id, member_kind, member_id, joined_at, position) \
         SELECT $1, k, i, $2, p - 1 FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS m(k, i, p) \
         ON CONFLICT DO NOTHING",
    );
    if members.is_empty() {
        return Ok(0);
    }
    let kinds: Vec<&str> = members.iter().map(|m| m.kind().as_str()).collect();
    let ids: Vec<&str> = members.iter().map(Member::id).collect();
    db.exec(&INSERT, &args![chat_id, now_ms, &kinds[..], &ids[..]])
        .await
}

async fn p2p_chat_by_key(db: &mut Db<'_>, key: &str) -> StoreResult<Option<ChatRow>> {
    const SELECT: Sql = Sql::same(concat!(
        "SELECT ",
        chat_columns!(),
        " FROM chats WHERE p2p_key = $1"
    ));
    db.row(&SELECT, &args![key], |r| chat_row(r, 0)).await
}

/// The one-to-one chat `new` describes: the stored one, or `new` itself, stored now with its bot
/// and user as members.
async fn open_p2p_chat(db: &mut Db<'_>, new: &ChatRow) -> StoreResult<ChatRow> {
    let key = new
        .p2p_key
        .as_deref()
        .ok_or_else(|| StoreError::Corrupt("a one-to-one chat without a key".into()))?;
    db.lock(&["p2p|", key]).await?;
    if let Some(existing) = p2p_chat_by_key(db, key).await? {
        return Ok(existing);
    }
    let user = new
        .p2p_user
        .clone()
        .ok_or_else(|| StoreError::Corrupt("a one-to-one chat without a user".into()))?;
    insert_chat_row(db, new).await?;
    let members = [Member::Bot(new.creator_app.clone()), Member::User(user)];
    insert_members(db, &new.chat_id, &members, new.created_at_ms).await?;
    Ok(new.clone())
}

async fn set_pins(db: &mut Db<'_>, at: &ChatUsers, pinned: bool) -> StoreResult<()> {
    const PIN: Sql = Sql::each(
        "INSERT INTO feed_pins (chat_id, user_id, app_id, updated_at) \
         SELECT $1, value, $2, $3 FROM json_each($4) WHERE true \
         ON CONFLICT (chat_id, user_id) DO UPDATE SET app_id = excluded.app_id, \
         updated_at = excluded.updated_at",
        "INSERT INTO feed_pins (chat_id, user_id, app_id, updated_at) \
         SELECT $1, u, $2, $3 FROM unnest($4::text[]) AS u \
         ON CONFLICT (chat_id, user_id) DO UPDATE SET app_id = excluded.app_id, \
         updated_at = excluded.updated_at",
    );
    const UNPIN: Sql = Sql::each(
        "DELETE FROM feed_pins WHERE chat_id = $1 AND user_id IN (SELECT value FROM json_each($2))",
        "DELETE FROM feed_pins WHERE chat_id = $1 AND user_id = ANY($2)",
    );
    let users = texts(&at.user_ids);
    if pinned {
        db.exec(&PIN, &args![&at.chat_id, &at.app_id, at.now_ms, &users[..]])
            .await?;
    } else {
        db.exec(&UNPIN, &args![&at.chat_id, &users[..]]).await?;
    }
    Ok(())
}

/// Adds `delta` references to each content and removes contents nobody refers to any more.
async fn adjust_refs(db: &mut Db<'_>, deltas: HashMap<i64, i64>) -> StoreResult<()> {
    const ADJUST: Sql = Sql::each(
        "UPDATE feed_card_contents SET refs = refs + d.delta \
         FROM (SELECT i.value AS id, x.value AS delta FROM json_each($1) i \
               JOIN json_each($2) x ON x.key = i.key) AS d \
         WHERE content_id = d.id",
        "UPDATE feed_card_contents SET refs = refs + d.delta \
         FROM unnest($1::bigint[], $2::bigint[]) AS d(id, delta) WHERE content_id = d.id",
    );
    const REMOVE: Sql = Sql::each(
        "DELETE FROM feed_card_contents \
         WHERE content_id IN (SELECT value FROM json_each($1)) AND refs <= 0",
        "DELETE FROM feed_card_contents WHERE content_id = ANY($1) AND refs <= 0",
    );
    let (ids, changes): (Vec<i64>, Vec<i64>) = deltas.into_iter().filter(|(_, d)| *d != 0).unzip();
    if ids.is_empty() {
        return Ok(());
    }
    db.exec(&ADJUST, &args![&ids[..], &changes[..]]).await?;
    db.exec(&REMOVE, &args![&ids[..]]).await?;
    Ok(())
}

async fn insert_content(db: &mut Db<'_>, json: &str, refs: i64) -> StoreResult<i64> {
    const INSERT: Sql = Sql::each(
        "INSERT INTO feed_card_contents (card, refs) VALUES ($1, $2)",
        "INSERT INTO feed_card_contents (card, refs) VALUES ($1, $2) RETURNING content_id",
    );
    db.insert_id(&INSERT, &args![json, refs]).await
}

async fn message_by_uuid(db: &mut Db<'_>, key: UuidKey<'_>) -> StoreResult<Option<MessageRow>> {
    const SELECT: Sql = Sql::same(concat!(
        "SELECT ",
        message_columns!(),
        " FROM messages WHERE sender_app = $1 AND uuid = $2 \
         AND create_time >= $3 ORDER BY create_time LIMIT 1"
    ));
    db.row(
        &SELECT,
        &args![key.app_id, key.uuid, key.since_ms],
        message_row,
    )
    .await
}

#[async_trait]
impl<E: Engine> TokenStore for Core<E> {
    async fn issue_token(&self, fresh: TokenRow, reuse_ms: i64) -> StoreResult<TokenRow> {
        self.0
            .write((fresh, reuse_ms), |db, (fresh, reuse_ms)| {
                Box::pin(async move {
                    const CURRENT: Sql = Sql::same(
                        "SELECT token_hash, app_id, issued_at, expires_at, sealed \
                         FROM access_tokens WHERE app_id = $1 AND expires_at > $2 \
                         ORDER BY expires_at DESC LIMIT 1",
                    );
                    const INSERT: Sql = Sql::same(
                        "INSERT INTO access_tokens (token_hash, app_id, issued_at, expires_at, \
                         sealed) VALUES ($1, $2, $3, $4, $5)",
                    );
                    let now_ms = fresh.issued_at_ms;
                    db.lock(&["token|", &fresh.app_id]).await?;
                    let current = db
                        .row(&CURRENT, &args![&fresh.app_id, now_ms], token_row)
                        .await?;
                    if let Some(current) = current.filter(|t| t.expires_at_ms - now_ms >= *reuse_ms)
                    {
                        return Ok(current);
                    }
                    let row = args![
                        &fresh.token_hash,
                        &fresh.app_id,
                        fresh.issued_at_ms,
                        fresh.expires_at_ms,
                        &fresh.sealed,
                    ];
                    db.exec(&INSERT, &row).await?;
                    Ok(fresh.clone())
                })
            })
            .await
    }

    async fn find_token(&self, token_hash: &str) -> StoreResult<Option<TokenRow>> {
        self.0
            .read(token_hash, |db, hash| {
                Box::pin(async move {
                    const SELECT: Sql = Sql::same(
                        "SELECT token_hash, app_id, issued_at, expires_at, sealed \
                         FROM access_tokens WHERE token_hash = $1",
                    );
                    db.row(&SELECT, &args![*hash], token_row).await
                })
            })
            .await
    }
}

#[async_trait]
impl<E: Engine> ChatStore for Core<E> {
    async fn insert_chat(&self, chat: &ChatRow, members: &[Member]) -> StoreResult<()> {
        let work = (chat.clone(), members.to_vec());
        self.0
            .write(work, |db, (chat, members)| {
                Box::pin(async move {
                    insert_chat_row(db, chat).await?;
                    insert_members(db, &chat.chat_id, members, chat.created_at_ms).await?;
                    Ok(())
                })
            })
            .await
    }

    async fn get_chat(&self, chat_id: &ChatId) -> StoreResult<Option<ChatRow>> {
        self.0
            .read(chat_id, |db, chat_id| {
                Box::pin(async move {
                    const SELECT: Sql = Sql::same(concat!(
                        "SELECT ",
                        chat_columns!(),
                        " FROM chats WHERE chat_id = $1"
                    ));
                    db.row(&SELECT, &args![*chat_id], |r| chat_row(r, 0)).await
                })
            })
            .await
    }

    async fn find_p2p_chat(&self, p2p_key: &str) -> StoreResult<Option<ChatRow>> {
        self.0
            .read(p2p_key, |db, key| Box::pin(p2p_chat_by_key(db, key)))
            .await
    }

    async fn add_members(
        &self,
        chat_id: &ChatId,
        members: &[Member],
        at_ms: i64,
    ) -> StoreResult<u64> {
        let work = (chat_id.clone(), members.to_vec(), at_ms);
        self.0
            .write(work, |db, (chat_id, members, at_ms)| {
                Box::pin(insert_members(db, chat_id, members, *at_ms))
            })
            .await
    }

    async fn are_members(&self, chat_id: &ChatId, members: &[Member]) -> StoreResult<Vec<bool>> {
        let found: HashSet<(String, String)> = self
            .0
            .read((chat_id, members), |db, (chat_id, members)| {
                Box::pin(async move {
                    const SELECT: Sql = Sql::each(
                        "SELECT member_kind, member_id FROM chat_members WHERE chat_id = $1 \
                         AND member_id IN (SELECT value FROM json_each($2))",
                        "SELECT member_kind, member_id FROM chat_members WHERE chat_id = $1 \
                         AND member_id = ANY($2)",
                    );
                    let ids: Vec<&str> = members.iter().map(Member::id).collect();
                    let key = args![*chat_id, &ids[..]];
                    let found = db
                        .rows(&SELECT, &key, |r| Ok((r.text(0)?, r.text(1)?)))
                        .await?;
                    Ok(found.into_iter().collect())
                })
            })
            .await?;
        Ok(members
            .iter()
            .map(|m| found.contains(&(m.kind().as_str().to_string(), m.id().to_string())))
            .collect())
    }

    async fn remove_member(&self, chat_id: &ChatId, member: &Member) -> StoreResult<bool> {
        let work = (chat_id.clone(), member.clone());
        self.0
            .write(work, |db, (chat_id, member)| {
                Box::pin(async move {
                    const DELETE: Sql = Sql::same(
                        "DELETE FROM chat_members WHERE chat_id = $1 AND member_kind = $2 \
                         AND member_id = $3",
                    );
                    let values = args![&*chat_id, member.kind().as_str(), member.id()];
                    Ok(db.exec(&DELETE, &values).await? == 1)
                })
            })
            .await
    }

    async fn readers(&self, chat_id: &ChatId, at_ms: i64) -> StoreResult<Vec<(UserId, i64)>> {
        self.0
            .read((chat_id, at_ms), |db, (chat_id, at_ms)| {
                Box::pin(async move {
                    const SELECT: Sql = Sql::same(
                        "SELECT member_id, read_until FROM chat_members WHERE chat_id = $1 \
                         AND member_kind = 'user' AND read_until >= $2 ORDER BY member_id",
                    );
                    db.rows(&SELECT, &args![*chat_id, *at_ms], |r| {
                        Ok((r.id(0)?, r.int(1)?))
                    })
                    .await
                })
            })
            .await
    }

    async fn chats_of_bot(
        &self,
        app_id: &AppId,
        after: Option<(i64, &ChatId)>,
        limit: u32,
    ) -> StoreResult<Vec<ChatRow>> {
        let work = (app_id.clone(), after.map(|(t, id)| (t, id.clone())), limit);
        self.0
            .read(work, |db, work| Box::pin(chats_of_bot(db, work)))
            .await
    }

    async fn list_members(&self, slice: MemberSlice<'_>) -> StoreResult<(Vec<Member>, i64)> {
        self.0
            .read(slice, |db, slice| {
                Box::pin(async move {
                    const PAGE: Sql = Sql::same(
                        "SELECT member_id FROM chat_members WHERE chat_id = $1 \
                         AND member_kind = $2 ORDER BY joined_at, position LIMIT $3 OFFSET $4",
                    );
                    const COUNT: Sql = Sql::same(
                        "SELECT COUNT(*) FROM chat_members WHERE chat_id = $1 AND member_kind = $2",
                    );
                    let MemberSlice { of, offset, limit } = *slice;
                    let (chat_id, kind) = (of.chat_id, of.kind.as_str());
                    let page = args![chat_id, kind, i64::from(limit), i64::from(offset)];
                    let ids = db.rows(&PAGE, &page, first_text).await?;
                    let total = db.row(&COUNT, &args![chat_id, kind], first_int).await?;
                    let members = ids
                        .into_iter()
                        .map(|id| Member::of(of.kind, id).map_err(corrupt))
                        .collect::<StoreResult<_>>()?;
                    Ok((members, total.unwrap_or(0)))
                })
            })
            .await
    }
}

/// `SELECT` of a chat's columns with the alias `c`.
macro_rules! chat_columns_c {
    () => {
        "c.chat_id, c.name, c.description, c.chat_type, c.owner_user, c.owner_app, \
         c.creator_app, c.p2p_key, c.p2p_user, c.dissolved, c.created_at"
    };
}

/// The groups a bot is in (see [`ChatStore::chats_of_bot`]).
async fn chats_of_bot(
    db: &mut Db<'_>,
    (app_id, after, limit): &(AppId, Option<(i64, ChatId)>, u32),
) -> StoreResult<Vec<ChatRow>> {
    const SELECT: Sql = Sql::same(concat!(
        "SELECT ",
        chat_columns_c!(),
        " FROM chat_members m JOIN chats c ON c.chat_id = m.chat_id \
         WHERE m.member_kind = 'bot' AND m.member_id = $1 AND c.chat_type <> 'p2p' \
         AND c.dissolved = 0 AND (c.created_at > $2 OR (c.created_at = $2 AND c.chat_id > $3)) \
         ORDER BY c.created_at, c.chat_id LIMIT $4"
    ));
    let (time, id) = match after {
        Some((t, id)) => (*t, id.as_str()),
        None => (i64::MIN, ""),
    };
    let values = args![app_id, time, id, i64::from(*limit)];
    db.rows(&SELECT, &values, |r| chat_row(r, 0)).await
}

#[async_trait]
impl<E: Engine> MessageStore for Core<E> {
    async fn send_message(&self, msg: NewMessage) -> StoreResult<Sent> {
        self.0
            .write(msg, |db, msg| {
                Box::pin(async move {
                    const INSERT: Sql = Sql::same(concat!(
                        "INSERT INTO messages (",
                        message_columns!(),
                        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
                         $14, $15, $16)"
                    ));
                    const OPEN_THREAD: Sql = Sql::same(
                        "UPDATE messages SET thread_id = $1 WHERE message_id = $2 AND thread_id IS NULL",
                    );
                    const THREAD_OF: Sql =
                        Sql::same("SELECT thread_id FROM messages WHERE message_id = $1");
                    let mut row = msg.row.clone();
                    if let Some(uuid) = &row.uuid {
                        let app_id = row.sender_app.as_ref().ok_or_else(|| {
                            StoreError::Refused("a uuid without the app that sent it".into())
                        })?;
                        db.lock(&["uuid|", app_id, "|", uuid]).await?;
                        let key = UuidKey {
                            app_id,
                            uuid,
                            since_ms: msg.uuid_since_ms,
                        };
                        if let Some(first) = message_by_uuid(db, key).await? {
                            return Ok(Sent::Duplicate(first));
                        }
                    }
                    if let Some(card_id) = &msg.card_id {
                        const BIND: Sql = Sql::same(
                            "UPDATE card_entities SET message_id = $1 \
                             WHERE card_id = $2 AND message_id IS NULL",
                        );
                        const CARD: Sql =
                            Sql::same("SELECT card FROM card_entities WHERE card_id = $1");
                        let bind = args![row.message_id.as_str(), card_id];
                        if db.exec(&BIND, &bind).await? != 1 {
                            return Ok(Sent::CardTaken);
                        }
                        let card = db.row(&CARD, &args![card_id], first_text).await?;
                        row.content =
                            card.ok_or_else(|| corrupt("a card entity vanished"))?;
                    }
                    row.chat_id = match &msg.to {
                        Destination::Chat(chat_id) => chat_id.clone(),
                        Destination::P2p(chat) => open_p2p_chat(db, chat).await?.chat_id,
                    };
                    if let (true, Some(root)) = (msg.opens_thread, &row.root_id) {
                        let fresh = row.thread_id.as_deref();
                        db.exec(&OPEN_THREAD, &args![fresh, root.as_str()]).await?;
                        let root = args![root.as_str()];
                        let thread = db.row(&THREAD_OF, &root, |r| r.opt_id(0)).await?;
                        row.thread_id = thread.flatten();
                    }
                    let mentions = to_json(&row.mentions)?;
                    let values = args![
                        row.message_id.as_str(),
                        row.chat_id.as_str(),
                        row.sender_app.as_deref().unwrap_or(""),
                        &row.msg_type,
                        &row.content,
                        &row.uuid,
                        row.create_time_ms,
                        row.update_time_ms,
                        row.updated,
                        row.recalled,
                        row.deleted,
                        &row.sender_user,
                        &mentions,
                        row.root_id.as_deref(),
                        row.parent_id.as_deref(),
                        row.thread_id.as_deref(),
                    ];
                    db.exec(&INSERT, &values).await?;
                    Ok(Sent::New(row))
                })
            })
            .await
    }

    async fn get_message(&self, message_id: &MessageId) -> StoreResult<Option<MessageRow>> {
        self.0
            .read(message_id, |db, id| {
                Box::pin(async move {
                    const SELECT: Sql = Sql::same(concat!(
                        "SELECT ",
                        message_columns!(),
                        " FROM messages WHERE message_id = $1"
                    ));
                    db.row(&SELECT, &args![*id], message_row).await
                })
            })
            .await
    }

    async fn message_by_uuid(&self, key: UuidKey<'_>) -> StoreResult<Option<MessageRow>> {
        self.0
            .read(key, |db, key| Box::pin(message_by_uuid(db, *key)))
            .await
    }

    async fn update_message_content(&self, edit: ContentEdit<'_>) -> StoreResult<bool> {
        let work = (
            edit.message_id.to_string(),
            edit.content.to_string(),
            edit.now_ms,
        );
        self.0
            .write(work, |db, (message_id, content, now_ms)| {
                Box::pin(async move {
                    const UPDATE: Sql = Sql::same(
                        "UPDATE messages SET content = $1, update_time = $2, updated = 1 \
                         WHERE message_id = $3 AND recalled = 0",
                    );
                    // A message that sent a card entity shows the entity: they change together.
                    const ENTITY: Sql = Sql::same(
                        "UPDATE card_entities SET card = $1, updated_at = $2 WHERE message_id = $3",
                    );
                    let changed = db
                        .exec(&UPDATE, &args![content, *now_ms, message_id])
                        .await?;
                    if changed == 1 {
                        db.exec(&ENTITY, &args![content, *now_ms, message_id])
                            .await?;
                    }
                    Ok(changed == 1)
                })
            })
            .await
    }

    async fn chat_messages(&self, chat_id: &ChatId, limit: u32) -> StoreResult<Vec<MessageRow>> {
        self.0
            .read((chat_id, limit), |db, (chat_id, limit)| {
                Box::pin(async move {
                    const SELECT: Sql = Sql::same(concat!(
                        "SELECT ",
                        message_columns!(),
                        " FROM messages WHERE chat_id = $1 \
                         ORDER BY create_time DESC, message_id DESC LIMIT $2"
                    ));
                    let mut rows = db
                        .rows(&SELECT, &args![*chat_id, i64::from(*limit)], message_row)
                        .await?;
                    rows.reverse();
                    Ok(rows)
                })
            })
            .await
    }

    async fn list_messages(&self, slice: MessageSlice<'_>) -> StoreResult<Vec<MessageRow>> {
        self.0
            .read(slice, |db, s| {
                Box::pin(async move {
                    const OLDEST: Sql = Sql::same(list_messages!(">", "ASC"));
                    const NEWEST: Sql = Sql::same(list_messages!("<", "DESC"));
                    let (time, id) = s.after.unwrap_or(if s.newest_first {
                        (i64::MAX, "")
                    } else {
                        (i64::MIN, "")
                    });
                    let values = args![
                        s.chat_id,
                        s.thread_id.map_or("", |t| t.as_str()),
                        s.from_ms,
                        s.to_ms,
                        time,
                        id,
                        i64::from(s.limit),
                    ];
                    let sql = if s.newest_first { &NEWEST } else { &OLDEST };
                    db.rows(sql, &values, message_row).await
                })
            })
            .await
    }

    async fn thread_root(&self, thread_id: &ThreadId) -> StoreResult<Option<MessageRow>> {
        self.0
            .read(thread_id, |db, id| {
                Box::pin(async move {
                    const SELECT: Sql = Sql::same(concat!(
                        "SELECT ",
                        message_columns!(),
                        " FROM messages WHERE thread_id = $1 AND root_id IS NULL LIMIT 1"
                    ));
                    db.row(&SELECT, &args![*id], message_row).await
                })
            })
            .await
    }

    async fn edit_message(&self, edit: MessageEdit<'_>) -> StoreResult<Edited> {
        let work = (
            edit.message_id.clone(),
            edit.msg_type.to_string(),
            edit.content.to_string(),
            edit.now_ms,
            edit.max_edits,
        );
        self.0
            .write(work, |db, (id, msg_type, content, now_ms, max_edits)| {
                Box::pin(async move {
                    const STATE: Sql = Sql::each(
                        "SELECT recalled, edits FROM messages WHERE message_id = $1",
                        "SELECT recalled, edits FROM messages WHERE message_id = $1 FOR UPDATE",
                    );
                    const EDIT: Sql = Sql::same(
                        "UPDATE messages SET msg_type = $1, content = $2, update_time = $3, \
                         updated = 1, edits = edits + 1 WHERE message_id = $4",
                    );
                    const SELECT: Sql = Sql::same(concat!(
                        "SELECT ",
                        message_columns!(),
                        " FROM messages WHERE message_id = $1"
                    ));
                    let state = db
                        .row(&STATE, &args![&*id], |r| Ok((r.flag(0)?, r.int(1)?)))
                        .await?;
                    match state {
                        None | Some((true, _)) => return Ok(Edited::Recalled),
                        Some((false, edits)) if edits >= *max_edits => return Ok(Edited::TooMany),
                        Some(_) => {}
                    }
                    db.exec(&EDIT, &args![msg_type, content, *now_ms, &*id])
                        .await?;
                    let row = db.row(&SELECT, &args![&*id], message_row).await?;
                    row.map(|r| Edited::Done(Box::new(r)))
                        .ok_or_else(|| corrupt("an edited message vanished"))
                })
            })
            .await
    }

    async fn recall_message(&self, message_id: &MessageId, now_ms: i64) -> StoreResult<bool> {
        self.0
            .write((message_id.clone(), now_ms), |db, (id, now_ms)| {
                Box::pin(async move {
                    const RECALL: Sql = Sql::same(
                        "UPDATE messages SET recalled = 1, update_time = $1 \
                         WHERE message_id = $2 AND recalled = 0",
                    );
                    Ok(db.exec(&RECALL, &args![*now_ms, id]).await? == 1)
                })
            })
            .await
    }
}

#[async_trait]
impl<E: Engine> FeedCardStore for Core<E> {
    async fn create_feed_cards(&self, new: NewFeedCards) -> StoreResult<Vec<bool>> {
        if new.user_ids.is_empty() {
            return Ok(Vec::new());
        }
        // The card's JSON is made here, on the caller's task, not in SQLite's one writer.
        let json = to_json(&new.card)?;
        self.0
            .write((new, json), |db, (new, json)| {
                Box::pin(async move {
                    // One statement gives the card to every user who does not have it yet.
                    const INSERT: Sql = Sql::each(
                        "INSERT INTO feed_cards (user_id, app_id, biz_id, content_id, \
                         time_sensitive, created_at, updated_at, display_time, sort_time, unread) \
                         SELECT value, $1, $2, $3, $4, $5, $5, $5, $5, $6 FROM json_each($7) \
                         WHERE true ON CONFLICT DO NOTHING",
                        "INSERT INTO feed_cards (user_id, app_id, biz_id, content_id, \
                         time_sensitive, created_at, updated_at, display_time, sort_time, unread) \
                         SELECT u, $1, $2, $3, $4, $5, $5, $5, $5, $6 FROM unnest($7::text[]) AS u \
                         ON CONFLICT DO NOTHING",
                    );
                    const CREATED: Sql = Sql::same(
                        "SELECT user_id FROM feed_cards \
                         WHERE app_id = $1 AND biz_id = $2 AND content_id = $3",
                    );
                    let wanted = new.user_ids.len() as i64;
                    let content_id = insert_content(db, json, wanted).await?;
                    let time_sensitive = new.card.time_sensitive.unwrap_or(false);
                    let users = texts(&new.user_ids);
                    let values = args![
                        new.app_id.as_str(),
                        new.biz_id.as_str(),
                        content_id,
                        time_sensitive,
                        new.now_ms,
                        new.unread,
                        &users[..],
                    ];
                    let inserted = db.exec(&INSERT, &values).await? as i64;
                    if inserted == wanted {
                        return Ok(vec![true; new.user_ids.len()]);
                    }
                    // Some users had the card already: theirs point at an older content.
                    adjust_refs(db, HashMap::from([(content_id, inserted - wanted)])).await?;
                    let key = args![new.app_id.as_str(), new.biz_id.as_str(), content_id];
                    let created: HashSet<String> = db
                        .rows(&CREATED, &key, first_text)
                        .await?
                        .into_iter()
                        .collect();
                    Ok(new
                        .user_ids
                        .iter()
                        .map(|u| created.contains(u.as_str()))
                        .collect())
                })
            })
            .await
    }

    async fn feed_card(&self, key: CardKey<'_>) -> StoreResult<Option<FeedCardRow>> {
        self.0
            .read(key, |db, key| {
                Box::pin(async move {
                    const SELECT: Sql = Sql::same(select_cards!(
                        "WHERE f.user_id = $1 AND f.app_id = $2 AND f.biz_id = $3"
                    ));
                    let key = args![key.user_id, key.app_id, key.biz_id];
                    db.row(&SELECT, &key, card_row).await
                })
            })
            .await
    }

    async fn feed_cards_of_user(
        &self,
        app_id: &AppId,
        user_id: &UserId,
    ) -> StoreResult<Vec<FeedCardRow>> {
        self.0
            .read((app_id, user_id), |db, (app_id, user_id)| {
                Box::pin(async move {
                    const SELECT: Sql = Sql::same(select_cards!(
                        "WHERE f.user_id = $1 AND f.app_id = $2 ORDER BY f.sort_time DESC, f.biz_id"
                    ));
                    db.rows(&SELECT, &args![*user_id, *app_id], card_row).await
                })
            })
            .await
    }

    async fn update_feed_cards(&self, batch: FeedCardEdits) -> StoreResult<Vec<bool>> {
        self.0
            .write(batch, |db, batch| Box::pin(update_feed_cards(db, batch)))
            .await
    }

    async fn delete_feed_cards(
        &self,
        app_id: &AppId,
        keys: Vec<(UserId, BizId)>,
    ) -> StoreResult<Vec<bool>> {
        self.0
            .write((app_id.clone(), keys), |db, (app_id, keys)| {
                Box::pin(async move {
                    const DELETE: Sql = Sql::same(
                        "DELETE FROM feed_cards WHERE user_id = $1 AND app_id = $2 \
                         AND biz_id = $3 RETURNING content_id",
                    );
                    let mut deltas: HashMap<i64, i64> = HashMap::new();
                    let mut found = Vec::with_capacity(keys.len());
                    for (user_id, biz_id) in keys {
                        let key = args![user_id, app_id, biz_id];
                        let gone = db.row(&DELETE, &key, first_int).await?;
                        if let Some(content_id) = gone {
                            *deltas.entry(content_id).or_default() -= 1;
                        }
                        found.push(gone.is_some());
                    }
                    adjust_refs(db, deltas).await?;
                    Ok(found)
                })
            })
            .await
    }
}

/// Applies each edit with its merge: reads the card (locking it, in PostgreSQL), merges, moves
/// it to its new content.
async fn update_feed_cards(db: &mut Db<'_>, batch: &FeedCardEdits) -> StoreResult<Vec<bool>> {
    const SELECT: Sql = Sql::each(
        "SELECT f.content_id, c.card FROM feed_cards f \
         JOIN feed_card_contents c ON c.content_id = f.content_id \
         WHERE f.user_id = $1 AND f.app_id = $2 AND f.biz_id = $3",
        "SELECT f.content_id, c.card FROM feed_cards f \
         JOIN feed_card_contents c ON c.content_id = f.content_id \
         WHERE f.user_id = $1 AND f.app_id = $2 AND f.biz_id = $3 FOR UPDATE OF f",
    );
    const UPDATE: Sql = Sql::same(
        "UPDATE feed_cards SET content_id = $1, time_sensitive = $2, updated_at = $3, \
         display_time = CASE WHEN CAST($4 AS BIGINT) = 1 THEN $3 ELSE display_time END, \
         sort_time = CASE WHEN CAST($5 AS BIGINT) = 1 THEN $3 ELSE sort_time END, \
         unread = unread + $6 \
         WHERE user_id = $7 AND app_id = $8 AND biz_id = $9",
    );
    let mut found = Vec::with_capacity(batch.edits.len());
    let mut regrouping = Regrouping::default();
    for edit in &batch.edits {
        let key = args![&edit.user_id, &batch.app_id, edit.biz_id.as_str()];
        let current = db
            .row(&SELECT, &key, |r| Ok((r.int(0)?, r.text(1)?)))
            .await?;
        let Some((old_id, json)) = current else {
            found.push(false);
            continue;
        };
        let (card, effects, placed) = regrouping.merge(old_id, json, edit, batch.merge)?;
        let new_id = match placed {
            Placed::At(id) => id,
            Placed::New(json) => {
                let id = insert_content(db, &json, 0).await?;
                regrouping.stored(json, id);
                id
            }
        };
        regrouping.moved(old_id, new_id);
        let values = args![
            new_id,
            card.time_sensitive.unwrap_or(false),
            batch.now_ms,
            effects.display_time,
            effects.sort_time,
            i64::from(effects.notify),
            &edit.user_id,
            &batch.app_id,
            edit.biz_id.as_str(),
        ];
        db.exec(&UPDATE, &values).await?;
        found.push(true);
    }
    adjust_refs(db, regrouping.deltas).await?;
    Ok(found)
}

#[async_trait]
impl<E: Engine> FeedStore for Core<E> {
    async fn set_pins(&self, at: ChatUsers, pinned: bool) -> StoreResult<()> {
        self.0
            .write((at, pinned), |db, (at, pinned)| {
                Box::pin(set_pins(db, at, *pinned))
            })
            .await
    }

    async fn pin_p2p_chats(&self, pins: P2pPins) -> StoreResult<()> {
        self.0
            .write(pins, |db, pins| {
                Box::pin(async move {
                    for new in &pins.chats {
                        let chat = open_p2p_chat(db, new).await?;
                        let at = ChatUsers {
                            app_id: pins.app_id.clone(),
                            chat_id: chat.chat_id.clone(),
                            user_ids: chat.p2p_user.into_iter().collect(),
                            now_ms: pins.now_ms,
                        };
                        set_pins(db, &at, pins.pinned).await?;
                    }
                    Ok(())
                })
            })
            .await
    }

    async fn feed_page(&self, slice: FeedSlice<'_>) -> StoreResult<FeedRows> {
        let (cards, chats, buttons) = self
            .0
            .read_together(slice, |db, slice| Box::pin(feed_rows(db, *slice)))
            .await?;
        FeedRows::with_buttons(cards, chats, buttons)
    }

    async fn set_chat_buttons(&self, at: ChatUsers, buttons: &[Button]) -> StoreResult<()> {
        let json = to_json(&buttons)?;
        self.0
            .write((at, json), |db, (at, json)| {
                Box::pin(async move {
                    const SET: Sql = Sql::each(
                        "INSERT INTO chat_buttons (app_id, chat_id, user_id, buttons, updated_at) \
                         SELECT $1, $2, value, $3, $4 FROM json_each($5) WHERE true \
                         ON CONFLICT (app_id, chat_id, user_id) \
                         DO UPDATE SET buttons = excluded.buttons, updated_at = excluded.updated_at",
                        "INSERT INTO chat_buttons (app_id, chat_id, user_id, buttons, updated_at) \
                         SELECT $1, $2, u, $3, $4 FROM unnest($5::text[]) AS u \
                         ON CONFLICT (app_id, chat_id, user_id) \
                         DO UPDATE SET buttons = excluded.buttons, updated_at = excluded.updated_at",
                    );
                    let users = texts(&at.user_ids);
                    let values = args![&at.app_id, &at.chat_id, json, at.now_ms, &users[..]];
                    db.exec(&SET, &values).await.map(drop)
                })
            })
            .await
    }

    async fn chat_buttons(&self, entry: ChatEntry<'_>) -> StoreResult<Vec<AppButtons>> {
        let rows = self
            .0
            .read(entry, |db, entry| {
                Box::pin(async move {
                    const SELECT: Sql = Sql::same(
                        "SELECT app_id, chat_id, buttons FROM chat_buttons \
                         WHERE chat_id = $1 AND user_id = $2 ORDER BY app_id",
                    );
                    let key = args![entry.chat_id, entry.user_id];
                    db.rows(&SELECT, &key, stored_buttons).await
                })
            })
            .await?;
        read_buttons(rows)
    }

    async fn read_chat(&self, entry: ChatEntry<'_>, at_ms: i64) -> StoreResult<()> {
        let work = (entry.chat_id.to_string(), entry.user_id.to_string(), at_ms);
        self.0
            .write(work, |db, (chat_id, user_id, at_ms)| {
                Box::pin(async move {
                    const READ: Sql = Sql::same(
                        "UPDATE chat_members SET read_until = \
                         CASE WHEN read_until > $1 THEN read_until ELSE $1 END \
                         WHERE chat_id = $2 AND member_kind = 'user' AND member_id = $3",
                    );
                    db.exec(&READ, &args![*at_ms, chat_id, user_id])
                        .await
                        .map(drop)
                })
            })
            .await
    }
}

type RawFeed = (Vec<FeedCardRow>, Vec<FeedChatRow>, Vec<StoredButtons>);

/// A user's cards in feed order, `$1` the user and `$2` the limit.
const FEED_CARDS: Sql = Sql::same(select_cards!(
    "WHERE f.user_id = $1 \
     ORDER BY f.time_sensitive DESC, f.sort_time DESC, f.biz_id, f.app_id LIMIT $2"
));

/// The rest of the cursor's sort time: `$2` its time-sensitive flag, `$3` its sort time, `$4`
/// and `$5` its biz_id and app_id, `$6` the limit.
const FEED_CARDS_SAME_TIME: Sql = Sql::same(select_cards!(
    "WHERE f.user_id = $1 AND f.time_sensitive = $2 AND f.sort_time = $3 \
     AND (f.biz_id > $4 OR (f.biz_id = $4 AND f.app_id > $5)) \
     ORDER BY f.time_sensitive DESC, f.sort_time DESC, f.biz_id, f.app_id LIMIT $6"
));

/// The older cards of the cursor's kind: `$2` its flag, `$3` its sort time, `$4` the limit.
const FEED_CARDS_OLDER: Sql = Sql::same(select_cards!(
    "WHERE f.user_id = $1 AND f.time_sensitive = $2 AND f.sort_time < $3 \
     ORDER BY f.time_sensitive DESC, f.sort_time DESC, f.biz_id, f.app_id LIMIT $4"
));

/// The cards that are not time-sensitive.
const FEED_CARDS_NOT_PINNED: Sql = Sql::same(select_cards!(
    "WHERE f.user_id = $1 AND f.time_sensitive = 0 \
     ORDER BY f.time_sensitive DESC, f.sort_time DESC, f.biz_id, f.app_id LIMIT $2"
));

async fn feed_rows(db: &mut Db<'_>, slice: FeedSlice<'_>) -> StoreResult<RawFeed> {
    const CHATS: Sql = Sql::same(
        "SELECT c.chat_id, c.name, c.description, c.chat_type, c.owner_user, c.owner_app, \
         c.creator_app, c.p2p_key, c.p2p_user, c.dissolved, c.created_at, m.joined_at, p.app_id, \
         lm.create_time, lm.msg_type, lm.content, lm.sender_user, lm.sender_app, \
         (SELECT COUNT(*) FROM messages u WHERE u.chat_id = c.chat_id AND u.recalled = 0 \
          AND u.create_time > m.read_until \
          AND (u.sender_user IS NULL OR u.sender_user <> m.member_id)) \
         FROM chat_members m JOIN chats c ON c.chat_id = m.chat_id \
         LEFT JOIN feed_pins p ON p.chat_id = c.chat_id AND p.user_id = m.member_id \
         LEFT JOIN messages lm ON lm.message_id = (SELECT l.message_id FROM messages l \
           WHERE l.chat_id = c.chat_id AND l.recalled = 0 \
           ORDER BY l.create_time DESC, l.message_id DESC LIMIT 1) \
         WHERE m.member_kind = 'user' AND m.member_id = $1 AND c.dissolved = 0",
    );
    const BUTTONS: Sql = Sql::same(
        "SELECT app_id, chat_id, buttons FROM chat_buttons \
         WHERE user_id = $1 AND buttons <> '[]' ORDER BY chat_id, app_id",
    );
    let FeedSlice {
        user_id,
        after,
        limit,
    } = slice;
    let limit = i64::from(limit);
    let cards = match after {
        None => {
            db.rows(&FEED_CARDS, &args![user_id, limit], card_row)
                .await?
        }
        Some(c) => {
            // Three seeks along the feed-order index instead of one OR, which SQLite could
            // only answer by scanning the user's cards from the top: the rest of the cursor's
            // sort time, then the older cards of its kind, then (after the time-sensitive
            // cards) every other card.
            let ts = i64::from(c.time_sensitive);
            let same_time = args![user_id, ts, c.sort_time_ms, &c.key, &c.app_id, limit];
            let mut cards = db.rows(&FEED_CARDS_SAME_TIME, &same_time, card_row).await?;
            let left = |cards: &Vec<_>| limit - cards.len() as i64;
            if left(&cards) > 0 {
                let older = args![user_id, ts, c.sort_time_ms, left(&cards)];
                cards.extend(db.rows(&FEED_CARDS_OLDER, &older, card_row).await?);
            }
            if c.time_sensitive && left(&cards) > 0 {
                let rest = args![user_id, left(&cards)];
                cards.extend(db.rows(&FEED_CARDS_NOT_PINNED, &rest, card_row).await?);
            }
            cards
        }
    };
    let chats = db
        .rows(&CHATS, &args![user_id], |r| {
            Ok(FeedChatRow {
                chat: chat_row(r, 0)?,
                joined_at_ms: r.int(11)?,
                pinned_by: r.opt_id(12)?,
                last_message_ms: r.opt_int(13)?,
                last_message: match (r.opt_text(14)?, r.opt_text(15)?, r.opt_text(17)?) {
                    (Some(msg_type), Some(content), Some(sender_app)) => Some(LastMessage {
                        msg_type,
                        content,
                        sender_user: r.opt_id(16)?,
                        sender_app: sender_app.parse().ok(),
                    }),
                    _ => None,
                },
                unread: r.int(18)?,
            })
        })
        .await?;
    let buttons = db.rows(&BUTTONS, &args![user_id], stored_buttons).await?;
    Ok((cards, chats, buttons))
}

#[async_trait]
impl<E: Engine> MetaStore for Core<E> {
    async fn meta(&self, key: &str) -> StoreResult<Option<String>> {
        self.0
            .read(key, |db, key| {
                Box::pin(async move {
                    const SELECT: Sql = Sql::same("SELECT value FROM meta WHERE key = $1");
                    db.row(&SELECT, &args![*key], first_text).await
                })
            })
            .await
    }

    async fn set_meta(&self, key: &str, value: &str) -> StoreResult<()> {
        let work = (key.to_string(), value.to_string());
        self.0
            .write(work, |db, (key, value)| {
                Box::pin(async move {
                    const SET: Sql = Sql::same(
                        "INSERT INTO meta (key, value) VALUES ($1, $2) \
                         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    );
                    db.exec(&SET, &args![key, value]).await.map(drop)
                })
            })
            .await
    }

    async fn metas(&self, prefix: &str) -> StoreResult<Vec<(String, String)>> {
        // LIKE's wildcards in a prefix would widen it: the prefixes are the server's own.
        debug_assert!(!prefix.contains(['%', '_']));
        self.0
            .read(format!("{prefix}%"), |db, pattern| {
                Box::pin(async move {
                    const SELECT: Sql =
                        Sql::same("SELECT key, value FROM meta WHERE key LIKE $1 ORDER BY key");
                    db.rows(&SELECT, &args![pattern], |r| Ok((r.text(0)?, r.text(1)?)))
                        .await
                })
            })
            .await
    }

    async fn delete_meta(&self, key: &str) -> StoreResult<bool> {
        self.0
            .write(key.to_string(), |db, key| {
                Box::pin(async move {
                    const DELETE: Sql = Sql::same("DELETE FROM meta WHERE key = $1");
                    Ok(db.exec(&DELETE, &args![key]).await? == 1)
                })
            })
            .await
    }
}

#[async_trait]
impl<E: Engine> PlatformStore for Core<E> {
    async fn app_settings(&self, app_id: &AppId) -> StoreResult<Option<String>> {
        self.0
            .read(app_id, |db, app_id| {
                Box::pin(async move {
                    const SELECT: Sql =
                        Sql::same("SELECT settings FROM app_settings WHERE app_id = $1");
                    db.row(&SELECT, &args![*app_id], first_text).await
                })
            })
            .await
    }

    async fn set_app_settings(&self, app_id: &AppId, settings: &str) -> StoreResult<()> {
        let work = (app_id.clone(), settings.to_string());
        self.0
            .write(work, |db, (app_id, settings)| {
                Box::pin(async move {
                    const SET: Sql = Sql::same(
                        "INSERT INTO app_settings (app_id, settings) VALUES ($1, $2) \
                         ON CONFLICT (app_id) DO UPDATE SET settings = excluded.settings",
                    );
                    db.exec(&SET, &args![app_id, settings]).await.map(drop)
                })
            })
            .await
    }

    async fn insert_card_token(&self, row: CardTokenRow) -> StoreResult<()> {
        self.0
            .write(row, |db, row| {
                Box::pin(async move {
                    const INSERT: Sql = Sql::same(
                        "INSERT INTO card_tokens (token, app_id, message_id, user_id, \
                         expires_at, uses) VALUES ($1, $2, $3, $4, $5, $6)",
                    );
                    let values = args![
                        &row.token,
                        &row.app_id,
                        &row.message_id,
                        &row.user_id,
                        row.expires_at_ms,
                        row.uses,
                    ];
                    db.exec(&INSERT, &values).await.map(drop)
                })
            })
            .await
    }

    async fn use_card_token(&self, spend: CardTokenSpend<'_>) -> StoreResult<CardTokenUse> {
        let work = (
            spend.token.to_string(),
            spend.app_id.to_string(),
            spend.now_ms,
            spend.max_uses,
        );
        self.0
            .write(work, |db, (token, app_id, now_ms, max_uses)| {
                Box::pin(async move {
                    const SELECT: Sql = Sql::each(
                        "SELECT token, app_id, message_id, user_id, expires_at, uses \
                         FROM card_tokens WHERE token = $1",
                        "SELECT token, app_id, message_id, user_id, expires_at, uses \
                         FROM card_tokens WHERE token = $1 FOR UPDATE",
                    );
                    const USE: Sql =
                        Sql::same("UPDATE card_tokens SET uses = uses + 1 WHERE token = $1");
                    let row = db.row(&SELECT, &args![token], card_token_row).await?;
                    Ok(match row.filter(|r| r.app_id.as_str() == app_id.as_str()) {
                        None => CardTokenUse::Unknown,
                        Some(r) if r.expires_at_ms <= *now_ms => CardTokenUse::Expired,
                        Some(r) if r.uses >= *max_uses => CardTokenUse::UsedUp,
                        Some(mut r) => {
                            db.exec(&USE, &args![token]).await?;
                            r.uses += 1;
                            CardTokenUse::Used(r)
                        }
                    })
                })
            })
            .await
    }
}

#[async_trait]
impl<E: Engine> CardEntityStore for Core<E> {
    async fn insert_card_entity(&self, row: CardEntityRow) -> StoreResult<()> {
        self.0
            .write(row, |db, row| {
                Box::pin(async move {
                    const INSERT: Sql = Sql::same(concat!(
                        "INSERT INTO card_entities (",
                        card_entity_columns!(),
                        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                    ));
                    let values = args![
                        &row.card_id,
                        &row.app_id,
                        &row.card,
                        row.sequence,
                        row.streaming_since_ms,
                        row.created_at_ms,
                        row.updated_at_ms,
                        &row.message_id,
                    ];
                    db.exec(&INSERT, &values).await.map(drop)
                })
            })
            .await
    }

    async fn card_entity(&self, card_id: &CardId) -> StoreResult<Option<CardEntityRow>> {
        self.0
            .read(card_id, |db, id| {
                Box::pin(async move {
                    const SELECT: Sql = Sql::same(concat!(
                        "SELECT ",
                        card_entity_columns!(),
                        " FROM card_entities WHERE card_id = $1"
                    ));
                    db.row(&SELECT, &args![*id], card_entity_row).await
                })
            })
            .await
    }

    async fn card_entity_of_message(
        &self,
        message_id: &MessageId,
    ) -> StoreResult<Option<CardEntityRow>> {
        self.0
            .read(message_id, |db, id| {
                Box::pin(async move {
                    const SELECT: Sql = Sql::same(concat!(
                        "SELECT ",
                        card_entity_columns!(),
                        " FROM card_entities WHERE message_id = $1"
                    ));
                    db.row(&SELECT, &args![*id], card_entity_row).await
                })
            })
            .await
    }

    async fn write_card_entity(&self, write: CardWrite) -> StoreResult<CardWritten> {
        self.0
            .write(write, |db, write| {
                Box::pin(async move {
                    const SELECT: Sql = Sql::each(
                        concat!(
                            "SELECT ",
                            card_entity_columns!(),
                            " FROM card_entities WHERE card_id = $1"
                        ),
                        concat!(
                            "SELECT ",
                            card_entity_columns!(),
                            " FROM card_entities WHERE card_id = $1 FOR UPDATE"
                        ),
                    );
                    const UUID: Sql = Sql::same(
                        "SELECT sequence FROM card_writes WHERE card_id = $1 AND uuid = $2",
                    );
                    const UPDATE: Sql = Sql::same(
                        "UPDATE card_entities SET card = $1, sequence = $2, \
                         streaming_since = $3, updated_at = $4 WHERE card_id = $5",
                    );
                    const REMEMBER: Sql = Sql::same(
                        "INSERT INTO card_writes (card_id, uuid, sequence) VALUES ($1, $2, $3)",
                    );
                    const MESSAGE: Sql = Sql::same(
                        "UPDATE messages SET content = $1, update_time = $2, updated = 1 \
                         WHERE message_id = $3 AND recalled = 0",
                    );
                    let id = args![&write.card_id];
                    let Some(mut row) = db.row(&SELECT, &id, card_entity_row).await? else {
                        return Ok(CardWritten::Unknown);
                    };
                    let earlier = match &write.uuid {
                        Some(uuid) => {
                            db.row(&UUID, &args![&write.card_id, uuid.as_str()], first_int)
                                .await?
                        }
                        None => None,
                    };
                    let (card, since) = match (write.rules)(&row, earlier) {
                        Err(refusal) => return Ok(CardWritten::Refused(refusal)),
                        Ok(CardChange::Replay) => return Ok(CardWritten::Done(row)),
                        Ok(CardChange::Card {
                            card,
                            streaming_since_ms,
                        }) => (card, streaming_since_ms),
                    };
                    let values = args![&card, write.sequence, since, write.now_ms, &write.card_id];
                    db.exec(&UPDATE, &values).await?;
                    if let Some(uuid) = &write.uuid {
                        let values = args![&write.card_id, uuid.as_str(), write.sequence];
                        db.exec(&REMEMBER, &values).await?;
                    }
                    if let Some(message_id) = &row.message_id {
                        db.exec(&MESSAGE, &args![&card, write.now_ms, message_id])
                            .await?;
                    }
                    row.card = card;
                    row.sequence = write.sequence;
                    row.streaming_since_ms = since;
                    row.updated_at_ms = write.now_ms;
                    Ok(CardWritten::Done(row))
                })
            })
            .await
    }
}

#[async_trait]
impl<E: Engine> ReactionStore for Core<E> {
    async fn add_reaction(&self, row: ReactionRow) -> StoreResult<()> {
        self.0
            .write(row, |db, row| {
                Box::pin(async move {
                    const INSERT: Sql = Sql::same(concat!(
                        "INSERT INTO reactions (",
                        reaction_columns!(),
                        ") VALUES ($1, $2, $3, $4, $5, $6)"
                    ));
                    let (kind, id) = match &row.operator {
                        Actor::App(app_id) => ("app", app_id.as_str()),
                        Actor::User(user_id) => ("user", user_id.as_str()),
                    };
                    let values = args![
                        &row.reaction_id,
                        &row.message_id,
                        &row.emoji_type,
                        kind,
                        id,
                        row.action_time_ms,
                    ];
                    db.exec(&INSERT, &values).await.map(drop)
                })
            })
            .await
    }

    async fn reaction(&self, reaction_id: &str) -> StoreResult<Option<ReactionRow>> {
        self.0
            .read(reaction_id, |db, id| {
                Box::pin(async move {
                    const SELECT: Sql = Sql::same(concat!(
                        "SELECT ",
                        reaction_columns!(),
                        " FROM reactions WHERE reaction_id = $1"
                    ));
                    db.row(&SELECT, &args![*id], reaction_row).await
                })
            })
            .await
    }

    async fn remove_reaction(&self, reaction_id: &str) -> StoreResult<bool> {
        let id = reaction_id.to_string();
        self.0
            .write(id, |db, id| {
                Box::pin(async move {
                    const DELETE: Sql = Sql::same("DELETE FROM reactions WHERE reaction_id = $1");
                    Ok(db.exec(&DELETE, &args![id]).await? == 1)
                })
            })
            .await
    }

    async fn list_reactions(&self, slice: ReactionSlice<'_>) -> StoreResult<Vec<ReactionRow>> {
        self.0
            .read(slice, |db, slice| {
                Box::pin(async move {
                    const SELECT: Sql = Sql::same(concat!(
                        "SELECT ",
                        reaction_columns!(),
                        " FROM reactions WHERE message_id = $1 \
                         AND ($2 = '' OR emoji_type = $2) \
                         AND (action_time > $3 OR (action_time = $3 AND reaction_id > $4)) \
                         ORDER BY action_time, reaction_id LIMIT $5"
                    ));
                    let (time, id) = slice.after.unwrap_or((i64::MIN, ""));
                    let values = args![
                        slice.message_id,
                        slice.emoji_type.unwrap_or(""),
                        time,
                        id,
                        i64::from(slice.limit),
                    ];
                    db.rows(&SELECT, &values, reaction_row).await
                })
            })
            .await
    }

    async fn reactions_of(&self, message_ids: &[MessageId]) -> StoreResult<Vec<ReactionRow>> {
        if message_ids.is_empty() {
            return Ok(Vec::new());
        }
        self.0
            .read(message_ids, |db, ids| {
                Box::pin(async move {
                    const SELECT: Sql = Sql::each(
                        concat!(
                            "SELECT ",
                            reaction_columns!(),
                            " FROM reactions WHERE message_id IN (SELECT value FROM json_each($1)) \
                             ORDER BY action_time, reaction_id"
                        ),
                        concat!(
                            "SELECT ",
                            reaction_columns!(),
                            " FROM reactions WHERE message_id = ANY($1) \
                             ORDER BY action_time, reaction_id"
                        ),
                    );
                    let ids = texts(ids);
                    db.rows(&SELECT, &args![ids.as_slice()], reaction_row).await
                })
            })
            .await
    }
}

macro_rules! upload_columns {
    () => {
        "upload_key, kind, owner_kind, owner_id, file_type, file_name, duration, media_type, \
         size, data, created_at"
    };
}

fn upload_row(r: &dyn Get) -> StoreResult<UploadRow> {
    use base64::Engine;
    let owner = match r.text(2)?.as_str() {
        "app" => Actor::App(r.id(3)?),
        "user" => Actor::User(r.id(3)?),
        other => return Err(corrupt(format!("unknown upload owner kind {other:?}"))),
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(r.text(9)?)
        .map_err(corrupt)?;
    Ok(UploadRow {
        key: r.text(0)?,
        kind: r.text(1)?,
        owner,
        file_type: r.text(4)?,
        file_name: r.text(5)?,
        duration_ms: r.opt_int(6)?,
        media_type: r.text(7)?,
        bytes,
        created_at_ms: r.int(10)?,
    })
}

#[async_trait]
impl<E: Engine> UploadStore for Core<E> {
    async fn add_upload(&self, row: UploadRow) -> StoreResult<()> {
        use base64::Engine as _;
        let data = base64::engine::general_purpose::STANDARD.encode(&row.bytes);
        self.0
            .write((row, data), |db, (row, data)| {
                Box::pin(async move {
                    const INSERT: Sql = Sql::same(concat!(
                        "INSERT INTO uploads (",
                        upload_columns!(),
                        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                    ));
                    let (kind, id) = match &row.owner {
                        Actor::App(app_id) => ("app", app_id.as_str()),
                        Actor::User(user_id) => ("user", user_id.as_str()),
                    };
                    let values = args![
                        &row.key,
                        &row.kind,
                        kind,
                        id,
                        &row.file_type,
                        &row.file_name,
                        row.duration_ms,
                        &row.media_type,
                        row.bytes.len() as i64,
                        data,
                        row.created_at_ms,
                    ];
                    db.exec(&INSERT, &values).await.map(drop)
                })
            })
            .await
    }

    async fn upload(&self, key: &str) -> StoreResult<Option<UploadRow>> {
        self.0
            .read(key, |db, key| {
                Box::pin(async move {
                    const SELECT: Sql = Sql::same(concat!(
                        "SELECT ",
                        upload_columns!(),
                        " FROM uploads WHERE upload_key = $1"
                    ));
                    db.row(&SELECT, &args![*key], upload_row).await
                })
            })
            .await
    }
}

/// The columns of a table, in order, with whether each holds integers.
async fn columns(db: &mut Db<'_>, table: &str) -> StoreResult<Vec<(String, bool)>> {
    const COLUMNS: Sql = Sql::each(
        "SELECT name, type FROM pragma_table_info($1) ORDER BY cid",
        "SELECT column_name::text, data_type::text FROM information_schema.columns \
         WHERE table_name = $1 AND table_schema = current_schema() ORDER BY ordinal_position",
    );
    db.rows(&COLUMNS, &args![table], |r| {
        let kind = r.text(1)?.to_ascii_lowercase();
        Ok((r.text(0)?, kind.contains("int")))
    })
    .await
}

/// Empties every table of state (PostgreSQL's `TRUNCATE` does not scan the rows).
async fn empty_all(db: &mut Db<'_>) -> StoreResult<()> {
    if db.is_pg() {
        db.exec_text(&format!("TRUNCATE {}", STATE_TABLES.join(", ")), &[])
            .await?;
    } else {
        for table in STATE_TABLES.iter().rev() {
            db.exec_text(&format!("DELETE FROM {table}"), &[]).await?;
        }
    }
    Ok(())
}

/// Every table of state, each in a stable order (text compared byte by byte), so two exports
/// of the same state are equal.
async fn export(db: &mut Db<'_>) -> StoreResult<Snapshot> {
    let mut out = Snapshot::new();
    for table in STATE_TABLES {
        let cols = columns(db, table).await?;
        let names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
        let order: Vec<String> = cols
            .iter()
            .map(|(n, int)| match (int, db.is_pg()) {
                (false, true) => format!("{n} COLLATE \"C\""),
                _ => n.clone(),
            })
            .collect();
        let sql = format!(
            "SELECT {} FROM {table} ORDER BY {}",
            names.join(", "),
            order.join(", ")
        );
        let n = names.len();
        let rows = db
            .rows_text(&sql, &[], |r| {
                (0..n).map(|i| r.value(i)).collect::<StoreResult<Vec<_>>>()
            })
            .await?;
        let rows = rows
            .into_iter()
            .map(|values| {
                names
                    .iter()
                    .map(|n| n.to_string())
                    .zip(values)
                    .collect::<serde_json::Map<_, _>>()
            })
            .collect();
        out.insert(table.to_string(), rows);
    }
    Ok(out)
}

/// A snapshot's value as a parameter of a column (holding integers, or text).
fn column_value<'v>(value: &'v serde_json::Value, int: bool) -> Result<super::db::Arg<'v>, String> {
    use super::db::Arg;
    Ok(match (value, int) {
        (serde_json::Value::Null, _) => Arg::Null,
        (serde_json::Value::Number(v), true) => Arg::Int(v.as_i64().ok_or("not a whole number")?),
        (serde_json::Value::Bool(b), true) => Arg::Int(i64::from(*b)),
        (serde_json::Value::String(s), false) => Arg::Text(s),
        (other, _) => return Err(format!("{other} is not a value of this column")),
    })
}

async fn import(db: &mut Db<'_>, snapshot: &Snapshot) -> StoreResult<()> {
    empty_all(db).await?;
    for table in STATE_TABLES {
        let Some(rows) = snapshot.get(*table) else {
            continue;
        };
        let known = columns(db, table).await?;
        for (n, row) in rows.iter().enumerate() {
            let refused = |why: String| StoreError::Refused(format!("{table}[{n}]: {why}"));
            let mut names = Vec::new();
            let mut values = Vec::new();
            for (name, value) in row {
                let Some((_, int)) = known.iter().find(|(k, _)| k == name) else {
                    return Err(refused(format!("unknown column {name:?}")));
                };
                names.push(name.as_str());
                values
                    .push(column_value(value, *int).map_err(|e| refused(format!("{name}: {e}")))?);
            }
            let sql = format!(
                "INSERT INTO {table} ({}) VALUES ({})",
                names.join(", "),
                (1..=names.len())
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            db.exec_text(&sql, &values).await.map_err(|e| match e {
                StoreError::Backend(why) => refused(why),
                other => other,
            })?;
        }
    }
    if db.is_pg() {
        // New contents continue after the loaded ones.
        db.exec_text(
            "SELECT setval(pg_get_serial_sequence('feed_card_contents', 'content_id'), \
             COALESCE((SELECT MAX(content_id) FROM feed_card_contents), 0) + 1, false)",
            &[],
        )
        .await?;
    }
    Ok(())
}

#[async_trait]
impl<E: Engine> SnapshotStore for Core<E> {
    async fn reset(&self) -> StoreResult<()> {
        self.0.write((), |db, ()| Box::pin(empty_all(db))).await
    }

    async fn export(&self) -> StoreResult<Snapshot> {
        self.0
            .read_together((), |db, ()| Box::pin(export(db)))
            .await
    }

    async fn import(&self, snapshot: Snapshot) -> StoreResult<()> {
        only_state_tables(&snapshot)?;
        self.0
            .write(snapshot, |db, snapshot| Box::pin(import(db, snapshot)))
            .await
    }
}
