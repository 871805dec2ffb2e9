-- The store, redesigned: a feed card's content is stored once per create call and shared by the
-- users who got it (an update gives a user's card its own content). Per-user rows are clustered
-- by (app, biz_id), so the rows of one create call share a page; the feed-order index is by user,
-- newest first, so new cards land on each user's first index page and a page of a feed is one
-- range scan.

CREATE TABLE feed_card_contents (
    content_id  INTEGER PRIMARY KEY,
    card        TEXT NOT NULL,           -- the open_app_feed_card JSON
    refs        BIGINT NOT NULL          -- how many feed_cards rows point here
);

CREATE TABLE feed_cards (
    user_id         TEXT NOT NULL,       -- tenant user_id
    app_id          TEXT NOT NULL,
    biz_id          TEXT NOT NULL,
    content_id      BIGINT NOT NULL,
    time_sensitive  BIGINT NOT NULL,     -- 1 when pinned to the top of the feed
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    display_time    BIGINT NOT NULL,
    sort_time       BIGINT NOT NULL,
    unread          BIGINT NOT NULL,
    PRIMARY KEY (app_id, biz_id, user_id)
) WITHOUT ROWID;
CREATE INDEX feed_cards_in_feed_order
    ON feed_cards (user_id, time_sensitive DESC, sort_time DESC, biz_id, app_id);

INSERT INTO feed_card_contents (content_id, card, refs)
    SELECT rowid, card, 1 FROM app_feed_cards;
INSERT INTO feed_cards (user_id, app_id, biz_id, content_id, time_sensitive, created_at,
                        updated_at, display_time, sort_time, unread)
    SELECT user_id, app_id, biz_id, rowid,
           CASE WHEN json_extract(card, '$.time_sensitive') THEN 1 ELSE 0 END,
           created_at, updated_at, display_time, sort_time, unread
    FROM app_feed_cards;
DROP TABLE app_feed_cards;

-- The user of a one-to-one chat, so it is never recovered by splitting a key.
ALTER TABLE chats ADD COLUMN p2p_user TEXT;
UPDATE chats SET p2p_user = substr(p2p_key, instr(p2p_key, '|') + 1) WHERE p2p_key IS NOT NULL;

-- The last message of a chat that is not recalled, for the feed, in one index seek.
CREATE INDEX messages_live_by_chat ON messages (chat_id, recalled, create_time);
