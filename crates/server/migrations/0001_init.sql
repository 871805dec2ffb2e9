-- larkfeed schema. Portable SQL: plain types, no SQLite-only syntax, so a PostgreSQL store can
-- run the same statements. Times are Unix milliseconds of the server clock.

CREATE TABLE tokens (
    token       TEXT PRIMARY KEY,
    app_id      TEXT NOT NULL,
    issued_at   BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX tokens_by_app ON tokens (app_id, expires_at);

CREATE TABLE chats (
    chat_id      TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    chat_type    TEXT NOT NULL,          -- private | public | p2p
    owner_user   TEXT,                   -- tenant user_id of the owner, if a user
    owner_app    TEXT,                   -- app_id of the owner, if a bot
    creator_app  TEXT NOT NULL,
    p2p_key      TEXT UNIQUE,            -- app_id|user_id of a bot's one-to-one chat
    dissolved    BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL
);

CREATE TABLE chat_members (
    chat_id      TEXT NOT NULL,
    member_kind  TEXT NOT NULL,          -- user | bot
    member_id    TEXT NOT NULL,          -- tenant user_id, or app_id for bots
    joined_at    BIGINT NOT NULL,
    position     BIGINT NOT NULL,        -- order within one join, so listings keep join order
    PRIMARY KEY (chat_id, member_kind, member_id)
);

CREATE TABLE messages (
    message_id     TEXT PRIMARY KEY,
    chat_id        TEXT NOT NULL,
    sender_app     TEXT NOT NULL,
    msg_type       TEXT NOT NULL,
    content        TEXT NOT NULL,
    uuid           TEXT,
    create_time    BIGINT NOT NULL,
    update_time    BIGINT NOT NULL,
    updated        BIGINT NOT NULL DEFAULT 0,
    recalled       BIGINT NOT NULL DEFAULT 0,
    deleted        BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX messages_by_uuid ON messages (sender_app, uuid);
CREATE INDEX messages_by_chat ON messages (chat_id, create_time);

CREATE TABLE app_feed_cards (
    app_id      TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    biz_id      TEXT NOT NULL,
    card        TEXT NOT NULL,           -- the open_app_feed_card JSON as stored
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (app_id, user_id, biz_id)
);

CREATE TABLE chat_buttons (
    app_id      TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    buttons     TEXT NOT NULL,           -- the buttons JSON array, as this user sees it
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (app_id, chat_id, user_id)
);
