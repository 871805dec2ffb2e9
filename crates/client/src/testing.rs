//! A larkfeed server inside your own tests (feature `testing`).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use larkfeed_client::testing::TestServer;
//! use larkfeed_model::message::SendMessageRequest;
//! use larkfeed_model::{ReceiveIdType, UserIdType};
//!
//! let server = TestServer::start().await;
//! let client = server.client();
//! let alice = server.open_id(0, 0);
//! let send = SendMessageRequest {
//!     receive_id: Some(alice),
//!     msg_type: Some("text".into()),
//!     content: Some(r#"{"text":"hello"}"#.into()),
//!     uuid: None,
//! };
//! let sent = client.send_message(&send, ReceiveIdType::User(UserIdType::OpenId)).await.unwrap();
//! assert!(sent.message_id.starts_with("om_"));
//! # }
//! ```

use crate::{Client, RetryPolicy};
use larkfeed_server::clock::Clock;
use larkfeed_server::state::AppState;
pub use larkfeed_server::world::World;
use larkfeed_server::{Application, Config};

/// A larkfeed server on a free local port with its own database in a temporary directory. It
/// stops when dropped.
pub struct TestServer {
    base_url: String,
    state: AppState,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// The built-in demo world, with the platform's rate limits.
    pub async fn start() -> TestServer {
        TestServer::start_with(World::default_world(), true).await
    }

    /// A world of your own (see `World::from_toml`), and rate limits on or off.
    pub async fn start_with(world: World, rate_limits: bool) -> TestServer {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut config = Config::new(dir.path().join("larkfeed.db").display().to_string());
        config.port = 0;
        config.world = world;
        config.rate_limits = rate_limits;
        let app = Application::bind(config)
            .await
            .expect("the larkfeed server starts");
        let (base_url, state) = (app.base_url(), app.state().clone());
        let task = tokio::spawn(app.run());
        TestServer {
            base_url,
            state,
            task,
            _dir: dir,
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The server's world: its apps (with credentials) and users.
    pub fn world(&self) -> &World {
        &self.state.world
    }

    /// The server's clock: move it to cross token expiry or the 14-day patch window.
    pub fn clock(&self) -> &Clock {
        &self.state.clock
    }

    /// How many token requests the server has answered.
    pub fn token_requests(&self) -> u64 {
        self.state
            .stats
            .token_requests
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many Open API calls (other than tokens) the server has answered.
    pub fn api_requests(&self) -> u64 {
        self.state
            .stats
            .api_requests
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A client for the world's first app.
    pub fn client(&self) -> Client {
        self.client_for(0, RetryPolicy::default())
    }

    /// A client for app number `app` of the world, with a retry policy.
    pub fn client_for(&self, app: usize, retry: RetryPolicy) -> Client {
        let app = &self.state.world.apps[app];
        Client::builder()
            .app_id(&app.app_id)
            .app_secret(&app.app_secret)
            .base_url(&self.base_url)
            .retry(retry)
            .build()
            .expect("a valid client")
    }

    /// User number `user` as app number `app` sees them.
    pub fn open_id(&self, app: usize, user: usize) -> String {
        let w = &self.state.world;
        w.open_id(&w.apps[app], &w.users[user])
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
