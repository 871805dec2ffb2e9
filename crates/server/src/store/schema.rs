//! The schema, described once: each table's columns, key and indexes. A new database of either
//! backend is made from this description in its dialect; SQLite files made by older versions are
//! brought to it by the migrations in `migrations/` (a test checks that both ways give the same
//! tables), and PostgreSQL databases made by older versions are adopted in `postgres`.

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    /// Text that sorts and compares byte by byte in both databases (the ids a feed is ordered
    /// by): SQLite's default, PostgreSQL's `COLLATE "C"`.
    Bytes,
    Int,
    /// An integer key the database numbers itself.
    Serial,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub null: bool,
    pub unique: bool,
    pub default: Option<&'static str>,
}

const fn col(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        null: false,
        unique: false,
        default: None,
    }
}

const fn text(name: &'static str) -> Column {
    col(name, Kind::Text)
}

const fn bytes(name: &'static str) -> Column {
    col(name, Kind::Bytes)
}

const fn int(name: &'static str) -> Column {
    col(name, Kind::Int)
}

impl Column {
    const fn null(self) -> Column {
        Column { null: true, ..self }
    }

    const fn unique(self) -> Column {
        Column {
            unique: true,
            ..self
        }
    }

    const fn default(self, value: &'static str) -> Column {
        Column {
            default: Some(value),
            ..self
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Table {
    pub name: &'static str,
    pub columns: &'static [Column],
    pub key: &'static [&'static str],
    /// Stored in key order without a separate row id (SQLite's `WITHOUT ROWID`): the feed's
    /// largest table.
    pub clustered: bool,
    /// (name, columns) of each index.
    pub indexes: &'static [(&'static str, &'static str)],
    /// Kept only by PostgreSQL (the rate-limit windows several instances share).
    pub shared_only: bool,
}

const fn table(
    name: &'static str,
    columns: &'static [Column],
    key: &'static [&'static str],
) -> Table {
    Table {
        name,
        columns,
        key,
        clustered: false,
        indexes: &[],
        shared_only: false,
    }
}

impl Table {
    const fn indexes(self, indexes: &'static [(&'static str, &'static str)]) -> Table {
        Table { indexes, ..self }
    }
}

pub(crate) const TABLES: &[Table] = &[
    table(
        "access_tokens",
        &[
            text("token_hash"),
            text("app_id"),
            int("issued_at"),
            int("expires_at"),
            text("sealed"),
        ],
        &["token_hash"],
    )
    .indexes(&[("access_tokens_by_app", "app_id, expires_at")]),
    table(
        "chats",
        &[
            text("chat_id"),
            text("name"),
            text("description"),
            text("chat_type"),
            text("owner_user").null(),
            text("owner_app").null(),
            text("creator_app"),
            text("p2p_key").null().unique(),
            int("dissolved").default("0"),
            int("created_at"),
            text("p2p_user").null(),
        ],
        &["chat_id"],
    ),
    table(
        "chat_members",
        &[
            text("chat_id"),
            text("member_kind"),
            text("member_id"),
            int("joined_at"),
            int("position"),
            int("read_until").default("0"),
        ],
        &["chat_id", "member_kind", "member_id"],
    )
    .indexes(&[("chat_members_by_member", "member_kind, member_id")]),
    table(
        "messages",
        &[
            text("message_id"),
            text("chat_id"),
            text("sender_app"),
            text("msg_type"),
            text("content"),
            text("uuid").null(),
            int("create_time"),
            int("update_time"),
            int("updated").default("0"),
            int("recalled").default("0"),
            int("deleted").default("0"),
            text("sender_user").null(),
            text("mentions").default("'[]'"),
            text("root_id").null(),
            text("parent_id").null(),
            text("thread_id").null(),
            int("edits").default("0"),
        ],
        &["message_id"],
    )
    .indexes(&[
        ("messages_by_uuid", "sender_app, uuid"),
        ("messages_by_chat", "chat_id, create_time"),
        ("messages_live_by_chat", "chat_id, recalled, create_time"),
        ("messages_by_thread", "thread_id, create_time"),
    ]),
    table(
        "feed_card_contents",
        &[col("content_id", Kind::Serial), text("card"), int("refs")],
        &["content_id"],
    ),
    Table {
        clustered: true,
        ..table(
            "feed_cards",
            &[
                text("user_id"),
                bytes("app_id"),
                bytes("biz_id"),
                int("content_id"),
                int("time_sensitive"),
                int("created_at"),
                int("updated_at"),
                int("display_time"),
                int("sort_time"),
                int("unread"),
            ],
            &["app_id", "biz_id", "user_id"],
        )
        .indexes(&[(
            "feed_cards_in_feed_order",
            "user_id, time_sensitive DESC, sort_time DESC, biz_id, app_id",
        )])
    },
    table(
        "chat_buttons",
        &[
            bytes("app_id"),
            bytes("chat_id"),
            text("user_id"),
            text("buttons"),
            int("updated_at"),
        ],
        &["app_id", "chat_id", "user_id"],
    )
    .indexes(&[("chat_buttons_by_user", "user_id")]),
    table(
        "feed_pins",
        &[
            text("chat_id"),
            text("user_id"),
            text("app_id"),
            int("updated_at"),
        ],
        &["chat_id", "user_id"],
    )
    .indexes(&[("feed_pins_by_user", "user_id")]),
    table("meta", &[text("key"), text("value")], &["key"]),
    table(
        "app_settings",
        &[text("app_id"), text("settings")],
        &["app_id"],
    ),
    table(
        "card_tokens",
        &[
            text("token"),
            text("app_id"),
            text("message_id"),
            text("user_id"),
            int("expires_at"),
            int("uses"),
        ],
        &["token"],
    ),
    table(
        "card_entities",
        &[
            text("card_id"),
            text("app_id"),
            text("card"),
            int("sequence"),
            int("streaming_since").null(),
            int("created_at"),
            int("updated_at"),
            text("message_id").null().unique(),
        ],
        &["card_id"],
    ),
    table(
        "card_writes",
        &[text("card_id"), text("uuid"), int("sequence")],
        &["card_id", "uuid"],
    ),
    table(
        "reactions",
        &[
            text("reaction_id"),
            text("message_id"),
            text("emoji_type"),
            text("operator_kind"),
            text("operator_id"),
            int("action_time"),
        ],
        &["reaction_id"],
    )
    .indexes(&[("reactions_by_message", "message_id, action_time")]),
    table(
        "uploads",
        &[
            text("upload_key"),
            text("kind"),
            text("owner_kind"),
            text("owner_id"),
            text("file_type"),
            text("file_name"),
            int("duration").null(),
            text("media_type"),
            int("size"),
            text("data"),
            int("created_at"),
        ],
        &["upload_key"],
    ),
    Table {
        shared_only: true,
        ..table(
            "rate_windows",
            &[text("key"), int("win"), int("count"), int("ends_at")],
            &["key", "win"],
        )
        .indexes(&[("rate_windows_by_end", "ends_at")])
    },
];

/// The migrations made since PostgreSQL databases were first made from this description: each
/// is applied, in order, to a database of either backend made before it (a new database has
/// them already). Their SQL is what both dialects read alike.
pub const SINCE_BASELINE: &[(&str, &str)] = &[
    (
        "0008_threads",
        include_str!("../../migrations/0008_threads.sql"),
    ),
    (
        "0009_card_entities",
        include_str!("../../migrations/0009_card_entities.sql"),
    ),
    (
        "0010_reactions",
        include_str!("../../migrations/0010_reactions.sql"),
    ),
    (
        "0011_message_edits",
        include_str!("../../migrations/0011_message_edits.sql"),
    ),
    (
        "0012_uploads",
        include_str!("../../migrations/0012_uploads.sql"),
    ),
];

/// The statements that make one table, in PostgreSQL's dialect or SQLite's.
pub(crate) fn create_table(t: &Table, pg: bool) -> Vec<String> {
    let single_key = |c: &Column| t.key.len() == 1 && t.key[0] == c.name;
    let mut lines: Vec<String> = t
        .columns
        .iter()
        .map(|c| {
            let mut line = format!("{} {}", c.name, type_of(c, pg));
            if single_key(c) {
                line.push_str(" PRIMARY KEY");
                return line;
            }
            if !c.null {
                line.push_str(" NOT NULL");
            }
            if let Some(d) = c.default {
                line.push_str(&format!(" DEFAULT {d}"));
            }
            if c.unique {
                line.push_str(" UNIQUE");
            }
            line
        })
        .collect();
    if t.key.len() > 1 {
        lines.push(format!("PRIMARY KEY ({})", t.key.join(", ")));
    }
    let clustered = if t.clustered && !pg {
        " WITHOUT ROWID"
    } else {
        ""
    };
    let mut out = vec![format!(
        "CREATE TABLE {} (\n    {}\n){clustered}",
        t.name,
        lines.join(",\n    ")
    )];
    for (name, on) in t.indexes {
        out.push(format!("CREATE INDEX {name} ON {} ({on})", t.name));
    }
    out
}

fn type_of(c: &Column, pg: bool) -> &'static str {
    match (c.kind, pg) {
        (Kind::Text, _) => "TEXT",
        (Kind::Bytes, false) => "TEXT",
        (Kind::Bytes, true) => "TEXT COLLATE \"C\"",
        (Kind::Int, _) => "BIGINT",
        (Kind::Serial, false) => "INTEGER",
        (Kind::Serial, true) => "BIGSERIAL",
    }
}

/// Every statement that makes a new database of the backend.
pub(crate) fn create_all(pg: bool) -> Vec<String> {
    TABLES
        .iter()
        .filter(|t| pg || !t.shared_only)
        .flat_map(|t| create_table(t, pg))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_dialect_gets_its_own_words_for_what_differs() {
        let cards = TABLES.iter().find(|t| t.name == "feed_cards").unwrap();
        let lite = create_table(cards, false).join(";\n");
        let pg = create_table(cards, true).join(";\n");
        assert!(lite.contains(") WITHOUT ROWID"), "{lite}");
        assert!(pg.contains("biz_id TEXT COLLATE \"C\" NOT NULL"), "{pg}");
        assert!(pg.contains("PRIMARY KEY (app_id, biz_id, user_id)"), "{pg}");
        let contents = TABLES
            .iter()
            .find(|t| t.name == "feed_card_contents")
            .unwrap();
        assert!(create_table(contents, false)[0].contains("content_id INTEGER PRIMARY KEY"));
        assert!(create_table(contents, true)[0].contains("content_id BIGSERIAL PRIMARY KEY"));
        assert!(!create_all(false).iter().any(|s| s.contains("rate_windows")));
        assert!(create_all(true)
            .iter()
            .any(|s| s.contains("key TEXT NOT NULL")));
    }
}
