-- larkfeed's schema on PostgreSQL: the same tables as the SQLite store after its migrations, so
-- `/_larkfeed/state` documents move between the two. Times are Unix milliseconds of the server
-- clock.

CREATE TABLE access_tokens (
    token_hash  TEXT PRIMARY KEY,
    app_id      TEXT NOT NULL,
    issued_at   BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    sealed      TEXT NOT NULL
);
CREATE INDEX access_tokens_by_app ON access_tokens (app_id, expires_at);

CREATE TABLE chats (
    chat_id      TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    chat_type    TEXT NOT NULL,
    owner_user   TEXT,
    owner_app    TEXT,
    creator_app  TEXT NOT NULL,
    p2p_key      TEXT UNIQUE,
    dissolved    BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    p2p_user     TEXT
);

CREATE TABLE chat_members (
    chat_id      TEXT NOT NULL,
    member_kind  TEXT NOT NULL,
    member_id    TEXT NOT NULL,
    joined_at    BIGINT NOT NULL,
    position     BIGINT NOT NULL,
    PRIMARY KEY (chat_id, member_kind, member_id)
);
CREATE INDEX chat_members_by_member ON chat_members (member_kind, member_id);

CREATE TABLE messages (
    message_id   TEXT PRIMARY KEY,
    chat_id      TEXT NOT NULL,
    sender_app   TEXT NOT NULL,
    msg_type     TEXT NOT NULL,
    content      TEXT NOT NULL,
    uuid         TEXT,
    create_time  BIGINT NOT NULL,
    update_time  BIGINT NOT NULL,
    updated      BIGINT NOT NULL DEFAULT 0,
    recalled     BIGINT NOT NULL DEFAULT 0,
    deleted      BIGINT NOT NULL DEFAULT 0,
    sender_user  TEXT,
    mentions     TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX messages_by_uuid ON messages (sender_app, uuid);
CREATE INDEX messages_by_chat ON messages (chat_id, create_time);
CREATE INDEX messages_live_by_chat ON messages (chat_id, recalled, create_time);

CREATE TABLE feed_card_contents (
    content_id  BIGSERIAL PRIMARY KEY,
    card        TEXT NOT NULL,
    refs        BIGINT NOT NULL
);

CREATE TABLE feed_cards (
    user_id         TEXT NOT NULL,
    app_id          TEXT NOT NULL,
    biz_id          TEXT NOT NULL,
    content_id      BIGINT NOT NULL,
    time_sensitive  BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    display_time    BIGINT NOT NULL,
    sort_time       BIGINT NOT NULL,
    unread          BIGINT NOT NULL,
    PRIMARY KEY (app_id, biz_id, user_id)
);
CREATE INDEX feed_cards_in_feed_order
    ON feed_cards (user_id, time_sensitive DESC, sort_time DESC, biz_id, app_id);

CREATE TABLE chat_buttons (
    app_id      TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    buttons     TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (app_id, chat_id, user_id)
);
CREATE INDEX chat_buttons_by_user ON chat_buttons (user_id);

CREATE TABLE feed_pins (
    chat_id     TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    app_id      TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (chat_id, user_id)
);
CREATE INDEX feed_pins_by_user ON feed_pins (user_id);

CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

CREATE TABLE app_settings (
    app_id    TEXT PRIMARY KEY,
    settings  TEXT NOT NULL
);

CREATE TABLE card_tokens (
    token       TEXT PRIMARY KEY,
    app_id      TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    uses        BIGINT NOT NULL
);
