-- How many times a message was edited (20 at most), and threads read by their id.
-- Portable: applied to SQLite and PostgreSQL databases alike.
ALTER TABLE messages ADD COLUMN edits BIGINT NOT NULL DEFAULT 0;
CREATE INDEX messages_by_thread ON messages (thread_id, create_time);
