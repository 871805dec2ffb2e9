//! The SQLite schema's versions (`PRAGMA user_version`). A new database is made at once from the
//! schema's description (`store::schema`) at the latest version; a file made by an older larkfeed
//! is brought forward by the files in `migrations/`, applied in order, each in its own
//! transaction with the version it brings the database to. Both ways give the same tables (a test
//! below checks it).
//!
//! Databases made before larkfeed moved from sqlx to rusqlite record their migrations in sqlx's
//! `_sqlx_migrations` table instead; their version is read from there once.

use rusqlite::Connection;

const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_init",
        include_str!("../../../migrations/0001_init.sql"),
    ),
    (
        "0002_feed",
        include_str!("../../../migrations/0002_feed.sql"),
    ),
    (
        "0003_store",
        include_str!("../../../migrations/0003_store.sql"),
    ),
    (
        "0004_token_digests",
        include_str!("../../../migrations/0004_token_digests.sql"),
    ),
    (
        "0005_meta",
        include_str!("../../../migrations/0005_meta.sql"),
    ),
    (
        "0006_platform",
        include_str!("../../../migrations/0006_platform.sql"),
    ),
    (
        "0007_read",
        include_str!("../../../migrations/0007_read.sql"),
    ),
];

/// Every migration in order: SQLite's own history, then those both backends share.
fn all() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    MIGRATIONS
        .iter()
        .chain(crate::store::schema::SINCE_BASELINE)
}

/// Work a migration needs that SQL cannot do, run in the same transaction after its SQL.
fn after(name: &str, conn: &Connection) -> rusqlite::Result<()> {
    if name == "0004_token_digests" {
        // Old plain tokens become digests; SQLite has no SHA-256 of its own.
        let old: Vec<(String, String, i64, i64)> = conn
            .prepare("SELECT token, app_id, issued_at, expires_at FROM tokens")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut insert = conn.prepare(
            "INSERT OR IGNORE INTO access_tokens (token_hash, app_id, issued_at, expires_at, sealed) \
             VALUES (?, ?, ?, ?, '')",
        )?;
        for (token, app_id, issued, expires) in old {
            insert.execute(rusqlite::params![
                crate::store::secret::digest(&token),
                app_id,
                issued,
                expires
            ])?;
        }
        conn.execute_batch("DROP TABLE tokens")?;
    }
    Ok(())
}

pub fn run(conn: &Connection) -> anyhow::Result<()> {
    let mut version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version == 0 {
        version = sqlx_version(conn)?;
    }
    let known = all().count() as i64;
    if version > known {
        anyhow::bail!(
            "the database is at schema version {version}, newer than this larkfeed knows ({known}); \
             use a newer larkfeed or another --database"
        );
    }
    if version == 0 {
        let schema = crate::store::schema::create_all(false).join(";\n");
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE;\n{schema};\nPRAGMA user_version = {known};\nCOMMIT;"
        ))
        .map_err(|e| anyhow::anyhow!("making the schema failed: {e}"))?;
        tracing::info!("database schema made");
        return Ok(());
    }
    for (i, (name, sql)) in all().enumerate().skip(version as usize) {
        let to = i as i64 + 1;
        let step = || -> rusqlite::Result<()> {
            conn.execute_batch(&format!("BEGIN IMMEDIATE;\n{sql}"))?;
            after(name, conn)?;
            conn.execute_batch(&format!("PRAGMA user_version = {to};\nCOMMIT;"))
        };
        step().map_err(|e| {
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            anyhow::anyhow!("migration {name} failed: {e}")
        })?;
        tracing::info!(migration = name, "database schema migrated");
    }
    Ok(())
}

/// The version sqlx recorded, or 0 for a new database.
fn sqlx_version(conn: &Connection) -> anyhow::Result<i64> {
    let has_table: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
        [],
        |r| r.get(0),
    )?;
    if !has_table {
        return Ok(0);
    }
    Ok(conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success",
        [],
        |r| r.get(0),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a table is, as SQLite reports it: its columns (name, affinity, not null, default,
    /// key position), whether it has a row id, and its indexes with their columns.
    fn shape(conn: &Connection) -> Vec<String> {
        let tables: Vec<(String, String)> = conn
            .prepare(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut out = Vec::new();
        for (table, sql) in tables {
            out.push(format!(
                "{table} without rowid: {}",
                sql.contains("WITHOUT ROWID")
            ));
            let columns = conn
                .prepare(
                    "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1)",
                )
                .unwrap()
                .query_map([&table], |r| {
                    let kind: String = r.get(1)?;
                    let affinity = if kind.contains("INT") {
                        "INTEGER"
                    } else {
                        "TEXT"
                    };
                    Ok(format!(
                        "{table}.{}: {affinity} notnull={} default={:?} pk={}",
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, i64>(4)?
                    ))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect::<Vec<_>>();
            out.extend(columns);
            let indexes: Vec<(String, i64)> = conn
                .prepare("SELECT name, \"unique\" FROM pragma_index_list(?1) ORDER BY name")
                .unwrap()
                .query_map([&table], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            for (index, unique) in indexes {
                let on: Vec<String> = conn
                    .prepare(
                        "SELECT name, \"desc\" FROM pragma_index_xinfo(?1) WHERE key = 1 ORDER BY seqno",
                    )
                    .unwrap()
                    .query_map([&index], |r| {
                        Ok(format!("{}{}", r.get::<_, String>(0)?, if r.get::<_, i64>(1)? == 1 { " DESC" } else { "" }))
                    })
                    .unwrap()
                    .map(Result::unwrap)
                    .collect();
                out.push(format!(
                    "{table} index {index} unique={unique} on {}",
                    on.join(", ")
                ));
            }
        }
        out
    }

    #[test]
    fn a_new_database_is_what_the_migrations_make_of_an_old_one() {
        let new = Connection::open_in_memory().unwrap();
        run(&new).unwrap();
        let old = Connection::open_in_memory().unwrap();
        for (_, sql) in all() {
            old.execute_batch(sql).unwrap();
            after_all(&old);
        }
        assert_eq!(shape(&new), shape(&old));
        let version = |c: &Connection| {
            c.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
                .unwrap()
        };
        assert_eq!(version(&new), all().count() as i64);
        run(&new).unwrap(); // nothing left to do
    }

    /// What the code steps of the migrations leave (the old token table is gone).
    fn after_all(conn: &Connection) {
        if conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'access_tokens'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .unwrap()
            == 1
        {
            conn.execute_batch("DROP TABLE IF EXISTS tokens").unwrap();
        }
    }

    #[test]
    fn a_database_made_by_sqlx_is_carried_forward_with_its_cards() {
        let conn = Connection::open_in_memory().unwrap();
        // What larkfeed 0.1 (sqlx) left: two migrations applied and a card in the old table.
        conn.execute_batch(MIGRATIONS[0].1).unwrap();
        conn.execute_batch(MIGRATIONS[1].1).unwrap();
        conn.execute_batch(
            "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, success BOOLEAN);
             INSERT INTO _sqlx_migrations VALUES (1, 1), (2, 1);
             INSERT INTO app_feed_cards (app_id, user_id, biz_id, card, created_at, updated_at,
                 display_time, sort_time, unread)
             VALUES ('cli_a', 'u1', 'b1', '{\"title\":\"t\",\"time_sensitive\":true}', 5, 6, 7, 8, 1);
             INSERT INTO chats (chat_id, name, description, chat_type, creator_app, p2p_key, created_at)
             VALUES ('oc_1', '', '', 'p2p', 'cli_a', 'cli_a|u1', 1);
             INSERT INTO tokens VALUES ('t-gold', 'cli_a', 1, 99);",
        )
        .unwrap();
        run(&conn).unwrap();
        let (card, ts, sort): (String, i64, i64) = conn
            .query_row(
                "SELECT c.card, f.time_sensitive, f.sort_time FROM feed_cards f \
                 JOIN feed_card_contents c USING (content_id) WHERE f.biz_id = 'b1'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert!(card.contains("\"t\""));
        assert_eq!((ts, sort), (1, 8));
        let user: String = conn
            .query_row("SELECT p2p_user FROM chats", [], |r| r.get(0))
            .unwrap();
        assert_eq!(user, "u1");
        let (hash, sealed): (String, String) = conn
            .query_row("SELECT token_hash, sealed FROM access_tokens", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(hash, crate::store::secret::digest("t-gold"));
        assert_eq!(sealed, "", "an old token is not kept in any readable form");
        assert_eq!(
            conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
                .unwrap(),
            all().count() as i64
        );
        run(&conn).unwrap(); // nothing left to do
    }
}
