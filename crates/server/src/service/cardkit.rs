//! CardKit card entities: create, the writes (whole card, settings, batch, elements, streaming
//! text), and the conversion of a card message into an entity. Every write goes through
//! [`write`]: the path's id, the entity's 10 writes a second, then one atomic store step in
//! which the platform's rules ([`rules`]) decide from the entity as it is: the app that created
//! it (300311), its 14 days (200750), the uuid of an earlier write (a replay answers as it did;
//! another sequence under it is 200770), a rising sequence (300317), streaming for a content
//! write (300309), the edits, and the card checked again as a whole.

use super::call::{Call, Reply, Serve};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{CardChange, CardEntityRow, CardWrite, CardWritten};
use crate::world::App;
use larkfeed_model::cardkit::{
    self, apply, check_entity_card, check_entity_value, streaming_mode, CardIdResponse, Edit,
    Refusal, Stamp, Write, ENTITY_LIFETIME_MS, STREAMING_FOR_MS, WRITES_PER_SECOND,
};
use larkfeed_model::endpoint::{self as ep, ElementPath, PathParam};
use larkfeed_model::{CardId, Empty, ErrorCode, FieldError, MessageId};
use serde_json::Value;

/// The invalid-parameter code of this module's endpoints, as their descriptions name it.
const INVALID: ErrorCode = <ep::CreateCard as ep::Endpoint>::INVALID;

/// A refusal as the platform answers it: a card that cannot be built in the `ext=ErrCode: …`
/// shape of its reference pages, any other code with its message and what broke.
pub(crate) fn refused(r: Refusal) -> ApiError {
    let msg = if r.code == ErrorCode::CardGenerateFailed {
        format!("{}, ext={}", r.code.message(), r.detail)
    } else {
        format!("{}: {}", r.code.message(), r.detail)
    };
    ApiError::with_msg(r.code, msg)
}

/// A new entity's id: 19 digits, as the platform's are (a path takes at most 20 characters).
fn new_card_id() -> CardId {
    use rand::Rng;
    let n: u64 = rand::thread_rng().gen_range(0..1_000_000_000_000_000_000);
    CardId::with_suffix(&(7_000_000_000_000_000_000 + n).to_string())
}

/// The entity a path names: 1-20 characters (10002 naming `card_id`), then whether it exists is
/// the store's answer.
fn path_card_id(card_id: &str) -> Result<CardId, ApiError> {
    cardkit::check_path_id("card_id", card_id).map_err(|f| ApiError::field(INVALID, f))?;
    CardId::parse(card_id)
        .map_err(|e| ApiError::field(INVALID, FieldError::new("card_id", e.to_string())))
}

fn path_element_id(element_id: &str) -> Result<String, ApiError> {
    cardkit::check_path_id("element_id", element_id).map_err(|f| ApiError::field(INVALID, f))?;
    Ok(element_id.to_string())
}

/// Whether streaming mode is on now: set in the card, and turned on less than 10 minutes ago.
pub(crate) fn streaming_now(row: &CardEntityRow, card: &Value, now_ms: i64) -> bool {
    streaming_mode(card)
        && row
            .streaming_since_ms
            .is_some_and(|since| now_ms - since < STREAMING_FOR_MS)
}

/// Whether the edits turn streaming mode on (again): settings or a whole card that set it true.
fn turns_streaming_on(edits: &[Edit]) -> bool {
    edits.iter().any(|e| match e {
        Edit::Settings(settings) => {
            settings.get("config").and_then(|c| c.get("streaming_mode")) == Some(&Value::Bool(true))
        }
        Edit::Replace(card) => streaming_mode(card),
        _ => false,
    })
}

/// The platform's rules for one write by `app` at `now_ms`, decided on the entity as stored.
fn rules(app: &App, stamp: &Stamp, edits: Vec<Edit>, now_ms: i64) -> crate::store::CardRules {
    let app_id = app.app_id.clone();
    let sequence = stamp.sequence;
    Box::new(move |row: &CardEntityRow, earlier: Option<i64>| {
        if row.app_id != app_id {
            return Err(Refusal::new(
                ErrorCode::CardNotOwner,
                "only the app that created a card entity may write to it",
            ));
        }
        if now_ms - row.created_at_ms >= ENTITY_LIFETIME_MS {
            return Err(Refusal::new(
                ErrorCode::CardEntityExpired,
                "a card entity can be used for 14 days after it was created",
            ));
        }
        match earlier {
            Some(s) if s == sequence => return Ok(CardChange::Replay),
            Some(s) => {
                return Err(Refusal::new(
                    ErrorCode::CardUuidConflict,
                    format!("this uuid was used by the write of sequence {s}"),
                ))
            }
            None => {}
        }
        if sequence <= row.sequence {
            return Err(Refusal::new(
                ErrorCode::CardSequenceNotIncreasing,
                format!(
                    "sequence {sequence} is not above the last write's, {}",
                    row.sequence
                ),
            ));
        }
        let mut card: Value = serde_json::from_str(&row.card)
            .map_err(|e| Refusal::new(ErrorCode::InternalError, e.to_string()))?;
        if edits.iter().any(Edit::streams) && !streaming_now(row, &card, now_ms) {
            let why = if streaming_mode(&card) {
                "streaming mode turned itself off 10 minutes after it was last turned on"
            } else {
                "streaming mode is off: turn config.streaming_mode on with the settings call"
            };
            return Err(Refusal::new(ErrorCode::CardStreamingClosed, why));
        }
        for edit in &edits {
            apply(&mut card, edit)?;
        }
        check_entity_value(&card)?;
        let streaming_since_ms = if !streaming_mode(&card) {
            None
        } else if turns_streaming_on(&edits) {
            Some(now_ms)
        } else {
            row.streaming_since_ms
        };
        Ok(CardChange::Card {
            card: card.to_string(),
            streaming_since_ms,
        })
    })
}

/// One write of `app` to the entity `card_id`: see the module's description.
async fn write(
    state: &AppState,
    app: &App,
    card_id: &str,
    stamp: Stamp,
    edits: Vec<Edit>,
) -> Result<CardEntityRow, ApiError> {
    let card_id = path_card_id(card_id)?;
    for edit in &edits {
        match edit {
            Edit::Replace(card) => images_uploaded(state, card).await?,
            Edit::Add { elements, .. } => {
                for element in elements {
                    images_uploaded(state, element).await?;
                }
            }
            Edit::Update { element, .. } => images_uploaded(state, element).await?,
            // A patch names its properties at the top: `img_key` among them.
            Edit::Patch { partial, .. } => {
                images_uploaded(state, &Value::Object(partial.clone())).await?
            }
            Edit::Settings(_) | Edit::Delete { .. } | Edit::Content { .. } => {}
        }
    }
    let now = state.clock.now_ms();
    state
        .limits
        .count(&format!("cardkit|{card_id}"), WRITES_PER_SECOND, 1000, now)
        .await
        .map_err(|e| ApiError::rate_limited(ErrorCode::RateLimited, e.limit, e.reset_secs))?;
    let rules = rules(app, &stamp, edits, now);
    let written = state
        .store
        .write_card_entity(CardWrite {
            card_id,
            sequence: stamp.sequence,
            uuid: stamp.uuid,
            now_ms: now,
            rules,
        })
        .await?;
    match written {
        CardWritten::Unknown => Err(unknown()),
        CardWritten::Refused(r) => Err(refused(r)),
        CardWritten::Done(row) => Ok(row),
    }
}

fn unknown() -> ApiError {
    refused(Refusal::new(
        ErrorCode::CardEntityUnknown,
        "no card entity has this card_id",
    ))
}

/// The entity `card_id` as an app may send it in a message: it exists, the app created it, it
/// is within its 14 days and was not sent yet. A refusal is the message's 230099 with the
/// CardKit code as its sub-code.
pub(crate) async fn sendable(
    state: &AppState,
    app: &App,
    card_id: &str,
) -> Result<CardId, ApiError> {
    let refuse = |sub: i64, why: &str| {
        ApiError::with_msg(
            ErrorCode::CardInvalid,
            format!(
                "{}, ext=ErrCode: {sub}; ErrMsg: {why}",
                ErrorCode::CardInvalid.message()
            ),
        )
    };
    let unknown = || {
        refuse(
            ErrorCode::CardEntityUnknown.code(),
            "no card entity has this card_id",
        )
    };
    let id = CardId::parse(card_id).map_err(|_| unknown())?;
    let row = state.store.card_entity(&id).await?.ok_or_else(unknown)?;
    if row.app_id != app.app_id {
        return Err(refuse(
            ErrorCode::CardNotOwner.code(),
            "only the app that created a card entity may send it",
        ));
    }
    if state.clock.now_ms() - row.created_at_ms >= ENTITY_LIFETIME_MS {
        return Err(refuse(
            ErrorCode::CardEntityExpired.code(),
            "the card entity has expired (14 days)",
        ));
    }
    if row.message_id.is_some() {
        return Err(taken());
    }
    Ok(id)
}

/// An entity already sent: the catch-all sub-code (a card id that cannot be used).
pub(crate) fn taken() -> ApiError {
    ApiError::with_msg(
        ErrorCode::CardInvalid,
        format!(
            "{}, ext=ErrCode: {}; ErrMsg: this card entity was sent already: an entity is sent once",
            ErrorCode::CardInvalid.message(),
            larkfeed_model::card::sub_code::CATCH_ALL
        ),
    )
}

/// 200220 with sub-code 200570 unless every `img_key` the card or the edit names was uploaded,
/// as an interactive message's card is refused (230099 with 200570).
async fn images_uploaded(state: &AppState, written: &Value) -> Result<(), ApiError> {
    for key in super::resources::keys_in(written) {
        if state.store.upload(&key).await?.is_none() {
            return Err(refused(Refusal::card(larkfeed_model::card::CardError {
                sub_code: larkfeed_model::card::sub_code::IMAGE_KEY,
                detail: format!("no image was uploaded with the img_key {key:?}"),
                path: None,
            })));
        }
    }
    Ok(())
}

/// A new entity of `app` holding `card` (already checked), streaming from now if its config
/// says so, sent already by `message_id` when it was made of a sent card.
async fn store_new(
    state: &AppState,
    app: &App,
    card: &Value,
    message_id: Option<MessageId>,
) -> Result<CardIdResponse, ApiError> {
    let now = state.clock.now_ms();
    let row = CardEntityRow {
        card_id: new_card_id(),
        app_id: app.app_id.clone(),
        card: card.to_string(),
        sequence: 0,
        streaming_since_ms: streaming_mode(card).then_some(now),
        created_at_ms: now,
        updated_at_ms: now,
        message_id,
    };
    let card_id = row.card_id.to_string();
    state.store.insert_card_entity(row).await?;
    Ok(CardIdResponse { card_id })
}

impl Serve for ep::CreateCard {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let card = check_entity_card(&call.body).map_err(refused)?;
        images_uploaded(state, &card).await?;
        store_new(state, app, &card, None).await
    }
}

/// The entity of a card message the app sent: the one it was sent with, or a new one made of
/// its card when that is a JSON 2.0 card.
impl Serve for ep::ConvertCardId {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let unknown_message = || {
            ApiError::field(
                INVALID,
                FieldError::new("message_id", "no message has this id"),
            )
        };
        let message_id = MessageId::parse(call.body).map_err(|_| unknown_message())?;
        let message = state
            .store
            .get_message(&message_id)
            .await?
            .ok_or_else(unknown_message)?;
        if message.sender_app.as_ref() != Some(&app.app_id) {
            return Err(refused(Refusal::new(
                ErrorCode::CardNotOwner,
                "only the app that sent a card message may use its card",
            )));
        }
        if let Some(row) = state.store.card_entity_of_message(&message_id).await? {
            return Ok(CardIdResponse {
                card_id: row.card_id.into_string(),
            });
        }
        if message.msg_type != "interactive" {
            return Err(ApiError::field(
                INVALID,
                FieldError::new("message_id", "the message is not a card"),
            ));
        }
        let card = check_entity_card(&message.content).map_err(refused)?;
        store_new(state, app, &card, Some(message_id)).await
    }
}

impl Serve for ep::UpdateCard {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let PathParam(card_id) = call.path;
        let Write { stamp, body } = call.body;
        let card = check_entity_card(&body).map_err(refused)?;
        write(state, app, &card_id, stamp, vec![Edit::Replace(card)]).await?;
        Ok(Empty {})
    }
}

impl Serve for ep::CardSettings {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let PathParam(card_id) = call.path;
        let Write { stamp, body } = call.body;
        write(state, app, &card_id, stamp, vec![Edit::Settings(body)]).await?;
        Ok(Empty {})
    }
}

impl Serve for ep::BatchUpdateCard {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let PathParam(card_id) = call.path;
        let Write { stamp, body } = call.body;
        write(state, app, &card_id, stamp, body).await?;
        Ok(Empty {})
    }
}

impl Serve for ep::CreateCardElements {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let PathParam(card_id) = call.path;
        let Write { stamp, body } = call.body;
        write(state, app, &card_id, stamp, vec![body]).await?;
        Ok(Empty {})
    }
}

/// A write to one element named by the path: its id checked, then `edit` made of it and the
/// body.
async fn element_write<B>(
    state: &AppState,
    app: &App,
    path: ElementPath,
    write: Write<B>,
    edit: impl FnOnce(String, B) -> Edit,
) -> Result<Empty, ApiError> {
    let id = path_element_id(&path.element_id)?;
    let edit = edit(id, write.body);
    self::write(state, app, &path.card_id, write.stamp, vec![edit]).await?;
    Ok(Empty {})
}

impl Serve for ep::UpdateCardElement {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        element_write(state, app, call.path, call.body, |id, element| {
            Edit::Update { id, element }
        })
        .await
    }
}

impl Serve for ep::PatchCardElement {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        element_write(state, app, call.path, call.body, |id, partial| {
            Edit::Patch { id, partial }
        })
        .await
    }
}

impl Serve for ep::DeleteCardElement {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        element_write(state, app, call.path, call.body, |id, ()| Edit::Delete {
            ids: vec![id],
        })
        .await
    }
}

impl Serve for ep::StreamCardElement {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        element_write(state, app, call.path, call.body, |id, text| Edit::Content {
            id,
            text,
        })
        .await
    }
}
