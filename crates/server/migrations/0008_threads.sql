-- Replies: the message a reply answers, the first message of its conversation, and the thread it
-- is in (when it is in one). Portable: applied to SQLite and PostgreSQL databases alike.
ALTER TABLE messages ADD COLUMN root_id TEXT;
ALTER TABLE messages ADD COLUMN parent_id TEXT;
ALTER TABLE messages ADD COLUMN thread_id TEXT;
