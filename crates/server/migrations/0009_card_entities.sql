-- CardKit card entities: the card as it is now, the last write's sequence, when streaming was
-- last turned on, and the message that sent it (once); and each write's uuid, for idempotent
-- retries. Portable: applied to SQLite and PostgreSQL databases alike.
CREATE TABLE card_entities (
    card_id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL,
    card TEXT NOT NULL,
    sequence BIGINT NOT NULL,
    streaming_since BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    message_id TEXT UNIQUE
);
CREATE TABLE card_writes (
    card_id TEXT NOT NULL,
    uuid TEXT NOT NULL,
    sequence BIGINT NOT NULL,
    PRIMARY KEY (card_id, uuid)
);
