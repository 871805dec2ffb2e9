//! The benchmark baseline: an axum handler that reads a JSON body and answers a constant envelope,
//! with nothing behind it. `bench/feed_card.sh` loads it and larkfeed with the same request.

use axum::routing::post;
use axum::{Json, Router};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let app = Router::new().fallback(post(|Json(body): Json<serde_json::Value>| async move {
        Json(serde_json::json!({"code": 0, "msg": "success", "data": {"fields": body.as_object().map_or(0, |o| o.len())}}))
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("trivial listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await
}
