-- What the server remembers about itself, such as the world the database was last served with.

CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
