-- What several instances share besides the data: the rate-limit windows, counted for all of
-- them at once.
CREATE TABLE rate_windows (
    key      TEXT NOT NULL,
    win      BIGINT NOT NULL,          -- the window's number (time / window length)
    count    BIGINT NOT NULL,
    ends_at  BIGINT NOT NULL,          -- when the window is over (ms), for purging
    PRIMARY KEY (key, win)
);
CREATE INDEX rate_windows_by_end ON rate_windows (ends_at);
