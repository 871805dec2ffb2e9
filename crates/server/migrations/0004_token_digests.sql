-- Tokens are no longer kept as they are: a request's token is looked up by its SHA-256 digest,
-- and the token itself is kept only sealed with the app's secret (which is in the world file,
-- not here), so that the same token can be handed out again under the 30-minute rule. The
-- database file alone gives no token that works. Tokens of the old table are carried over by
-- migrate.rs (digest, nothing sealed: they keep working and are simply not handed out again).

CREATE TABLE access_tokens (
    token_hash  TEXT PRIMARY KEY,        -- hex SHA-256 of the token
    app_id      TEXT NOT NULL,
    issued_at   BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    sealed      TEXT NOT NULL            -- the token sealed with the app's secret, or '' if not kept
);
CREATE INDEX access_tokens_by_app ON access_tokens (app_id, expires_at);
