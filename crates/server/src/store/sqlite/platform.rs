//! The platform's tables (app settings, card tokens) and the whole-state operations behind
//! `/_larkfeed/reset` and `/_larkfeed/state`.

use super::*;
use rusqlite::types::ValueRef;

#[async_trait]
impl PlatformStore for SqliteStore {
    async fn app_settings(&self, app_id: &str) -> StoreResult<Option<String>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached("SELECT settings FROM app_settings WHERE app_id = ?")?
                .query_row([app_id], |r| r.get(0))
                .optional()?)
        })
    }

    async fn set_app_settings(&self, app_id: &str, settings: &str) -> StoreResult<()> {
        let (app_id, settings) = (app_id.to_string(), settings.to_string());
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO app_settings (app_id, settings) VALUES (?, ?) \
                 ON CONFLICT (app_id) DO UPDATE SET settings = excluded.settings",
            )?
            .execute(params![app_id, settings])?;
            Ok(())
        })
        .await
    }

    async fn insert_card_token(&self, row: CardTokenRow) -> StoreResult<()> {
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO card_tokens (token, app_id, message_id, user_id, expires_at, uses) \
                 VALUES (?, ?, ?, ?, ?, ?)",
            )?
            .execute(params![
                row.token,
                row.app_id,
                row.message_id,
                row.user_id,
                row.expires_at_ms,
                row.uses
            ])?;
            Ok(())
        })
        .await
    }

    async fn use_card_token(&self, spend: CardTokenSpend<'_>) -> StoreResult<CardTokenUse> {
        let (token, app_id) = (spend.token.to_string(), spend.app_id.to_string());
        let CardTokenSpend {
            now_ms, max_uses, ..
        } = spend;
        self.write(move |conn| {
            let row = conn
                .prepare_cached(
                    "SELECT token, app_id, message_id, user_id, expires_at, uses \
                     FROM card_tokens WHERE token = ?",
                )?
                .query_row([&token], |r| {
                    let (token, app_id, message_id, user_id, expires_at_ms, uses) = r.try_into()?;
                    Ok(CardTokenRow {
                        token,
                        app_id,
                        message_id,
                        user_id,
                        expires_at_ms,
                        uses,
                    })
                })
                .optional()?;
            let Some(mut row) = row.filter(|r| r.app_id == app_id) else {
                return Ok(CardTokenUse::Unknown);
            };
            if row.expires_at_ms <= now_ms {
                return Ok(CardTokenUse::Expired);
            }
            if row.uses >= max_uses {
                return Ok(CardTokenUse::UsedUp);
            }
            conn.prepare_cached("UPDATE card_tokens SET uses = uses + 1 WHERE token = ?")?
                .execute([&token])?;
            row.uses += 1;
            Ok(CardTokenUse::Used(row))
        })
        .await
    }
}

fn to_json_value(v: ValueRef<'_>) -> serde_json::Value {
    match v {
        ValueRef::Null => serde_json::Value::Null,
        ValueRef::Integer(i) => i.into(),
        ValueRef::Real(f) => f.into(),
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
        ValueRef::Blob(b) => hex::encode(b).into(),
    }
}

fn to_sql_value(v: &serde_json::Value) -> Result<rusqlite::types::Value, String> {
    use rusqlite::types::Value;
    Ok(match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Integer(i64::from(*b)),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => Value::Real(n.as_f64().ok_or("a number out of range")?),
        },
        serde_json::Value::String(s) => Value::Text(s.clone()),
        other => return Err(format!("{other} is not a column value")),
    })
}

fn columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    conn.prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))?
        .query_map([], |r| r.get(0))?
        .collect()
}

fn empty_all(conn: &Connection) -> rusqlite::Result<()> {
    for table in STATE_TABLES.iter().rev() {
        conn.execute(&format!("DELETE FROM {table}"), [])?;
    }
    Ok(())
}

#[async_trait]
impl SnapshotStore for SqliteStore {
    async fn reset(&self) -> StoreResult<()> {
        self.write(|conn| Ok(empty_all(conn)?)).await
    }

    async fn export(&self) -> StoreResult<Snapshot> {
        self.read(|conn| {
            let mut out = Snapshot::new();
            for table in STATE_TABLES {
                let names = columns(conn, table)?;
                let mut stmt = conn.prepare(&format!(
                    "SELECT {} FROM {table} ORDER BY {}",
                    names.join(", "),
                    // A stable order, so two exports of the same state are equal.
                    (1..=names.len())
                        .map(|i| i.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))?;
                let rows = stmt
                    .query_map([], |r| {
                        let mut row = serde_json::Map::new();
                        for (i, name) in names.iter().enumerate() {
                            row.insert(name.clone(), to_json_value(r.get_ref(i)?));
                        }
                        Ok(row)
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                out.insert(table.to_string(), rows);
            }
            Ok(out)
        })
    }

    async fn import(&self, snapshot: Snapshot) -> StoreResult<()> {
        only_state_tables(&snapshot)?;
        let snapshot = Arc::new(snapshot);
        self.write(move |conn| {
            empty_all(conn)?;
            for table in STATE_TABLES {
                let Some(rows) = snapshot.get(*table) else {
                    continue;
                };
                let known = columns(conn, table)?;
                for (n, row) in rows.iter().enumerate() {
                    let refused = |why: String| StoreError::Refused(format!("{table}[{n}]: {why}"));
                    if let Some(col) = row.keys().find(|c| !known.contains(c)) {
                        return Err(refused(format!("unknown column {col:?}")));
                    }
                    let names: Vec<&String> = row.keys().collect();
                    let values = row
                        .values()
                        .map(to_sql_value)
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(refused)?;
                    let sql = format!(
                        "INSERT INTO {table} ({}) VALUES ({})",
                        names
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        vec!["?"; names.len()].join(", ")
                    );
                    conn.execute(&sql, rusqlite::params_from_iter(values))
                        .map_err(|e| refused(e.to_string()))?;
                }
            }
            Ok(())
        })
        .await
    }
}
