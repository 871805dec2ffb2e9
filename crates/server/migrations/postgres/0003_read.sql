-- When each member last read the chat (ms since the epoch): messages of others after it are its
-- unread count in the feed. 0: never.
ALTER TABLE chat_members ADD COLUMN read_until BIGINT NOT NULL DEFAULT 0;
