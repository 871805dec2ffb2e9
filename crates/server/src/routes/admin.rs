//! larkfeed's own admin API under `/_larkfeed/` (no token).

use crate::state::AppState;
use axum::extract::State;
use axum::Json;

/// The world: apps with credentials and scopes, and each app's view of every user.
pub async fn world(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(state.world.describe())
}

pub async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}
