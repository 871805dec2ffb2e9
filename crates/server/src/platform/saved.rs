//! The whole state as one document (`GET`/`PUT /_larkfeed/state`, `serve --import` and
//! `--export-on-exit`): every table of state as rows, with the format's version and the world it
//! was made in (shown for people; the server's own world is what counts).
//!
//! A document from an older larkfeed of the same format version loads as it is: a table or a
//! column it lacks takes its defaults, as the schema's migrations give them. Another version is
//! refused with both numbers named.

use super::PlatformState;
use crate::error::ApiError;

use larkfeed_model::{ErrorCode, FieldError};
use std::path::Path;

/// The version of the state document's format.
pub const STATE_VERSION: u32 = 1;

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateDocument {
    version: u32,
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "shown for people; the server's own world is what counts"
    )]
    world: Option<serde_json::Value>,
    tables: crate::store::Snapshot,
}

impl StateDocument {
    /// How many rows the document holds.
    pub fn rows(&self) -> usize {
        self.tables.values().map(Vec::len).sum()
    }
}

/// The whole state, as `GET /_larkfeed/state` answers it.
pub async fn export(state: &PlatformState) -> Result<serde_json::Value, ApiError> {
    let tables = state.store.export().await?;
    Ok(serde_json::json!({
        "version": STATE_VERSION,
        "world": state.world.fingerprint(),
        "tables": tables,
    }))
}

/// Replaces the whole state with `doc`'s: caches, logs and pending retries start over.
pub async fn load(state: &PlatformState, doc: StateDocument) -> Result<(), ApiError> {
    if doc.version != STATE_VERSION {
        return Err(ApiError::field(
            ErrorCode::ImInvalidParam,
            FieldError::new(
                "version",
                format!(
                    "this larkfeed reads state documents of version {STATE_VERSION}; this one is \
                     version {}",
                    doc.version
                ),
            ),
        ));
    }
    state.store.import(doc.tables).await.map_err(|e| match e {
        crate::store::StoreError::Refused(why) => {
            ApiError::field(ErrorCode::ImInvalidParam, FieldError::new("tables", why))
        }
        other => ApiError::from(other),
    })?;
    state.caches.forget_state();
    state.platform.start_over();
    state
        .platform
        .publish("state.loaded", state.clock.now_ms(), serde_json::json!({}));
    Ok(())
}

/// Empties every table of state in one step; logs, faults and pending retries start over
/// (issued access tokens stay valid).
pub async fn reset(state: &PlatformState) -> Result<(), ApiError> {
    state.store.reset().await?;
    state.caches.forget_state();
    state.platform.start_over();
    let now = state.clock.now_ms();
    state.platform.publish("reset", now, serde_json::json!({}));
    tracing::debug!("state reset to the world file's");
    Ok(())
}

/// Loads the document in the file at `path`; the error names the file and what is wrong.
pub async fn load_file(state: &PlatformState, path: &Path) -> anyhow::Result<usize> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read the state file {shown}: {e}"))?;
    let doc: StateDocument = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{shown} is not a larkfeed state document (GET /_larkfeed/state writes one): {e}"
        )
    })?;
    let rows = doc.rows();
    load(state, doc)
        .await
        .map_err(|e| anyhow::anyhow!("cannot load the state file {shown}: {}", said(&e)))?;
    Ok(rows)
}

/// The file `path` is written through (beside it, then renamed over it).
fn partial_of(path: &Path) -> std::path::PathBuf {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    std::path::PathBuf::from(partial)
}

/// Whether `save_file` will be able to write `path`, checked at start-up (by writing and removing
/// the file beside it), so a folder that is not there stops the server at once rather than losing
/// the state when it stops.
pub fn check_writable(path: &Path) -> anyhow::Result<()> {
    let partial = partial_of(path);
    std::fs::write(&partial, b"").map_err(|e| {
        anyhow::anyhow!(
            "cannot write the state to {} when the server stops: {e}",
            path.display()
        )
    })?;
    let _ = std::fs::remove_file(&partial);
    Ok(())
}

/// Writes the whole state to `path` in one step (a file beside it, then renamed over it), so a
/// stop part-way leaves the previous file whole.
pub async fn save_file(state: &PlatformState, path: &Path) -> anyhow::Result<usize> {
    let doc = export(state)
        .await
        .map_err(|e| anyhow::anyhow!("cannot read the state to save it: {}", said(&e)))?;
    let rows = doc["tables"].as_object().map_or(0, |t| {
        t.values().filter_map(|r| r.as_array()).map(Vec::len).sum()
    });
    let partial = partial_of(path);
    let text = serde_json::to_vec_pretty(&doc)?;
    std::fs::write(&partial, text)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", partial.display()))?;
    std::fs::rename(&partial, path)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    Ok(rows)
}

/// What an error says, with the field it names.
fn said(e: &ApiError) -> String {
    match &e.field {
        Some(f) => format!("{}: {}", f.field, f.rule),
        None => e.msg.clone(),
    }
}
