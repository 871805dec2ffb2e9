//! The benchmark baseline: an axum handler that reads the request (a JSON body, if any) and
//! answers a constant envelope, with nothing behind it. `bench/run` loads it and larkfeed with
//! the same requests, so every figure has the machine's HTTP ceiling beside it.

use axum::body::Bytes;
use axum::Json;
use axum::Router;

async fn answer(body: Bytes) -> Json<serde_json::Value> {
    let fields = match body.is_empty() {
        true => 0,
        false => serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.as_object().map(|o| o.len()))
            .unwrap_or(0),
    };
    Json(serde_json::json!({"code": 0, "msg": "success", "data": {"fields": fields}}))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let app = Router::new().fallback(answer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("trivial listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await
}
