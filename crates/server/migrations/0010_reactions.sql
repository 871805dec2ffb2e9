-- Reactions on messages: who reacted (an app or a user of the tenant) with which emoji, and when.
-- Portable: applied to SQLite and PostgreSQL databases alike.
CREATE TABLE reactions (
    reaction_id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL,
    emoji_type TEXT NOT NULL,
    operator_kind TEXT NOT NULL,
    operator_id TEXT NOT NULL,
    action_time BIGINT NOT NULL
);
CREATE INDEX reactions_by_message ON reactions (message_id, action_time);
