-- The ids a feed is ordered by compare byte by byte, as SQLite compares them, so that one
-- statement gives the same order on both databases (the indexes on these columns are rebuilt
-- with the new order).
ALTER TABLE feed_cards ALTER COLUMN biz_id TYPE TEXT COLLATE "C";
ALTER TABLE feed_cards ALTER COLUMN app_id TYPE TEXT COLLATE "C";
ALTER TABLE chat_buttons ALTER COLUMN app_id TYPE TEXT COLLATE "C";
ALTER TABLE chat_buttons ALTER COLUMN chat_id TYPE TEXT COLLATE "C";
