-- The platform's side of the conversation: messages users send (with the ids they @-mention),
-- the apps' endpoints as changed at run time, and the tokens a card callback hands out for the
-- delayed card update.

-- The tenant user_id of a user who sent the message (sender_app is '' then).
ALTER TABLE messages ADD COLUMN sender_user TEXT;
-- The message's mentions as JSON: [{"key": "@_user_1", "kind": "user"|"app", "id", "name"}].
ALTER TABLE messages ADD COLUMN mentions TEXT NOT NULL DEFAULT '[]';

-- An app's event_url, callback_url, encrypt_key and verification_token as set by
-- PUT /_larkfeed/apps/{app_id} (JSON; a key present overrides the world file, null clears it).
CREATE TABLE app_settings (
    app_id    TEXT PRIMARY KEY,
    settings  TEXT NOT NULL
);

-- Tokens for POST /open-apis/interactive/v1/card/update: 30 minutes, two uses.
CREATE TABLE card_tokens (
    token       TEXT PRIMARY KEY,
    app_id      TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    user_id     TEXT NOT NULL,           -- the tenant user_id of the user who clicked
    expires_at  BIGINT NOT NULL,
    uses        BIGINT NOT NULL
);
