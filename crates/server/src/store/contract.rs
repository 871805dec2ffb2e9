//! The store contract: what every backend must do, written once against the traits. Each
//! function takes a fresh, empty store and panics on the first broken promise. A backend's test
//! file runs every one of them, and checks that it did against [`ALL`] (see `tests/store.rs`,
//! which runs them on a SQLite file and in memory). Races use a barrier, so that all callers
//! start together, on a multi-threaded runtime.

use super::*;
use larkfeed_model::feed_card::{update_field, UpdateField};
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::Barrier;

/// The name of every contract test, so a backend's test file can prove it runs them all.
pub const ALL: &[&str] = &[
    "tokens_are_reused_under_the_30_minute_rule",
    "racing_token_requests_give_one_live_token",
    "chats_and_members",
    "racing_chat_creates_with_one_id_store_one_and_fail_the_rest",
    "a_uuid_sends_once_inside_its_window",
    "racing_sends_with_one_uuid_store_one_message",
    "racing_first_sends_to_a_user_open_one_chat",
    "message_updates_and_recalls",
    "a_card_is_given_once_per_user",
    "an_update_changes_only_the_named_users_cards",
    "deletes_report_what_existed",
    "the_feed_pages_in_order_without_repeats",
    "pins_and_buttons",
    "meta_values_are_kept",
    "racing_uses_of_a_card_token_count_two",
    "app_settings_and_user_messages_are_kept",
    "a_snapshot_comes_back_identical_and_reset_empties_the_state",
    "card_entity_writes_follow_the_rules_handed_in",
    "racing_sends_of_one_card_entity_bind_one_message",
    "racing_writes_to_one_card_entity_keep_the_highest_sequence",
    "reactions_are_listed_oldest_first_and_removed_once",
];

const HOUR: i64 = 3_600_000;

fn token(name: &str, app: &str, now: i64) -> TokenRow {
    TokenRow {
        token_hash: format!("t-{name}"),
        app_id: id(app),
        issued_at_ms: now,
        expires_at_ms: now + 2 * HOUR,
        sealed: format!("sealed {name}"),
    }
}

/// A message's new content.
fn edit_of<'a>(message_id: &'a MessageId, content: &'a str, now_ms: i64) -> ContentEdit<'a> {
    ContentEdit {
        message_id,
        content,
        now_ms,
    }
}

/// The app's card for the user.
fn card_of<'a>(app_id: &'a AppId, user_id: &'a UserId, biz_id: &'a BizId) -> CardKey<'a> {
    CardKey {
        app_id,
        user_id,
        biz_id,
    }
}

/// A page of a user's feed.
fn feed<'a>(user_id: &'a UserId, after: Option<&'a FeedCursor>, limit: u32) -> FeedSlice<'a> {
    FeedSlice {
        user_id,
        after,
        limit,
    }
}

/// A use of a card token that allows two.
fn spend<'a>(token: &'a str, app_id: &'a AppId, now_ms: i64) -> CardTokenSpend<'a> {
    CardTokenSpend {
        token,
        app_id,
        now_ms,
        max_uses: 2,
    }
}

/// An id written in a test, of the kind the field wants.
fn id<T: std::str::FromStr>(text: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    text.parse().expect("the test writes valid ids")
}

fn group(chat_id: &str, now: i64) -> ChatRow {
    ChatRow {
        chat_id: id(chat_id),
        name: format!("group {chat_id}"),
        description: String::new(),
        chat_type: ChatType::Private,
        owner_user: None,
        owner_app: Some(id("cli_a")),
        creator_app: id("cli_a"),
        p2p_key: None,
        p2p_user: None,
        dissolved: false,
        created_at_ms: now,
    }
}

fn p2p(chat_id: &str, app: &str, user: &str, now: i64) -> ChatRow {
    ChatRow {
        chat_id: id(chat_id),
        name: String::new(),
        description: String::new(),
        chat_type: ChatType::P2p,
        owner_user: None,
        owner_app: None,
        creator_app: id(app),
        p2p_key: Some(format!("{app}/{user}")),
        p2p_user: Some(id(user)),
        dissolved: false,
        created_at_ms: now,
    }
}

fn message(message_id: &str, uuid: Option<&str>, now: i64) -> MessageRow {
    let content = format!("{{\"text\":\"{message_id}\"}}");
    // Each test sends it to oc_1, or to a one-to-one chat whose id the store puts here.
    let row = MessageRow::new(id(message_id), id("oc_1"), "text".into(), content, now);
    MessageRow {
        sender_app: Some(id("cli_a")),
        uuid: uuid.map(Into::into),
        ..row
    }
}

fn card(title: &str) -> OpenAppFeedCard {
    serde_json::from_value(serde_json::json!({
        "title": title, "preview": "p", "link": {"link": "https://example.com/"}
    }))
    .expect("a card")
}

fn cards_for(app: &str, biz: &str, title: &str, users: &[&str], now: i64) -> NewFeedCards {
    NewFeedCards {
        app_id: id(app),
        biz_id: id(biz),
        card: card(title),
        user_ids: users.iter().map(|u| id(u)).collect(),
        now_ms: now,
        unread: 1,
    }
}

fn merge(stored: &mut OpenAppFeedCard, edit: &FeedCardEdit) -> UpdateEffects {
    stored.apply_update(&edit.patch, &edit.fields)
}

/// Runs `n` copies of `f` at once (all released by one barrier) and collects their results.
async fn race<T, F, Fut>(n: usize, f: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let barrier = Arc::new(Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let barrier = barrier.clone();
            let work = f(i);
            tokio::spawn(async move {
                barrier.wait().await;
                work.await
            })
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(t.await.expect("a racing task panicked"));
    }
    out
}

pub async fn tokens_are_reused_under_the_30_minute_rule(s: Arc<dyn Store>) {
    let t0 = 1_000_000;
    let first = s
        .issue_token(token("a", "cli_a", t0), HOUR / 2)
        .await
        .unwrap();
    assert_eq!(first.token_hash, "t-a");
    let later = t0 + HOUR;
    let again = s
        .issue_token(token("b", "cli_a", later), HOUR / 2)
        .await
        .unwrap();
    assert_eq!(again, first, "an hour left: the same token");
    let late = t0 + 2 * HOUR - HOUR / 4;
    let renewed = s
        .issue_token(token("c", "cli_a", late), HOUR / 2)
        .await
        .unwrap();
    assert_eq!(renewed.token_hash, "t-c", "15 minutes left: a new token");
    assert_eq!(renewed.sealed, "sealed c");
    assert!(
        s.find_token("t-a").await.unwrap().is_some(),
        "the old one stays"
    );
    let other = s
        .issue_token(token("d", "cli_b", late), HOUR / 2)
        .await
        .unwrap();
    assert_eq!(other.token_hash, "t-d", "apps do not share tokens");
    assert_eq!(s.find_token("t-zzz").await.unwrap(), None);
}

pub async fn racing_token_requests_give_one_live_token(s: Arc<dyn Store>) {
    let now = 5_000_000;
    let issued = race(50, |i| {
        let s = s.clone();
        async move {
            s.issue_token(token(&format!("race{i}"), "cli_a", now), HOUR / 2)
                .await
                .unwrap()
                .token_hash
        }
    })
    .await;
    let distinct: HashSet<_> = issued.iter().collect();
    assert_eq!(distinct.len(), 1, "50 racing requests got {distinct:?}");
}

pub async fn chats_and_members(s: Arc<dyn Store>) {
    let now = 10_000;
    let members = [
        Member::Bot(id("cli_a")),
        Member::User(id("u1")),
        Member::User(id("u2")),
    ];
    s.insert_chat(&group("oc_1", now), &members).await.unwrap();
    assert_eq!(
        s.get_chat(&id("oc_1")).await.unwrap(),
        Some(group("oc_1", now))
    );
    assert_eq!(s.get_chat(&id("oc_none")).await.unwrap(), None);
    let added = s
        .add_members(
            &id("oc_1"),
            &[Member::User(id("u2")), Member::User(id("u3"))],
            now + 1,
        )
        .await
        .unwrap();
    assert_eq!(added, 1, "u2 was already in");
    let asked = ["u3", "u9", "u1"].map(|u| Member::User(id(u)));
    assert_eq!(
        s.are_members(&id("oc_1"), &asked).await.unwrap(),
        [true, false, true]
    );
    // A bot and a user are told apart even with the same text for an id.
    let bots = [Member::Bot(id("cli_a")), Member::Bot(id("cli_u1"))];
    assert_eq!(
        s.are_members(&id("oc_1"), &bots).await.unwrap(),
        [true, false]
    );
    let (page, total) = s
        .list_members(Members::users(&id("oc_1")).page(1, 5))
        .await
        .unwrap();
    let u = |name: &str| Member::User(id(name));
    assert_eq!((page, total), (vec![u("u2"), u("u3")], 3));
    assert_eq!(s.find_p2p_chat("cli_a/u1").await.unwrap(), None);
}

pub async fn racing_chat_creates_with_one_id_store_one_and_fail_the_rest(s: Arc<dyn Store>) {
    let results = race(20, |_| {
        let s = s.clone();
        async move {
            s.insert_chat(&group("oc_same", 1), &[Member::User(id("u1"))])
                .await
                .is_ok()
        }
    })
    .await;
    assert_eq!(results.iter().filter(|ok| **ok).count(), 1);
    // The failures undid only their own work: the winner's chat and member are there.
    assert!(s.get_chat(&id("oc_same")).await.unwrap().is_some());
    let (_, total) = s
        .list_members(Members::users(&id("oc_same")).page(0, 10))
        .await
        .unwrap();
    assert_eq!(total, 1);
}

pub async fn a_uuid_sends_once_inside_its_window(s: Arc<dyn Store>) {
    let now = 100 * HOUR;
    s.insert_chat(&group("oc_1", now), &[Member::Bot(id("cli_a"))])
        .await
        .unwrap();
    let send = |message_id: &str, at: i64| NewMessage {
        to: Destination::Chat(id("oc_1")),
        row: message(message_id, Some("u-1"), at),
        uuid_since_ms: at - HOUR,
        opens_thread: false,
        card_id: None,
    };
    let first = s.send_message(send("om_1", now)).await.unwrap();
    let Sent::New(first) = first else {
        panic!("the first send is new")
    };
    assert_eq!(first.chat_id, "oc_1");
    let dup = s.send_message(send("om_2", now + HOUR - 1)).await.unwrap();
    assert_eq!(dup, Sent::Duplicate(first.clone()));
    assert_eq!(s.get_message(&id("om_2")).await.unwrap(), None);
    let later = s.send_message(send("om_3", now + HOUR + 1)).await.unwrap();
    assert!(matches!(later, Sent::New(m) if m.message_id == "om_3"));
    assert_eq!(
        s.message_by_uuid(UuidKey {
            app_id: &id("cli_a"),
            uuid: "u-1",
            since_ms: now,
        })
        .await
        .unwrap(),
        Some(first)
    );
}

pub async fn racing_sends_with_one_uuid_store_one_message(s: Arc<dyn Store>) {
    let now = 100 * HOUR;
    let sent = race(50, |i| {
        let s = s.clone();
        async move {
            let msg = NewMessage {
                to: Destination::P2p(p2p(&format!("oc_{i}"), "cli_a", "u1", now)),
                row: message(&format!("om_{i}"), Some("same"), now),
                uuid_since_ms: now - HOUR,
                opens_thread: false,
                card_id: None,
            };
            match s.send_message(msg).await.unwrap() {
                Sent::New(m) => (true, m.message_id),
                Sent::Duplicate(m) => (false, m.message_id),
                Sent::CardTaken => panic!("no card entity, none taken"),
            }
        }
    })
    .await;
    assert_eq!(sent.iter().filter(|(new, _)| *new).count(), 1);
    let ids: HashSet<_> = sent.iter().map(|(_, id)| id).collect();
    assert_eq!(ids.len(), 1, "every caller sees the one message");
}

pub async fn racing_first_sends_to_a_user_open_one_chat(s: Arc<dyn Store>) {
    let now = 100 * HOUR;
    let chats = race(50, |i| {
        let s = s.clone();
        async move {
            let msg = NewMessage {
                to: Destination::P2p(p2p(&format!("oc_{i}"), "cli_a", "u7", now)),
                row: message(&format!("om_{i}"), None, now),
                uuid_since_ms: now - HOUR,
                opens_thread: false,
                card_id: None,
            };
            match s.send_message(msg).await.unwrap() {
                Sent::New(m) => m.chat_id,
                Sent::Duplicate(_) | Sent::CardTaken => panic!("no uuid, no duplicate"),
            }
        }
    })
    .await;
    let distinct: HashSet<_> = chats.iter().collect();
    assert_eq!(distinct.len(), 1, "one chat, 50 messages: {distinct:?}");
    let chat = s.find_p2p_chat("cli_a/u7").await.unwrap().unwrap();
    assert_eq!(&chat.chat_id, chats[0].as_str());
    let bot = [Member::Bot(id("cli_a"))];
    assert_eq!(s.are_members(&chat.chat_id, &bot).await.unwrap(), [true]);
    assert_eq!(
        s.list_members(Members::users(&chat.chat_id).page(0, 5))
            .await
            .unwrap(),
        (vec![Member::User(id("u7"))], 1)
    );
}

pub async fn message_updates_and_recalls(s: Arc<dyn Store>) {
    s.insert_chat(&group("oc_1", 1), &[]).await.unwrap();
    let msg = NewMessage {
        to: Destination::Chat(id("oc_1")),
        row: message("om_1", None, 1),
        uuid_since_ms: 0,
        opens_thread: false,
        card_id: None,
    };
    s.send_message(msg).await.unwrap();
    assert!(s
        .update_message_content(edit_of(&id("om_1"), "{}", 5))
        .await
        .unwrap());
    let m = s.get_message(&id("om_1")).await.unwrap().unwrap();
    assert_eq!(
        (m.content.as_str(), m.update_time_ms, m.updated),
        ("{}", 5, true)
    );
    assert!(s.recall_message(&id("om_1"), 6).await.unwrap());
    assert!(
        !s.recall_message(&id("om_1"), 7).await.unwrap(),
        "already recalled"
    );
    assert!(!s
        .update_message_content(edit_of(&id("om_1"), "{\"x\":1}", 8))
        .await
        .unwrap());
    assert!(s.get_message(&id("om_1")).await.unwrap().unwrap().recalled);
    assert!(!s
        .update_message_content(edit_of(&id("om_none"), "{}", 9))
        .await
        .unwrap());
}

pub async fn a_card_is_given_once_per_user(s: Arc<dyn Store>) {
    let created = s
        .create_feed_cards(cards_for("cli_a", "b1", "one", &["u1", "u2"], 10))
        .await
        .unwrap();
    assert_eq!(created, [true, true]);
    let again = s
        .create_feed_cards(cards_for("cli_a", "b1", "two", &["u2", "u3"], 20))
        .await
        .unwrap();
    assert_eq!(again, [false, true], "u2 keeps the card it had");
    let u2 = s
        .feed_card(card_of(&id("cli_a"), &id("u2"), &id("b1")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u2.card.title.as_deref(), Some("one"));
    assert_eq!((u2.created_at_ms, u2.sort_time_ms, u2.unread), (10, 10, 1));
    let other_app = s
        .create_feed_cards(cards_for("cli_b", "b1", "b's", &["u2"], 30))
        .await
        .unwrap();
    assert_eq!(other_app, [true], "biz_ids are per app");
    assert_eq!(
        s.feed_cards_of_user(&id("cli_a"), &id("u2"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        s.feed_card(card_of(&id("cli_a"), &id("u9"), &id("b1")))
            .await
            .unwrap(),
        None
    );
    let racing = race(20, |i| {
        let s = s.clone();
        async move {
            s.create_feed_cards(cards_for("cli_a", "race", &format!("{i}"), &["u5"], 40))
                .await
                .unwrap()[0]
        }
    })
    .await;
    assert_eq!(racing.iter().filter(|new| **new).count(), 1);
}

pub async fn an_update_changes_only_the_named_users_cards(s: Arc<dyn Store>) {
    s.create_feed_cards(cards_for("cli_a", "b1", "old", &["u1", "u2", "u3"], 10))
        .await
        .unwrap();
    let edit = |user: &str, fields: &[&str]| FeedCardEdit {
        user_id: id(user),
        biz_id: id("b1"),
        patch: card("new"),
        fields: fields
            .iter()
            .filter_map(|f| UpdateField::from_code(f))
            .collect(),
    };
    let found = s
        .update_feed_cards(FeedCardEdits {
            app_id: id("cli_a"),
            edits: vec![
                edit("u1", &[update_field::TITLE, update_field::SORT_TIME]),
                edit("u2", &[update_field::NOTIFY]),
                edit("u9", &[update_field::TITLE]),
            ],
            merge,
            now_ms: 50,
        })
        .await
        .unwrap();
    assert_eq!(found, [true, true, false]);
    let u1 = s
        .feed_card(card_of(&id("cli_a"), &id("u1"), &id("b1")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u1.card.title.as_deref(), Some("new"));
    assert_eq!(
        (u1.sort_time_ms, u1.display_time_ms, u1.updated_at_ms),
        (50, 10, 50)
    );
    let u2 = s
        .feed_card(card_of(&id("cli_a"), &id("u2"), &id("b1")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u2.card.title.as_deref(), Some("old"));
    assert_eq!(u2.unread, 2);
    let u3 = s
        .feed_card(card_of(&id("cli_a"), &id("u3"), &id("b1")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u3.card.title.as_deref(), Some("old"), "u3 was not named");
    assert_eq!(u3.updated_at_ms, 10);
    let other_app = s
        .update_feed_cards(FeedCardEdits {
            app_id: id("cli_b"),
            edits: vec![edit("u1", &[update_field::TITLE])],
            merge,
            now_ms: 60,
        })
        .await
        .unwrap();
    assert_eq!(other_app, [false]);
}

pub async fn deletes_report_what_existed(s: Arc<dyn Store>) {
    s.create_feed_cards(cards_for("cli_a", "b1", "t", &["u1", "u2"], 10))
        .await
        .unwrap();
    let gone = s
        .delete_feed_cards(
            &id("cli_a"),
            vec![
                (id("u1"), id("b1")),
                (id("u1"), id("b1")),
                (id("u3"), id("b1")),
            ],
        )
        .await
        .unwrap();
    assert_eq!(gone, [true, false, false]);
    assert_eq!(
        s.feed_card(card_of(&id("cli_a"), &id("u1"), &id("b1")))
            .await
            .unwrap(),
        None
    );
    assert!(s
        .feed_card(card_of(&id("cli_a"), &id("u2"), &id("b1")))
        .await
        .unwrap()
        .is_some());
    // The content u2 still shares survived u1's delete; a new card under the same biz_id works.
    s.delete_feed_cards(&id("cli_a"), vec![(id("u2"), id("b1"))])
        .await
        .unwrap();
    let again = s
        .create_feed_cards(cards_for("cli_a", "b1", "t2", &["u1"], 20))
        .await
        .unwrap();
    assert_eq!(again, [true]);
}

pub async fn the_feed_pages_in_order_without_repeats(s: Arc<dyn Store>) {
    for i in 0..25 {
        s.create_feed_cards(cards_for("cli_a", &format!("b{i:02}"), "t", &["u1"], i % 5))
            .await
            .unwrap();
    }
    s.create_feed_cards(cards_for("cli_b", "b00", "t", &["u1"], 4))
        .await
        .unwrap();
    let mut pinned = card("pinned");
    pinned.time_sensitive = Some(true);
    let mut pin = cards_for("cli_a", "zz", "pinned", &["u1"], 0);
    pin.card = pinned;
    s.create_feed_cards(pin).await.unwrap();
    let mut seen = Vec::new();
    let mut after: Option<FeedCursor> = None;
    loop {
        let page = s
            .feed_page(feed(&id("u1"), after.as_ref(), 4))
            .await
            .unwrap();
        if page.cards.is_empty() {
            break;
        }
        assert!(page.cards.len() <= 4);
        let last = page.cards.last().unwrap();
        after = Some(FeedCursor {
            time_sensitive: last.card.time_sensitive.unwrap_or(false),
            sort_time_ms: last.sort_time_ms,
            key: last.biz_id.to_string(),
            app_id: last.app_id.to_string(),
        });
        seen.extend(page.cards);
    }
    assert_eq!(seen.len(), 27, "every card once");
    assert_eq!(seen[0].biz_id, "zz", "time-sensitive first");
    let order: Vec<(i64, &str, &str)> = seen[1..]
        .iter()
        .map(|c| (-c.sort_time_ms, c.biz_id.as_str(), c.app_id.as_str()))
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "latest first, then by biz_id and app");
    let distinct: HashSet<_> = seen.iter().map(|c| (&c.app_id, &c.biz_id)).collect();
    assert_eq!(distinct.len(), 27);
}

pub async fn pins_and_buttons(s: Arc<dyn Store>) {
    let members = [
        Member::Bot(id("cli_a")),
        Member::User(id("u1")),
        Member::User(id("u2")),
    ];
    s.insert_chat(&group("oc_1", 5), &members).await.unwrap();
    let u1_in_oc_1 = ChatUsers {
        app_id: id("cli_a"),
        chat_id: id("oc_1"),
        user_ids: vec![id("u1")],
        now_ms: 6,
    };
    s.set_pins(u1_in_oc_1.clone(), true).await.unwrap();
    let chat_of = |rows: FeedRows, id: &str| rows.chats.into_iter().find(|c| c.chat.chat_id == id);
    let u1 = chat_of(
        s.feed_page(feed(&id("u1"), None, 10)).await.unwrap(),
        "oc_1",
    )
    .unwrap();
    assert_eq!(u1.pinned_by.as_deref(), Some("cli_a"));
    assert_eq!(u1.joined_at_ms, 5);
    let u2 = chat_of(
        s.feed_page(feed(&id("u2"), None, 10)).await.unwrap(),
        "oc_1",
    )
    .unwrap();
    assert_eq!(u2.pinned_by, None);
    let later = |now_ms| ChatUsers {
        now_ms,
        ..u1_in_oc_1.clone()
    };
    s.set_pins(later(7), false).await.unwrap();
    let u1 = chat_of(
        s.feed_page(feed(&id("u1"), None, 10)).await.unwrap(),
        "oc_1",
    )
    .unwrap();
    assert_eq!(u1.pinned_by, None);

    s.pin_p2p_chats(P2pPins {
        app_id: id("cli_a"),
        chats: vec![p2p("oc_p", "cli_a", "u3", 8)],
        pinned: true,
        now_ms: 8,
    })
    .await
    .unwrap();
    s.pin_p2p_chats(P2pPins {
        app_id: id("cli_a"),
        chats: vec![p2p("oc_q", "cli_a", "u3", 9)],
        pinned: true,
        now_ms: 9,
    })
    .await
    .unwrap();
    let rows = s.feed_page(feed(&id("u3"), None, 10)).await.unwrap();
    assert_eq!(rows.chats.len(), 1, "the chat was opened once");
    assert_eq!(rows.chats[0].chat.chat_id, "oc_p");
    assert_eq!(rows.chats[0].pinned_by.as_deref(), Some("cli_a"));

    let buttons: Vec<Button> = serde_json::from_value(serde_json::json!([
        {"action_type": "url_page", "text": {"text": "Open"}, "multi_url": {"url": "https://x.cn/"}}
    ]))
    .unwrap();
    s.set_chat_buttons(later(10), &buttons).await.unwrap();
    let (chat, u1, u2) = (id("oc_1"), id("u1"), id("u2"));
    let entry = |user_id| ChatEntry {
        chat_id: &chat,
        user_id,
    };
    assert_eq!(
        s.chat_buttons(entry(&u1)).await.unwrap(),
        vec![(id("cli_a"), id("oc_1"), buttons.clone())]
    );
    assert_eq!(s.chat_buttons(entry(&u2)).await.unwrap(), vec![]);
    let rows = s.feed_page(feed(&id("u1"), None, 10)).await.unwrap();
    assert_eq!(rows.buttons, vec![(id("cli_a"), id("oc_1"), buttons)]);
}

pub async fn meta_values_are_kept(s: Arc<dyn Store>) {
    assert_eq!(s.meta("world").await.unwrap(), None);
    s.set_meta("world", "one").await.unwrap();
    s.set_meta("world", "two").await.unwrap();
    s.set_meta("other", "x").await.unwrap();
    assert_eq!(s.meta("world").await.unwrap().as_deref(), Some("two"));
    assert_eq!(s.meta("other").await.unwrap().as_deref(), Some("x"));
}

pub async fn racing_uses_of_a_card_token_count_two(s: Arc<dyn Store>) {
    let now = 1_000;
    s.insert_card_token(CardTokenRow {
        token: "c-1".into(),
        app_id: id("cli_a"),
        message_id: id("om_1"),
        user_id: id("u1"),
        expires_at_ms: now + HOUR,
        uses: 0,
    })
    .await
    .unwrap();
    assert_eq!(
        s.use_card_token(spend("c-1", &id("cli_b"), now))
            .await
            .unwrap(),
        CardTokenUse::Unknown,
        "another app's use counts nothing"
    );
    let uses = race(20, |_| {
        let s = s.clone();
        async move {
            s.use_card_token(spend("c-1", &id("cli_a"), now))
                .await
                .unwrap()
        }
    })
    .await;
    let used = uses
        .iter()
        .filter(|u| matches!(u, CardTokenUse::Used(_)))
        .count();
    assert_eq!(used, 2, "{uses:?}");
    assert!(uses
        .iter()
        .all(|u| matches!(u, CardTokenUse::Used(_) | CardTokenUse::UsedUp)));
    assert_eq!(
        s.use_card_token(spend("nope", &id("cli_a"), now))
            .await
            .unwrap(),
        CardTokenUse::Unknown
    );
    s.insert_card_token(CardTokenRow {
        token: "c-2".into(),
        app_id: id("cli_a"),
        message_id: id("om_1"),
        user_id: id("u1"),
        expires_at_ms: now + 10,
        uses: 0,
    })
    .await
    .unwrap();
    assert_eq!(
        s.use_card_token(spend("c-2", &id("cli_a"), now + 10))
            .await
            .unwrap(),
        CardTokenUse::Expired
    );
}

pub async fn app_settings_and_user_messages_are_kept(s: Arc<dyn Store>) {
    assert_eq!(s.app_settings(&id("cli_a")).await.unwrap(), None);
    s.set_app_settings(&id("cli_a"), "{\"event_url\":null}")
        .await
        .unwrap();
    s.set_app_settings(&id("cli_a"), "{\"event_url\":\"http://x/\"}")
        .await
        .unwrap();
    assert_eq!(
        s.app_settings(&id("cli_a")).await.unwrap().as_deref(),
        Some("{\"event_url\":\"http://x/\"}")
    );
    s.insert_chat(&group("oc_1", 1), &[]).await.unwrap();
    let mut row = message("om_u", None, 5);
    row.sender_app = None;
    row.sender_user = Some(id("u1"));
    row.mentions = vec![MentionRow {
        key: "@_user_1".into(),
        who: Mentioned::App(id("cli_a")),
        name: "bot".into(),
    }];
    s.send_message(NewMessage {
        to: Destination::Chat(id("oc_1")),
        row: row.clone(),
        uuid_since_ms: 5,
        opens_thread: false,
        card_id: None,
    })
    .await
    .unwrap();
    let got = s.get_message(&id("om_u")).await.unwrap().unwrap();
    assert_eq!(got.sender_user.as_deref(), Some("u1"));
    assert_eq!(got.mentions, row.mentions);
    for (i, message_id) in ["om_a", "om_b", "om_c"].into_iter().enumerate() {
        s.send_message(NewMessage {
            to: Destination::Chat(id("oc_1")),
            row: message(message_id, None, 10 + i as i64),
            uuid_since_ms: 0,
            opens_thread: false,
            card_id: None,
        })
        .await
        .unwrap();
    }
    let last_two: Vec<MessageId> = s
        .chat_messages(&id("oc_1"), 2)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.message_id)
        .collect();
    assert_eq!(last_two, ["om_b", "om_c"], "the latest, oldest first");
    assert_eq!(s.chat_messages(&id("oc_1"), 10).await.unwrap().len(), 4);
}

pub async fn a_snapshot_comes_back_identical_and_reset_empties_the_state(s: Arc<dyn Store>) {
    s.insert_chat(&group("oc_1", 1), &[Member::User(id("u1"))])
        .await
        .unwrap();
    s.create_feed_cards(NewFeedCards {
        app_id: id("cli_a"),
        biz_id: id("b1"),
        card: card("one"),
        user_ids: vec![id("u1"), id("u2")],
        now_ms: 10,
        unread: 0,
    })
    .await
    .unwrap();
    s.set_app_settings(&id("cli_a"), "{}").await.unwrap();
    s.issue_token(token("kept", "cli_a", 1), HOUR / 2)
        .await
        .unwrap();
    let saved = s.export().await.unwrap();
    assert_eq!(saved["feed_cards"].len(), 2);
    assert_eq!(saved["chat_members"].len(), 1);
    assert!(!saved.contains_key("access_tokens"), "tokens are not state");

    s.reset().await.unwrap();
    assert!(s.export().await.unwrap().values().all(Vec::is_empty));
    assert!(s.get_chat(&id("oc_1")).await.unwrap().is_none());
    assert!(
        s.find_token("t-kept").await.unwrap().is_some(),
        "a reset keeps issued tokens"
    );

    s.import(saved.clone()).await.unwrap();
    assert_eq!(s.export().await.unwrap(), saved);
    assert_eq!(
        s.feed_card(card_of(&id("cli_a"), &id("u2"), &id("b1")))
            .await
            .unwrap()
            .unwrap()
            .card,
        card("one")
    );

    let mut bad = saved.clone();
    bad.insert("nope".into(), Vec::new());
    assert!(matches!(s.import(bad).await, Err(StoreError::Refused(_))));
    let mut bad = saved.clone();
    bad.get_mut("chats").unwrap()[0].insert("colour".into(), "red".into());
    assert!(matches!(s.import(bad).await, Err(StoreError::Refused(_))));
    assert_eq!(
        s.export().await.unwrap(),
        saved,
        "a refused load changes nothing"
    );
}

fn entity(card_id: &str, app: &str, now: i64) -> CardEntityRow {
    CardEntityRow {
        card_id: id(card_id),
        app_id: id(app),
        card: r#"{"schema":"2.0","body":{"elements":[]}}"#.into(),
        sequence: 0,
        streaming_since_ms: Some(now),
        created_at_ms: now,
        updated_at_ms: now,
        message_id: None,
    }
}

/// A write whose rules are a rising sequence and a uuid replayed only with its own sequence,
/// setting the card to `card`.
fn card_write(card_id: &str, sequence: i64, uuid: Option<&str>, card: &str, now: i64) -> CardWrite {
    let card = card.to_string();
    CardWrite {
        card_id: id(card_id),
        sequence,
        uuid: uuid.map(str::to_string),
        now_ms: now,
        rules: Box::new(move |row, earlier| match earlier {
            Some(s) if s == sequence => Ok(CardChange::Replay),
            Some(_) => Err(Refusal::new(
                larkfeed_model::ErrorCode::CardUuidConflict,
                "uuid",
            )),
            None if sequence <= row.sequence => Err(Refusal::new(
                larkfeed_model::ErrorCode::CardSequenceNotIncreasing,
                "sequence",
            )),
            None => Ok(CardChange::Card {
                card: card.clone(),
                streaming_since_ms: row.streaming_since_ms,
            }),
        }),
    }
}

pub async fn card_entity_writes_follow_the_rules_handed_in(s: Arc<dyn Store>) {
    let now = 100 * HOUR;
    s.insert_card_entity(entity("7001", "cli_a", now))
        .await
        .unwrap();
    assert_eq!(
        s.write_card_entity(card_write("7999", 1, None, "{}", now))
            .await
            .unwrap(),
        CardWritten::Unknown
    );
    let CardWritten::Done(row) = s
        .write_card_entity(card_write("7001", 2, Some("u1"), r#"{"n":2}"#, now + 1))
        .await
        .unwrap()
    else {
        panic!("the first write is done");
    };
    assert_eq!(
        (row.sequence, row.card.as_str(), row.updated_at_ms),
        (2, r#"{"n":2}"#, now + 1)
    );
    // The same uuid and sequence again: answered as done, nothing changes.
    let replay = s
        .write_card_entity(card_write(
            "7001",
            2,
            Some("u1"),
            r#"{"n":"again"}"#,
            now + 2,
        ))
        .await
        .unwrap();
    assert!(matches!(replay, CardWritten::Done(r) if r.card == r#"{"n":2}"#));
    let conflict = s
        .write_card_entity(card_write("7001", 3, Some("u1"), "{}", now + 2))
        .await
        .unwrap();
    assert!(
        matches!(conflict, CardWritten::Refused(r) if r.code == larkfeed_model::ErrorCode::CardUuidConflict)
    );
    let stale = s
        .write_card_entity(card_write("7001", 2, None, "{}", now + 2))
        .await
        .unwrap();
    assert!(matches!(stale, CardWritten::Refused(_)));
    // Sent: the message shows the entity's card, and later writes change both.
    s.insert_chat(&group("oc_1", now), &[Member::Bot(id("cli_a"))])
        .await
        .unwrap();
    let mut row = message("om_1", None, now);
    row.msg_type = "interactive".into();
    let sent = s
        .send_message(NewMessage {
            to: Destination::Chat(id("oc_1")),
            row,
            uuid_since_ms: now,
            opens_thread: false,
            card_id: Some(id("7001")),
        })
        .await
        .unwrap();
    assert!(
        matches!(&sent, Sent::New(m) if m.content == r#"{"n":2}"#),
        "{sent:?}"
    );
    let message_id: MessageId = id("om_1");
    let bound = s
        .card_entity_of_message(&message_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bound.card_id.as_str(), "7001");
    s.write_card_entity(card_write("7001", 5, None, r#"{"n":5}"#, now + 3))
        .await
        .unwrap();
    let shown = s.get_message(&message_id).await.unwrap().unwrap();
    assert_eq!(
        (shown.content.as_str(), shown.updated, shown.update_time_ms),
        (r#"{"n":5}"#, true, now + 3)
    );
    // A card update of the message changes the entity too.
    s.update_message_content(edit_of(&message_id, r#"{"n":"patched"}"#, now + 4))
        .await
        .unwrap();
    let entity = s.card_entity(&id("7001")).await.unwrap().unwrap();
    assert_eq!(entity.card, r#"{"n":"patched"}"#);
    // Sent once.
    let mut again = message("om_2", None, now);
    again.msg_type = "interactive".into();
    let taken = s
        .send_message(NewMessage {
            to: Destination::Chat(id("oc_1")),
            row: again,
            uuid_since_ms: now,
            opens_thread: false,
            card_id: Some(id("7001")),
        })
        .await
        .unwrap();
    assert_eq!(taken, Sent::CardTaken);
    assert!(
        s.get_message(&id("om_2")).await.unwrap().is_none(),
        "nothing was stored"
    );
}

pub async fn racing_sends_of_one_card_entity_bind_one_message(s: Arc<dyn Store>) {
    let now = 100 * HOUR;
    s.insert_chat(&group("oc_1", now), &[Member::Bot(id("cli_a"))])
        .await
        .unwrap();
    s.insert_card_entity(entity("7002", "cli_a", now))
        .await
        .unwrap();
    let sent = race(20, |i| {
        let s = s.clone();
        async move {
            let row = message(&format!("om_{i}"), None, now);
            let msg = NewMessage {
                to: Destination::Chat(id("oc_1")),
                row,
                uuid_since_ms: now,
                opens_thread: false,
                card_id: Some(id("7002")),
            };
            s.send_message(msg).await.unwrap()
        }
    })
    .await;
    let new: Vec<_> = sent.iter().filter(|s| matches!(s, Sent::New(_))).collect();
    assert_eq!(new.len(), 1, "{sent:?}");
    assert_eq!(sent.iter().filter(|s| **s == Sent::CardTaken).count(), 19);
    assert_eq!(s.chat_messages(&id("oc_1"), 50).await.unwrap().len(), 1);
}

pub async fn racing_writes_to_one_card_entity_keep_the_highest_sequence(s: Arc<dyn Store>) {
    let now = 100 * HOUR;
    s.insert_card_entity(entity("7003", "cli_a", now))
        .await
        .unwrap();
    let done = race(30, |i| {
        let s = s.clone();
        async move {
            let seq = i as i64 + 1;
            let card = format!(r#"{{"n":{seq}}}"#);
            let w = s
                .write_card_entity(card_write("7003", seq, None, &card, now))
                .await;
            matches!(w.unwrap(), CardWritten::Done(_))
        }
    })
    .await;
    assert!(done[29], "the highest sequence is never stale");
    let row = s.card_entity(&id("7003")).await.unwrap().unwrap();
    assert_eq!((row.sequence, row.card.as_str()), (30, r#"{"n":30}"#));
}

pub async fn reactions_are_listed_oldest_first_and_removed_once(s: Arc<dyn Store>) {
    let (m1, m2): (MessageId, MessageId) = (id("om_1"), id("om_2"));
    let reaction = |rid: &str, m: &MessageId, emoji: &str, who: Actor, at: i64| ReactionRow {
        reaction_id: rid.into(),
        message_id: m.clone(),
        emoji_type: emoji.into(),
        operator: who,
        action_time_ms: at,
    };
    let app = Actor::App(id("cli_a"));
    let user = Actor::User(id("u-1"));
    s.add_reaction(reaction("r3", &m1, "THUMBSUP", user.clone(), 30))
        .await
        .unwrap();
    s.add_reaction(reaction("r1", &m1, "Typing", app.clone(), 10))
        .await
        .unwrap();
    s.add_reaction(reaction("r2", &m1, "THUMBSUP", app.clone(), 10))
        .await
        .unwrap();
    s.add_reaction(reaction("r4", &m2, "OK", app.clone(), 5))
        .await
        .unwrap();
    let all = |slice| {
        let s = s.clone();
        async move {
            s.list_reactions(slice)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.reaction_id)
                .collect::<Vec<_>>()
        }
    };
    let page = |emoji, after, limit| ReactionSlice {
        message_id: &m1,
        emoji_type: emoji,
        after,
        limit,
    };
    assert_eq!(all(page(None, None, 10)).await, ["r1", "r2", "r3"]);
    assert_eq!(all(page(Some("THUMBSUP"), None, 10)).await, ["r2", "r3"]);
    assert_eq!(all(page(None, None, 2)).await, ["r1", "r2"]);
    assert_eq!(all(page(None, Some((10, "r2")), 2)).await, ["r3"]);
    let stored = s.reaction("r3").await.unwrap().unwrap();
    assert_eq!((stored.operator, stored.action_time_ms), (user, 30));
    let both = s.reactions_of(&[m1.clone(), m2.clone()]).await.unwrap();
    assert_eq!(
        both.iter()
            .map(|r| r.reaction_id.as_str())
            .collect::<Vec<_>>(),
        ["r4", "r1", "r2", "r3"]
    );
    assert!(s.remove_reaction("r2").await.unwrap());
    assert!(!s.remove_reaction("r2").await.unwrap());
    assert!(s.reaction("r2").await.unwrap().is_none());
    assert_eq!(all(page(None, None, 10)).await, ["r1", "r3"]);
}
