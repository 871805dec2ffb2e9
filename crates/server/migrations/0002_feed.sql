-- The feed as each user sees it: card display/sort times and unread notifications, and the
-- time-sensitive (pinned) state of chat entries.

ALTER TABLE app_feed_cards ADD COLUMN display_time BIGINT NOT NULL DEFAULT 0;
ALTER TABLE app_feed_cards ADD COLUMN sort_time BIGINT NOT NULL DEFAULT 0;
ALTER TABLE app_feed_cards ADD COLUMN unread BIGINT NOT NULL DEFAULT 0;  -- notifications not yet seen
UPDATE app_feed_cards SET display_time = created_at, sort_time = created_at;
CREATE INDEX app_feed_cards_by_user ON app_feed_cards (user_id);

CREATE TABLE feed_pins (
    chat_id     TEXT NOT NULL,
    user_id     TEXT NOT NULL,           -- tenant user_id
    app_id      TEXT NOT NULL,           -- the app that pinned it
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (chat_id, user_id)
);
CREATE INDEX feed_pins_by_user ON feed_pins (user_id);
CREATE INDEX chat_members_by_member ON chat_members (member_kind, member_id);
CREATE INDEX chat_buttons_by_user ON chat_buttons (user_id);
