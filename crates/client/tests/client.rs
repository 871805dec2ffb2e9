//! The client against a real larkfeed server started in-process on port 0.

use larkfeed_client::{Client, Error};
use larkfeed_model::feed_card::{CreateAppFeedCardRequest, Link, OpenAppFeedCard};
use larkfeed_model::message::{PatchMessageRequest, SendMessageRequest};
use larkfeed_model::{ReceiveIdType, UserIdType};
use larkfeed_server::{Application, Config};

async fn server() -> (String, larkfeed_server::state::AppState, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path().join("c.db").display().to_string());
    config.port = 0;
    let app = Application::bind(config).await.unwrap();
    let (base, state) = (app.base_url(), app.state().clone());
    tokio::spawn(app.run());
    (base, state, dir)
}

fn card() -> OpenAppFeedCard {
    OpenAppFeedCard {
        title: Some("Order 42".into()),
        link: Some(Link {
            link: Some("https://www.feishu.cn/".into()),
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn creates_a_card_sends_and_patches_a_message() {
    let (base, state, _dir) = server().await;
    let (w, app) = (&state.world, &state.world.apps[0]);
    let client = Client::builder()
        .app_id(&app.app_id)
        .app_secret(&app.app_secret)
        .base_url(&base)
        .build()
        .unwrap();
    let user = w.open_id(app, &w.users[0]);
    let req = CreateAppFeedCardRequest {
        app_feed_card: Some(card()),
        user_ids: Some(vec![user.clone()]),
    };
    let created = client
        .create_app_feed_card(&req, UserIdType::OpenId)
        .await
        .unwrap();
    assert!(created.failed_cards.is_empty());
    let send = SendMessageRequest {
        receive_id: Some(user),
        msg_type: Some("interactive".into()),
        content: Some(r#"{"elements":[{"tag":"markdown","content":"v1"}]}"#.into()),
        uuid: None,
    };
    let message = client
        .send_message(&send, ReceiveIdType::User(UserIdType::OpenId))
        .await
        .unwrap();
    let patch = PatchMessageRequest {
        content: Some(r#"{"elements":[{"tag":"markdown","content":"v2"}]}"#.into()),
    };
    client
        .patch_message(&message.message_id, &patch)
        .await
        .unwrap();
    let err = client
        .patch_message("om_missing", &patch)
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Api {
                code: 230001,
                log_id: Some(_),
                ..
            }
        ),
        "{err}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn an_invalid_request_fails_locally_with_the_field() {
    let client = Client::builder()
        .app_id("cli_x")
        .app_secret("s")
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    let req = CreateAppFeedCardRequest {
        app_feed_card: Some(card()),
        user_ids: Some(vec![]),
    };
    let err = client
        .create_app_feed_card(&req, UserIdType::OpenId)
        .await
        .unwrap_err();
    match err {
        Error::Validation(f) => assert_eq!(f.field, "user_ids"),
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn a_wrong_secret_is_an_api_error() {
    let (base, state, _dir) = server().await;
    let app = &state.world.apps[0];
    let client = Client::builder()
        .app_id(&app.app_id)
        .app_secret("wrong")
        .base_url(&base)
        .build()
        .unwrap();
    let err = client.tenant_access_token().await.unwrap_err();
    assert!(matches!(err, Error::Api { code: 10015, .. }), "{err}");
}
