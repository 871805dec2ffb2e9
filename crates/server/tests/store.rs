//! The store contract (`larkfeed_server::store::contract`) on each SQLite flavour: a database
//! file with the default durability, a file synced at every commit, and memory; and on
//! PostgreSQL.

use larkfeed_server::store::contract;
use larkfeed_server::store::sqlite::{Durability, Location, SqliteStore};
use larkfeed_server::store::{ChatStore, Store, StoreError};
use std::sync::Arc;

fn file_store(durability: Durability) -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let location = Location::File(dir.path().join("contract.db"));
    (
        Arc::new(SqliteStore::open(&location, durability).unwrap()),
        dir,
    )
}

macro_rules! contract_tests {
    ($($name:ident),* $(,)?) => {
        mod file {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let (store, _dir) = file_store(Durability::Normal);
                    contract::$name(store).await;
                }
            )*
        }
        mod file_synced {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let (store, _dir) = file_store(Durability::Full);
                    contract::$name(store).await;
                }
            )*
        }
        /// On PostgreSQL (`LARKFEED_TEST_POSTGRES`, default the local server), each test in a
        /// schema of its own. `scripts/test` leaves these out, saying so, when no PostgreSQL
        /// answers.
        mod postgres {
            use super::*;
            use larkfeed_server::store::postgres::{PgStore, TestSchema};
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let schema = TestSchema::new();
                    let store = PgStore::connect(&schema.database(), 16)
                        .await
                        .expect("PostgreSQL answers (set LARKFEED_TEST_POSTGRES)");
                    contract::$name(Arc::new(store)).await;
                }
            )*
        }
        mod memory {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let store = SqliteStore::open(&Location::Memory, Durability::Normal).unwrap();
                    contract::$name(Arc::new(store)).await;
                }
            )*
        }

        #[test]
        fn every_contract_test_runs_here() {
            assert_eq!([$(stringify!($name)),*].as_slice(), contract::ALL);
        }
    };
}

contract_tests!(
    tokens_are_reused_under_the_30_minute_rule,
    racing_token_requests_give_one_live_token,
    chats_and_members,
    racing_chat_creates_with_one_id_store_one_and_fail_the_rest,
    a_uuid_sends_once_inside_its_window,
    racing_sends_with_one_uuid_store_one_message,
    racing_first_sends_to_a_user_open_one_chat,
    message_updates_and_recalls,
    a_card_is_given_once_per_user,
    an_update_changes_only_the_named_users_cards,
    deletes_report_what_existed,
    the_feed_pages_in_order_without_repeats,
    pins_and_buttons,
    meta_values_are_kept,
    racing_uses_of_a_card_token_count_two,
    app_settings_and_user_messages_are_kept,
    a_snapshot_comes_back_identical_and_reset_empties_the_state,
    card_entity_writes_follow_the_rules_handed_in,
    racing_sends_of_one_card_entity_bind_one_message,
    racing_writes_to_one_card_entity_keep_the_highest_sequence,
    reactions_are_listed_oldest_first_and_removed_once,
);

/// A stored id of the wrong kind (an app id without `cli_`) is read back as corrupt data, not
/// handed on as an app id.
#[tokio::test]
async fn a_stored_id_of_the_wrong_kind_is_corrupt_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.db");
    let store = SqliteStore::open(&Location::File(path.clone()), Durability::Normal).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO chats (chat_id, name, description, chat_type, owner_user, owner_app, \
         creator_app, p2p_key, p2p_user, dissolved, created_at) \
         VALUES ('oc_1', '', '', 'private', NULL, NULL, 'om_not_an_app', NULL, NULL, 0, 1)",
        [],
    )
    .unwrap();
    let read = store.get_chat(&"oc_1".parse().unwrap()).await;
    assert!(
        matches!(&read, Err(StoreError::Corrupt(why)) if why.contains("app_id")),
        "{read:?}"
    );
}
