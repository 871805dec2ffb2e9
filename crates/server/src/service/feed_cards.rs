//! The app feed card family: cards (create, batch update, batch delete; seed 003), chat-button
//! updates (seeds 000/001) and the time-sensitive (pinned) state of feed entries.
//! Per-user problems do not fail the call: they come back in `failed_cards` /
//! `failed_user_reasons`, and every other user is served.

use super::call::{Call, Reply, Serve};
use super::new_p2p_chat;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{
    AppButtons, CardKey, ChatEntry, ChatUsers, FeedCardEdit, FeedCardEdits, FeedCardRow, Member,
    Members, NewFeedCards, P2pPins, StoreResult,
};
use crate::world::{App, User};
use larkfeed_model::endpoint::{self as ep, PathParam, RequiredUserIds, UserIds};
use larkfeed_model::feed_card::{
    AppFeedCardBatchResponse, ChatButtons, CreateAppFeedCardResponse, FailedCard, FailedUserReason,
    NewCard, OpenAppFeedCard, Pins, Reason, TimeSensitiveResponse, UpdateChatButtonResponse,
    UpdateEffects,
};
use larkfeed_model::{BizId, ChatId, ErrorCode, FieldError, UserId, UserIdType};

/// The invalid-parameter code of this module's endpoints, as their descriptions name it.
const INVALID: ErrorCode = <ep::CreateAppFeedCard as ep::Endpoint>::INVALID;

/// Unique ids in the order given: a user named twice gets one card.
fn unique(ids: Vec<String>) -> impl Iterator<Item = String> {
    // The lists are short (at most 50 ids), so a scan of those kept beats hashing each one.
    let mut kept: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        if !kept.contains(&id) {
            kept.push(id);
        }
    }
    kept.into_iter()
}

/// The user an id names, if the app may reach them.
fn reachable<'w>(
    state: &'w AppState,
    app: &App,
    id_type: UserIdType,
    id: &str,
) -> Option<&'w User> {
    state
        .world
        .resolve(app, id_type, id)
        .filter(|u| state.world.is_available(app, u))
}

fn failed_card(biz_id: BizId, user_id: String, reason: Reason) -> FailedCard {
    FailedCard {
        biz_id: biz_id.into_string(),
        user_id,
        reason,
    }
}

/// The users a card operation names, resolved: what goes to the store, for whom (biz_id, the id
/// as asked), and the failures so far.
struct Resolved<K> {
    keys: Vec<K>,
    asked: Vec<(BizId, String)>,
    failed: Vec<FailedCard>,
}

/// The one skeleton of the per-user card operations, first half: each item is (biz_id, user id
/// as asked, what to do); a user the app may not reach fails with NO_PERMISSION, and `key` turns
/// the others into what the store takes (or a reason to fail).
fn resolve<T, K>(
    state: &AppState,
    app: &App,
    id_type: UserIdType,
    items: impl IntoIterator<Item = (BizId, String, T)>,
    mut key: impl FnMut(&User, T) -> Result<K, Reason>,
) -> Resolved<K> {
    let mut resolved = Resolved {
        keys: Vec::new(),
        asked: Vec::new(),
        failed: Vec::new(),
    };
    for (biz_id, id, item) in items {
        let outcome = reachable(state, app, id_type, &id)
            .ok_or(Reason::NoPermission)
            .and_then(|user| key(user, item));
        match outcome {
            Ok(k) => {
                resolved.keys.push(k);
                resolved.asked.push((biz_id, id));
            }
            Err(reason) => resolved.failed.push(failed_card(biz_id, id, reason)),
        }
    }
    resolved
}

impl<K> Resolved<K> {
    /// The second half: `store` acts on the keys in one call (not made when there are none) and
    /// says for each whether it did; `not_done` is the reason of each it did not, after the
    /// failures found while resolving.
    async fn settle<F>(
        self,
        store: impl FnOnce(Vec<K>) -> F,
        not_done: Reason,
    ) -> Result<Vec<FailedCard>, ApiError>
    where
        F: std::future::Future<Output = StoreResult<Vec<bool>>>,
    {
        let Resolved {
            keys,
            asked,
            mut failed,
        } = self;
        let done = if keys.is_empty() {
            Vec::new()
        } else {
            store(keys).await?
        };
        for ((biz_id, id), done) in asked.into_iter().zip(done) {
            if !done {
                failed.push(failed_card(biz_id, id, not_done));
            }
        }
        Ok(failed)
    }
}

impl Serve for ep::CreateAppFeedCard {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let UserIds(id_type) = call.query;
        let req = call.body;
        let NewCard {
            mut card,
            biz_id,
            user_ids,
        } = req;
        let biz_id = biz_id.unwrap_or_else(super::new_biz_id);
        card.biz_id = Some(biz_id.to_string());
        let mut seen = std::collections::HashSet::new();
        let resolved = resolve(
            state,
            app,
            id_type,
            unique(user_ids).map(|id| (biz_id.clone(), id, ())),
            // The same user named twice (by two kinds of id) gets one card.
            |user, ()| {
                if seen.insert(user.user_id.clone()) {
                    Ok(user.user_id.clone())
                } else {
                    Err(Reason::Duplicated)
                }
            },
        );
        let users = resolved.keys.len();
        let unread = i64::from(card.notifies());
        let new = |user_ids| NewFeedCards {
            app_id: app.app_id.clone(),
            biz_id: biz_id.clone(),
            card,
            user_ids,
            now_ms: state.clock.now_ms(),
            unread,
        };
        let failed = resolved
            .settle(
                |keys| state.store.create_feed_cards(new(keys)),
                Reason::Duplicated,
            )
            .await?;
        tracing::debug!(app_id = %app.app_id, %biz_id, users, failed = failed.len(), "created app feed cards");
        Ok(CreateAppFeedCardResponse {
            biz_id: biz_id.into_string(),
            failed_cards: failed,
        })
    }
}

/// The platform's update rule, applied by the store to each stored card inside its transaction.
fn merge(stored: &mut OpenAppFeedCard, edit: &FeedCardEdit) -> UpdateEffects {
    stored.apply_update(&edit.patch, &edit.fields)
}

/// `PUT app_feed_card/batch`: only the fields each card's `update_fields` names change.
impl Serve for ep::UpdateAppFeedCards {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let UserIds(id_type) = call.query;
        let updates = call.body;
        let now = state.clock.now_ms();
        let failed = resolve(
            state,
            app,
            id_type,
            updates
                .into_iter()
                .map(|u| (u.biz_id.clone(), u.user_id.clone(), u)),
            |user, u| {
                Ok(FeedCardEdit {
                    user_id: user.user_id.clone(),
                    biz_id: u.biz_id,
                    patch: u.card,
                    fields: u.fields,
                })
            },
        )
        .settle(
            |edits| {
                state.store.update_feed_cards(FeedCardEdits {
                    app_id: app.app_id.clone(),
                    edits,
                    merge,
                    now_ms: now,
                })
            },
            Reason::NotCreated,
        )
        .await?;
        tracing::debug!(app_id = %app.app_id, failed = failed.len(), "updated app feed cards");
        Ok(AppFeedCardBatchResponse {
            failed_cards: failed,
        })
    }
}

/// `DELETE app_feed_card/batch`.
impl Serve for ep::DeleteAppFeedCards {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let UserIds(id_type) = call.query;
        let cards = call.body;
        let resolved = resolve(
            state,
            app,
            id_type,
            cards
                .into_iter()
                .map(|c| (c.biz_id.clone(), c.user_id, c.biz_id)),
            |user, biz_id| Ok((user.user_id.clone(), biz_id)),
        );
        let cards = resolved.keys.len();
        let failed = resolved
            .settle(
                |keys| state.store.delete_feed_cards(&app.app_id, keys),
                Reason::NotCreated,
            )
            .await?;
        tracing::debug!(app_id = %app.app_id, cards, failed = failed.len(), "deleted app feed cards");
        Ok(AppFeedCardBatchResponse {
            failed_cards: failed,
        })
    }
}

/// One user's card from one app, if they have it.
pub(crate) async fn card_of(
    state: &AppState,
    key: CardKey<'_>,
) -> Result<Option<FeedCardRow>, ApiError> {
    Ok(state.store.feed_card(key).await?)
}

/// The buttons each app shows one user on a chat's entry.
pub(crate) async fn chat_buttons_seen(
    state: &AppState,
    entry: ChatEntry<'_>,
) -> Result<Vec<AppButtons>, ApiError> {
    Ok(state.store.chat_buttons(entry).await?)
}

pub const NOT_IN_CHAT: &str = "The user is not in the chat";
pub const NO_SUCH_USER: &str = "The user does not exist";
pub const NOT_AVAILABLE: &str = "The user is outside the app's availability";

fn failed_user(id: &str, why: &str) -> FailedUserReason {
    FailedUserReason {
        error_code: 0,
        error_message: why.to_string(),
        user_id: id.to_string(),
    }
}

/// A chat the app's bot is in: 230001 naming `field` if there is no such chat, 232009 if it is
/// dissolved, 230027 if the bot is not a member.
async fn chat_with_bot(
    state: &AppState,
    app: &App,
    field: &str,
    chat_id: &str,
) -> Result<ChatId, ApiError> {
    let unknown = || ApiError::field(INVALID, FieldError::new(field, "no chat has this chat_id"));
    let chat = super::chat_with_bot(state, app, chat_id, unknown, ErrorCode::NoPermission).await?;
    Ok(chat.chat_id)
}

/// The tenant user_ids of the named users who are in the chat, and a reason for each other.
async fn members_among(
    state: &AppState,
    app: &App,
    id_type: UserIdType,
    chat_id: &ChatId,
    ids: Vec<String>,
) -> Result<(Vec<UserId>, Vec<FailedUserReason>), ApiError> {
    let named: Vec<(String, Option<UserId>)> = unique(ids)
        .map(|id| {
            let user = state.world.resolve(app, id_type, &id);
            (id, user.map(|u| u.user_id.clone()))
        })
        .collect();
    let users: Vec<Member> = named
        .iter()
        .filter_map(|(_, u)| u.clone().map(Member::User))
        .collect();
    let mut present = state.store.are_members(chat_id, &users).await?.into_iter();
    let (mut members, mut failed) = (Vec::new(), Vec::new());
    // Failures keep the order the users were named in.
    for (id, user_id) in named {
        match user_id {
            None => failed.push(failed_user(&id, NO_SUCH_USER)),
            Some(u) if present.next().unwrap_or(false) => members.push(u),
            Some(_) => failed.push(failed_user(&id, NOT_IN_CHAT)),
        }
    }
    Ok((members, failed))
}

impl Serve for ep::UpdateChatButton {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let UserIds(id_type) = call.query;
        let req = call.body;
        let ChatButtons {
            chat_id,
            user_ids,
            buttons,
        } = req;
        let chat_id = chat_with_bot(state, app, "chat_id", &chat_id).await?;
        let (targets, failed) = match user_ids {
            Some(ids) => members_among(state, app, id_type, &chat_id, ids).await?,
            None => {
                let (all, _) = state
                    .store
                    .list_members(Members::users(&chat_id).all())
                    .await?;
                let users = all.into_iter().filter_map(|m| match m {
                    Member::User(u) => Some(u),
                    Member::Bot(_) => None,
                });
                (users.collect(), Vec::new())
            }
        };
        let users = targets.len();
        let at = ChatUsers {
            app_id: app.app_id.clone(),
            chat_id: chat_id.clone(),
            user_ids: targets,
            now_ms: state.clock.now_ms(),
        };
        state.store.set_chat_buttons(at, &buttons).await?;
        tracing::debug!(app_id = %app.app_id, %chat_id, users, buttons = buttons.len(), "replaced chat buttons");
        Ok(UpdateChatButtonResponse {
            failed_user_reasons: failed,
        })
    }
}

/// `PATCH feed_cards/:feed_card_id`: pins (or unpins) a group's feed entry for some of its members.
impl Serve for ep::PatchFeedCard {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let PathParam(chat_id) = call.path;
        let RequiredUserIds(id_type) = call.query;
        let req = call.body;
        let chat_id = chat_with_bot(state, app, "feed_card_id", &chat_id).await?;
        let Pins { pinned, user_ids } = req;
        let (members, failed) = members_among(state, app, id_type, &chat_id, user_ids).await?;
        let users = members.len();
        let at = ChatUsers {
            app_id: app.app_id.clone(),
            chat_id: chat_id.clone(),
            user_ids: members,
            now_ms: state.clock.now_ms(),
        };
        state.store.set_pins(at, pinned).await?;
        tracing::debug!(app_id = %app.app_id, %chat_id, users, pinned, "set a chat's time-sensitive state");
        Ok(TimeSensitiveResponse {
            failed_user_reasons: failed,
        })
    }
}

/// `PATCH feed_cards/bot_time_sentive`: pins (or unpins) the bot's one-to-one chat with each user,
/// opening the chat if it did not exist yet.
impl Serve for ep::BotTimeSentive {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let UserIds(id_type) = call.query;
        let req = call.body;
        if !app.bot {
            return Err(ApiError::new(ErrorCode::BotAbilityOff));
        }
        let Pins { pinned, user_ids } = req;
        let now = state.clock.now_ms();
        let mut failed = Vec::new();
        let mut chats = Vec::new();
        for id in unique(user_ids) {
            let Some(user) = state.world.resolve(app, id_type, &id) else {
                failed.push(failed_user(&id, NO_SUCH_USER));
                continue;
            };
            if !state.world.is_available(app, user) {
                failed.push(failed_user(&id, NOT_AVAILABLE));
                continue;
            }
            chats.push(new_p2p_chat(&app.app_id, &user.user_id, now));
        }
        let served = chats.len();
        if served > 0 {
            let pins = P2pPins {
                app_id: app.app_id.clone(),
                chats,
                pinned,
                now_ms: now,
            };
            state.store.pin_p2p_chats(pins).await?;
        }
        tracing::debug!(app_id = %app.app_id, users = served, pinned, "set the bot chat's time-sensitive state");
        Ok(TimeSensitiveResponse {
            failed_user_reasons: failed,
        })
    }
}
