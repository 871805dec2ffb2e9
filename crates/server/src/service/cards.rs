//! Interactive cards after they are sent: the delayed update with a card callback's token.

use super::call::{Call, Reply, Serve};
use super::messages::{content_error, store_content};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::secret::digest;
use crate::store::{CardTokenSpend, CardTokenUse, ContentEdit};
use crate::world::App;
use larkfeed_model::endpoint as ep;
use larkfeed_model::message::check_content;
use larkfeed_model::{Empty, ErrorCode, FieldError};

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
        let edit = ContentEdit {
            message_id: &row.message_id,
            content: &content,
            now_ms: state.clock.now_ms(),
        };
        store_content(state, edit).await?;
        Ok(Empty {})
    }
}
