//! Schema migrations: the files in `migrations/`, applied in order, each in its own transaction
//! with the schema version (`PRAGMA user_version`) it brings the database to.
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
    let known = MIGRATIONS.len() as i64;
    if version > known {
        anyhow::bail!(
            "the database is at schema version {version}, newer than this larkfeed knows ({known}); \
             use a newer larkfeed or another --database"
        );
    }
    for (i, (name, sql)) in MIGRATIONS.iter().enumerate().skip(version as usize) {
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
            MIGRATIONS.len() as i64
        );
        run(&conn).unwrap(); // nothing left to do
    }
}
