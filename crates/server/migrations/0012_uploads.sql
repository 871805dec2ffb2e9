-- Uploaded images and files: who uploaded them, what they are, and their bytes (base64, so that
-- both backends and the state's JSON hold them as text). Portable: applied to SQLite and
-- PostgreSQL databases alike.
CREATE TABLE uploads (
    upload_key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    owner_kind TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    file_type TEXT NOT NULL,
    file_name TEXT NOT NULL,
    duration BIGINT,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
