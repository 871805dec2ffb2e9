//! The SDK against a real larkfeed server started in-process on port 0 (the `testing` feature).

use larkfeed_client::testing::TestServer;
use larkfeed_client::{Client, Error, RetryPolicy};
use larkfeed_model::chat::{AddMembersRequest, CreateChatRequest};
use larkfeed_model::feed_card::*;
use larkfeed_model::message::{PatchMessageRequest, SendMessageRequest};
use larkfeed_model::{MemberIdType, ReceiveIdType, UserIdType};
use std::time::Duration;

const OPEN_ID: UserIdType = UserIdType::OpenId;
const TO_USER: ReceiveIdType = ReceiveIdType::User(UserIdType::OpenId);
const CARD_V1: &str = r#"{"elements":[{"tag":"markdown","content":"v1"}]}"#;
const CARD_V2: &str = r#"{"elements":[{"tag":"markdown","content":"v2"}]}"#;

fn card(biz_id: &str) -> OpenAppFeedCard {
    OpenAppFeedCard {
        biz_id: Some(biz_id.into()),
        title: Some("Order 42".into()),
        link: Some(Link {
            link: Some("https://www.feishu.cn/".into()),
        }),
        ..Default::default()
    }
}

fn create(biz_id: &str, users: Vec<String>) -> CreateAppFeedCardRequest {
    CreateAppFeedCardRequest {
        app_feed_card: Some(card(biz_id)),
        user_ids: Some(users),
    }
}

fn message(to: String, content: &str) -> SendMessageRequest {
    SendMessageRequest {
        receive_id: Some(to),
        msg_type: Some("interactive".into()),
        content: Some(content.into()),
        uuid: None,
    }
}

#[tokio::test]
async fn every_feed_card_method_works() {
    let s = TestServer::start().await;
    let c = s.client();
    let (alice, bob) = (s.open_id(0, 0), s.open_id(0, 1));
    let created = c
        .create_app_feed_card(
            &create("o-1", vec![alice.clone(), "ou_nobody".into()]),
            OPEN_ID,
        )
        .await
        .unwrap();
    assert_eq!(created.biz_id, "o-1");
    assert_eq!(created.failed_cards[0].reason, Reason::NoPermission);

    let update = UpdateAppFeedCardBatchRequest {
        feed_cards: Some(vec![UserOpenAppFeedCardUpdater {
            app_feed_card: Some(OpenAppFeedCard {
                biz_id: Some("o-1".into()),
                title: Some("Shipped".into()),
                ..Default::default()
            }),
            user_id: Some(bob.clone()),
            update_fields: Some(vec![update_field::TITLE.into()]),
        }]),
    };
    let updated = c.update_app_feed_cards(&update, OPEN_ID).await.unwrap();
    assert_eq!(updated.failed_cards[0].reason, Reason::NotCreated);

    let delete = DeleteAppFeedCardBatchRequest {
        feed_cards: Some(vec![UserOpenAppFeedCardDeleter {
            biz_id: Some("o-1".into()),
            user_id: Some(alice.clone()),
        }]),
    };
    let deleted = c.delete_app_feed_cards(&delete, OPEN_ID).await.unwrap();
    assert!(deleted.failed_cards.is_empty());

    let chat = c
        .create_chat(
            &CreateChatRequest {
                name: Some("ops".into()),
                user_id_list: Some(vec![alice.clone()]),
                ..Default::default()
            },
            OPEN_ID,
        )
        .await
        .unwrap();
    let buttons = UpdateChatButtonRequest {
        chat_id: Some(chat.chat_id.to_string()),
        user_ids: Some(vec![alice.clone(), bob.clone()]),
        buttons: Some(Buttons {
            buttons: Some(vec![]),
        }),
    };
    let answer = c.update_chat_button(&buttons, OPEN_ID).await.unwrap();
    assert_eq!(answer.failed_user_reasons[0].user_id, bob);

    let pin = PatchFeedCardRequest {
        time_sensitive: Some(true),
        user_ids: Some(vec![alice.clone()]),
    };
    let pinned = c
        .set_feed_card_time_sensitive(&chat.chat_id, &pin, OPEN_ID)
        .await
        .unwrap();
    assert!(pinned.failed_user_reasons.is_empty());
    let bot_pin = BotTimeSentiveRequest {
        bot_id: None,
        time_sensitive: Some(true),
        user_ids: Some(vec![bob]),
    };
    let pinned = c.set_bot_time_sensitive(&bot_pin, OPEN_ID).await.unwrap();
    assert!(pinned.failed_user_reasons.is_empty());
}

#[tokio::test]
async fn every_message_and_chat_method_works() {
    let s = TestServer::start().await;
    let c = s.client();
    let sent = c
        .send_message(&message(s.open_id(0, 0), CARD_V1), TO_USER)
        .await
        .unwrap();
    let patch = PatchMessageRequest {
        content: Some(CARD_V2.into()),
    };
    c.patch_message(&sent.message_id, &patch).await.unwrap();
    let read = c.get_message(&sent.message_id).await.unwrap();
    assert_eq!((read.updated, read.body.content.as_str()), (true, CARD_V2));
    c.recall_message(&sent.message_id).await.unwrap();
    assert!(c.get_message(&sent.message_id).await.unwrap().deleted);

    let chat = c
        .create_chat(&CreateChatRequest::default(), OPEN_ID)
        .await
        .unwrap();
    let add = AddMembersRequest {
        id_list: Some(vec![s.open_id(0, 1), "ou_nobody".into()]),
    };
    let members = MemberIdType::User(OPEN_ID);
    let added = c
        .add_chat_members(&chat.chat_id, &add, members)
        .await
        .unwrap();
    assert_eq!(added.not_existed_id_list, ["ou_nobody"]);
    let page = c
        .list_chat_members(&chat.chat_id, OPEN_ID, Some(10), None)
        .await
        .unwrap();
    assert_eq!(page.member_total, 1);
    assert_eq!(page.items[0].member_id, s.open_id(0, 1));
    assert!(c.is_in_chat(&chat.chat_id).await.unwrap());
}

#[tokio::test]
async fn errors_are_classified() {
    let s = TestServer::start().await;
    let c = s.client();
    // Invalid locally: not sent.
    let before = s.api_requests();
    let err = c
        .create_app_feed_card(&create("x", vec![]), OPEN_ID)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Validation(f) if f.field == "user_ids"),
        "{err}"
    );
    assert!(!err.is_retryable());
    assert_eq!(s.api_requests(), before);
    // Refused by the server: code, message and log id kept; permanent.
    let buttons = UpdateChatButtonRequest {
        chat_id: Some("oc_nowhere".into()),
        ..Default::default()
    };
    let err = c.update_chat_button(&buttons, OPEN_ID).await.unwrap_err();
    match &err {
        Error::Api {
            code, msg, log_id, ..
        } => {
            assert_eq!(*code, 230001);
            assert!(msg.contains("chat_id"), "{msg}");
            assert!(log_id.as_deref().is_some_and(|l| !l.is_empty()));
        }
        other => panic!("{other}"),
    }
    assert!(!err.is_retryable());
    // No server at all: a connection error, which may pass.
    let gone = Client::builder()
        .app_id("cli_x")
        .app_secret("s")
        .base_url("http://127.0.0.1:9")
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let err = gone.tenant_access_token().await.unwrap_err();
    assert!(matches!(err, Error::Http(_)) && err.is_retryable(), "{err}");
    // A wrong secret.
    let app = &s.world().apps[0];
    let wrong = Client::builder()
        .app_id(&app.app_id)
        .app_secret("wrong")
        .base_url(s.base_url())
        .build()
        .unwrap();
    assert_eq!(
        wrong.tenant_access_token().await.unwrap_err().code(),
        Some(10015)
    );
    // Configuration.
    assert!(matches!(
        Client::builder().app_id("a").build(),
        Err(Error::Config(_))
    ));
}

#[tokio::test]
async fn many_concurrent_first_calls_fetch_one_token() {
    let s = TestServer::start_with(larkfeed_client::testing::World::default_world(), false).await;
    let c = s.client();
    let alice = s.open_id(0, 0);
    let calls = (0..40).map(|i| {
        let (c, alice) = (c.clone(), alice.clone());
        tokio::spawn(async move {
            c.create_app_feed_card(&create(&format!("sf-{i}"), vec![alice]), OPEN_ID)
                .await
        })
    });
    for call in calls.collect::<Vec<_>>() {
        call.await.unwrap().unwrap();
    }
    assert_eq!(s.token_requests(), 1);
}

#[tokio::test]
async fn an_expired_token_is_dropped_and_the_call_made_again() {
    let s = TestServer::start().await;
    let c = s.client();
    let alice = s.open_id(0, 0);
    c.create_app_feed_card(&create("t-1", vec![alice.clone()]), OPEN_ID)
        .await
        .unwrap();
    assert_eq!(s.token_requests(), 1);
    // Two hours later (server time) the cached token is refused with 99991663.
    s.clock().advance_ms(2 * 3600 * 1000 + 1000);
    let before = s.api_requests();
    c.create_app_feed_card(&create("t-2", vec![alice]), OPEN_ID)
        .await
        .unwrap();
    assert_eq!(s.token_requests(), 2);
    assert_eq!(
        s.api_requests() - before,
        2,
        "the refused call and its repeat"
    );
}

#[tokio::test]
async fn a_rate_limited_call_is_retried_after_the_reset() {
    let s = TestServer::start().await;
    let alice = s.open_id(0, 0);
    // Without retries, a burst of 15 meets 99991400, which is retryable. The server's clock
    // stands still meanwhile: 15 calls one after another on a loaded machine could otherwise
    // straddle two one-second windows and meet no limit.
    s.clock().freeze();
    let plain = s.client_for(0, RetryPolicy::none());
    let mut limited = None;
    for i in 0..15 {
        if let Err(e) = plain
            .create_app_feed_card(&create(&format!("p-{i}"), vec![alice.clone()]), OPEN_ID)
            .await
        {
            limited = Some(e);
        }
    }
    let err = limited.expect("the 10/s limit was met");
    assert_eq!(err.code(), Some(99991400));
    assert!(err.is_retryable());
    s.clock().resume();
    // With retries, every call of a burst lands, waiting as the reset header says.
    let patient = s.client_for(
        0,
        RetryPolicy {
            max_retries: 5,
            ..RetryPolicy::default()
        },
    );
    let before = s.api_requests();
    let calls = (0..15).map(|i| {
        let (c, alice) = (patient.clone(), alice.clone());
        tokio::spawn(async move {
            c.create_app_feed_card(&create(&format!("r-{i}"), vec![alice]), OPEN_ID)
                .await
        })
    });
    for call in calls.collect::<Vec<_>>() {
        call.await.unwrap().unwrap();
    }
    assert!(s.api_requests() - before > 15, "some calls were retried");
}

#[tokio::test]
async fn a_permanent_error_is_never_retried() {
    let s = TestServer::start().await;
    let c = s.client_for(
        0,
        RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(1),
            ..RetryPolicy::default()
        },
    );
    s.clock().freeze();
    let sent = c
        .send_message(&message(s.open_id(0, 0), CARD_V1), TO_USER)
        .await
        .unwrap();
    s.clock().advance_ms(14 * 24 * 3600 * 1000 + 1);
    // Keep the token valid across the jump: fetch a new one first.
    c.invalidate_token().await;
    let before = s.api_requests();
    let patch = PatchMessageRequest {
        content: Some(CARD_V2.into()),
    };
    let err = c.patch_message(&sent.message_id, &patch).await.unwrap_err();
    assert_eq!(err.code(), Some(230031));
    assert!(!err.is_retryable());
    assert_eq!(s.api_requests() - before, 1, "sent once");
}

#[tokio::test]
async fn a_dry_run_shows_the_request_without_sending_it() {
    let s = TestServer::start().await;
    let c = s.client();
    let req = create("d-1", vec![s.open_id(0, 0)]);
    let prepared = c
        .prepare(&larkfeed_client::RawCall {
            method: reqwest::Method::POST,
            path: "/open-apis/im/v2/app_feed_card",
            query: &[("user_id_type", "open_id")],
            body: Some(&req),
        })
        .unwrap();
    assert_eq!(prepared.method, "POST");
    assert_eq!(
        prepared.url,
        format!(
            "{}/open-apis/im/v2/app_feed_card?user_id_type=open_id",
            s.base_url()
        )
    );
    assert_eq!(prepared.body.unwrap()["app_feed_card"]["biz_id"], "d-1");
    assert_eq!(s.token_requests(), 0);
}

#[tokio::test]
async fn an_injected_fault_is_retried_by_the_client_and_seen_in_the_request_log() {
    use larkfeed_client::admin::Admin;
    let server = TestServer::start().await;
    let admin = Admin::new(server.base_url(), None).unwrap();
    admin
        .add_fault(&serde_json::json!({
            "method": "POST", "path": "/open-apis/im/v1/messages", "code": 230020, "times": 2
        }))
        .await
        .unwrap();
    let client = server.client();
    let sent = client
        .send_message(&message(server.open_id(0, 0), CARD_V1), TO_USER)
        .await
        .expect("230020 twice, then through");
    let log = admin
        .requests(&[("path", "/open-apis/im/v1/messages".into())])
        .await
        .unwrap();
    let codes: Vec<_> = log.iter().map(|r| r["code"].as_i64().unwrap()).collect();
    assert_eq!(codes, vec![0, 230020, 230020], "newest first");
    assert!(admin.faults().await.unwrap().is_empty());

    // The user clicks the card; the app has no callback URL, so nothing is delivered and the
    // user sees the platform's error toast.
    let acted = admin
        .card_action(&larkfeed_model::admin::CardAction {
            user: server.open_id(0, 0),
            message_id: sent.message_id.clone(),
            action: serde_json::Map::new(),
        })
        .await
        .unwrap();
    assert!(!acted.delivered);
    assert!(acted.error.unwrap().contains("no callback_url"));
    assert_eq!(acted.applied["toast"]["type"], "error");
    let err = admin
        .card_action(&larkfeed_model::admin::CardAction {
            user: "nobody".into(),
            message_id: sent.message_id,
            action: serde_json::Map::new(),
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { code: 230001, .. }), "{err}");
}
