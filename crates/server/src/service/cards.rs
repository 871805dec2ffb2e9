//! Interactive cards after they are sent: the delayed update with a card callback's token.

use super::call::{Call, Reply, Serve};
use super::messages::{content_error, store_content};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::secret::digest;
use crate::store::{CardTokenRow, CardTokenSpend, CardTokenUse, ContentEdit};
use crate::world::App;
use larkfeed_model::endpoint as ep;
use larkfeed_model::message::check_content;
use larkfeed_model::{AppId, Empty, ErrorCode, FieldError, MessageId, UserId};

/// A token for the delayed update of `message_id`'s card, handed out to the app whose card
/// `user_id` clicked: kept as its digest, so the database alone gives no token that works.
pub(crate) async fn hand_out_token(
    state: &AppState,
    app_id: &AppId,
    message_id: &MessageId,
    user_id: &UserId,
) -> Result<String, ApiError> {
    let token = super::new_id("c-");
    let row = CardTokenRow {
        token: digest(&token),
        app_id: app_id.clone(),
        message_id: message_id.clone(),
        user_id: user_id.clone(),
        expires_at_ms: state.clock.now_ms() + CARD_TOKEN_TTL_MS,
        uses: 0,
    };
    state.store.insert_card_token(row).await?;
    Ok(token)
}

/// Replaces a message's card (a callback's answer, or the delayed update); 230011 if the
/// message was recalled meanwhile.
pub(crate) async fn replace_card(
    state: &AppState,
    message_id: &MessageId,
    content: &str,
) -> Result<(), ApiError> {
    let edit = ContentEdit {
        message_id,
        content,
        now_ms: state.clock.now_ms(),
    };
    store_content(state, edit).await
}

/// A card update token lives this long…
pub const CARD_TOKEN_TTL_MS: i64 = 30 * 60 * 1000;
/// …and serves this many updates.
pub const CARD_TOKEN_USES: i64 = 2;

fn invalid(field: &str, rule: impl Into<String>) -> ApiError {
    ApiError::field(
        <ep::DelayedCardUpdate as ep::Endpoint>::INVALID,
        FieldError::new(field, rule.into()),
    )
}

/// `POST /open-apis/interactive/v1/card/update`: the delayed update with a callback's token,
/// 30 minutes and two uses per token. An exclusive card (JSON 1.0 without `update_multi`) names the
/// `open_ids` it is for; a shared card needs none.
impl Serve for ep::DelayedCardUpdate {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let req = call.body;
        let token = req
            .token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| invalid("token", "required: the token of a card callback"))?;
        let mut card = match req.card {
            Some(serde_json::Value::Object(card)) => card,
            Some(_) => return Err(invalid("card", "must be a card JSON object")),
            None => return Err(invalid("card", "required")),
        };
        // `open_ids` names the users whose copy is updated. A shared card (`update_multi`, which
        // every JSON 2.0 card is) is the same for everyone and needs none; only an exclusive JSON
        // 1.0 card must name them (300090). Seed: the delayed-update reference page.
        let open_ids = card.remove("open_ids");
        let content = serde_json::Value::Object(card).to_string();
        let info = check_content("interactive", &content).map_err(content_error)?;
        let shared = info.is_some_and(|i| i.update_multi);
        let named = open_ids
            .as_ref()
            .and_then(|o| o.as_array())
            .is_some_and(|ids| !ids.is_empty());
        if !shared && !named {
            return Err(ApiError::new(ErrorCode::CardOpenIdsEmpty));
        }
        let used = state
            .store
            .use_card_token(CardTokenSpend {
                token: &digest(&token),
                app_id: &app.app_id,
                now_ms: state.clock.now_ms(),
                max_uses: CARD_TOKEN_USES,
            })
            .await?;
        let row = match used {
            CardTokenUse::Used(row) => row,
            CardTokenUse::Unknown => {
                return Err(ApiError::with_detail(
                    ErrorCode::CardTokenInvalid,
                    "no callback of this app handed out this token",
                ))
            }
            CardTokenUse::Expired => {
                return Err(ApiError::with_detail(
                    ErrorCode::CardTokenInvalid,
                    "the token is older than 30 minutes",
                ))
            }
            CardTokenUse::UsedUp => {
                return Err(ApiError::with_detail(
                    ErrorCode::CardTokenInvalid,
                    "the token was already used twice",
                ))
            }
        };
        replace_card(state, &row.message_id, &content).await?;
        Ok(Empty {})
    }
}
