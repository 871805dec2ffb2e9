//! `GET /open-apis/bot/v3/info`: the calling app's bot, with `bot` beside `code` (not under
//! `data`), as the official bot frameworks read it (BOTS.md, "What the two frameworks read").

use crate::helpers::*;

#[tokio::test]
async fn bot_info_names_the_bot_beside_code_with_the_open_id_mentions_carry() {
    let t = spawn_app().await;
    let answer = t.get(0, "/open-apis/bot/v3/info").await;
    assert_eq!((answer.status, answer.code()), (200, 0), "{}", answer.body);
    assert!(answer.body.get("data").is_none(), "{}", answer.body);
    let bot = &answer.body["bot"];
    assert_eq!(bot["app_name"], t.app(0).name.as_str());
    assert_eq!(bot["activate_status"], 2);
    let open_id = bot["open_id"].as_str().unwrap();
    assert!(open_id.starts_with("ou_"), "{open_id}");
    assert_eq!(open_id, t.world().bot_open_id(t.app(0), &t.app(0).app_id));
    // Another app's bot has another id.
    let other = t.get(1, "/open-apis/bot/v3/info").await;
    assert_ne!(other.body["bot"]["open_id"], bot["open_id"]);
    let anonymous = t
        .raw(reqwest::Method::GET, "/open-apis/bot/v3/info", None, None)
        .await;
    assert_eq!(anonymous.code(), 99991661);
}
