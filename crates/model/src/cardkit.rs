//! CardKit v1 card entities (`/open-apis/cardkit/v1/cards…`): the requests, their field rules,
//! and the edits each write makes to an entity's card JSON 2.0. No IO: the server keeps the
//! entity, checks `sequence`, `uuid`, ownership, expiry and streaming, and calls [`apply`].
//!
//! Sources: the reference pages of each endpoint (cardkit-v1/card/create, update, settings,
//! batch_update; card-element/create, update, patch, delete, content) and the card JSON 2.0
//! structure page; `../shared/spec/BOTS.md` collects them.

use crate::card::{self, sub_code, CardError};
use crate::validate::{self, Checked, FieldError};
use crate::ErrorCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `sequence` is an int32 from 1.
pub const SEQUENCE_MAX: i64 = i32::MAX as i64;
/// `uuid`: 1-64 characters.
pub const UUID_MAX_CHARS: usize = 64;
/// A content write's text: 1-100,000 characters.
pub const CONTENT_MAX_CHARS: usize = 100_000;
/// A card entity's JSON, once built: at most 30 KB (200860 beyond).
pub const ENTITY_LIMIT_BYTES: usize = 30 * 1024;
/// An entity can be used for 14 days after it was created (200750 after).
pub const ENTITY_LIFETIME_MS: i64 = 14 * 24 * 3600 * 1000;
/// Streaming mode turns itself off 10 minutes after it was last turned on.
pub const STREAMING_FOR_MS: i64 = 10 * 60 * 1000;
/// Writes allowed on one entity per second.
pub const WRITES_PER_SECOND: u32 = 10;
/// `card_id` and `element_id` in a path: 1-20 characters.
pub const PATH_ID_MAX_CHARS: usize = 20;

/// Why a write is refused: the platform's code and what broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code:?}: {detail}")]
pub struct Refusal {
    pub code: ErrorCode,
    pub detail: String,
}

impl Refusal {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Refusal {
        Refusal {
            code,
            detail: detail.into(),
        }
    }

    /// A card that cannot be built: 200220 with the card check's sub-code, message and place
    /// (`ErrCode: …; ErrMsg: …; ErrPath: …`), or the CardKit code the reference pages give the
    /// failure its own number for.
    pub fn card(e: CardError) -> Refusal {
        let code = match e.sub_code {
            sub_code::DUPLICATE_ELEMENT_ID => ErrorCode::CardDuplicateElementId,
            sub_code::UPDATE_MULTI => ErrorCode::CardUpdateMultiFalse,
            sub_code::CATCH_ALL if e.detail.contains("at most") => ErrorCode::CardTooManyElements,
            _ => ErrorCode::CardGenerateFailed,
        };
        Refusal::new(code, e.to_string())
    }
}

/// The `sequence` and `uuid` every write carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub sequence: i64,
    pub uuid: Option<String>,
}

fn stamp(sequence: Option<i64>, uuid: &Option<String>) -> Result<Stamp, FieldError> {
    let sequence = *validate::required("sequence", &sequence)?;
    if !(1..=SEQUENCE_MAX).contains(&sequence) {
        return Err(FieldError::new(
            "sequence",
            format!("must be an int32 from 1 to {SEQUENCE_MAX}, got {sequence}"),
        ));
    }
    if let Some(uuid) = uuid {
        validate::char_range("uuid", uuid, 1, UUID_MAX_CHARS)?;
    }
    Ok(Stamp {
        sequence,
        uuid: uuid.clone(),
    })
}

/// A JSON text field holding an object or an array, read.
fn json_field(field: &str, text: &Option<String>) -> Result<Value, FieldError> {
    let text = validate::required(field, text)?;
    if text.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    serde_json::from_str(text)
        .map_err(|e| FieldError::new(field, format!("must be JSON as a string: {e}")))
}

macro_rules! request {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident: $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
        pub struct $name {
            $(
                $(#[$fdoc])*
                #[serde(skip_serializing_if = "Option::is_none")]
                pub $field: $ty,
            )*
        }
    };
}

request! {
    /// Body of `POST /open-apis/cardkit/v1/cards`.
    CreateCardRequest {
        /// `card_json` (a card JSON 2.0 in `data`); `template` (the card builder's) is not held here.
        #[schemars(required)]
        r#type: Option<String>,
        /// The card JSON 2.0, as a string.
        #[schemars(required)]
        data: Option<String>,
    }
}

/// `data.card_id` of a create or an id conversion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CardIdResponse {
    pub card_id: String,
}

impl CreateCardRequest {
    /// The card JSON text, not yet checked as a card (that is [`check_entity_card`]).
    pub fn parse(self) -> Result<String, FieldError> {
        let kind = validate::required("type", &self.r#type)?;
        validate::one_of("type", kind, &["card_json", "template"])?;
        let data = validate::required("data", &self.data)?;
        validate::char_range("data", data, 1, 3_000_000)?;
        if kind == "template" {
            return Err(FieldError::new(
                "type",
                "larkfeed holds no card-builder templates: send the card as card_json",
            ));
        }
        Ok(self.data.unwrap_or_default())
    }

    pub fn validate(&self) -> Checked {
        self.clone().parse().map(drop)
    }
}

/// `card` of a whole-card update.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CardData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub r#type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub data: Option<String>,
}

request! {
    /// Body of `PUT /open-apis/cardkit/v1/cards/:card_id`: the whole card.
    UpdateCardRequest {
        #[schemars(required)]
        card: Option<CardData>,
        uuid: Option<String>,
        #[schemars(required)]
        sequence: Option<i64>,
    }
}

request! {
    /// Body of `PATCH /open-apis/cardkit/v1/cards/:card_id/settings`.
    CardSettingsRequest {
        /// `{"config": {…}, "card_link": {…}}` as a string.
        #[schemars(required)]
        settings: Option<String>,
        uuid: Option<String>,
        #[schemars(required)]
        sequence: Option<i64>,
    }
}

request! {
    /// Body of `POST /open-apis/cardkit/v1/cards/:card_id/batch_update`.
    BatchUpdateCardRequest {
        uuid: Option<String>,
        #[schemars(required)]
        sequence: Option<i64>,
        /// A JSON array of `{action, params}` as a string.
        #[schemars(required)]
        actions: Option<String>,
    }
}

request! {
    /// Body of `POST /open-apis/cardkit/v1/cards/:card_id/elements`.
    CreateElementsRequest {
        /// `insert_before`, `insert_after` or `append`.
        #[schemars(required)]
        r#type: Option<String>,
        /// The element to insert before or after (or to append into, for a container).
        target_element_id: Option<String>,
        uuid: Option<String>,
        #[schemars(required)]
        sequence: Option<i64>,
        /// A JSON array of elements as a string.
        #[schemars(required)]
        elements: Option<String>,
    }
}

request! {
    /// Body of `PUT /open-apis/cardkit/v1/cards/:card_id/elements/:element_id`.
    UpdateElementRequest {
        uuid: Option<String>,
        /// The new element, as a string.
        #[schemars(required)]
        element: Option<String>,
        #[schemars(required)]
        sequence: Option<i64>,
    }
}

request! {
    /// Body of `PATCH /open-apis/cardkit/v1/cards/:card_id/elements/:element_id`.
    PatchElementRequest {
        /// The properties to change, as a string (the tag cannot change).
        #[schemars(required)]
        partial_element: Option<String>,
        uuid: Option<String>,
        #[schemars(required)]
        sequence: Option<i64>,
    }
}

request! {
    /// Body of `DELETE /open-apis/cardkit/v1/cards/:card_id/elements/:element_id`.
    DeleteElementRequest {
        uuid: Option<String>,
        #[schemars(required)]
        sequence: Option<i64>,
    }
}

request! {
    /// Body of `PUT /open-apis/cardkit/v1/cards/:card_id/elements/:element_id/content`.
    ElementContentRequest {
        uuid: Option<String>,
        /// The whole text (1-100,000 characters); the client types out what follows the old
        /// text when the old text is its prefix.
        #[schemars(required)]
        content: Option<String>,
        #[schemars(required)]
        sequence: Option<i64>,
    }
}

request! {
    /// Body of `POST /open-apis/cardkit/v1/cards/id_convert`.
    IdConvertRequest {
        #[schemars(required)]
        message_id: Option<String>,
    }
}

impl IdConvertRequest {
    pub fn parse(self) -> Result<String, FieldError> {
        let id = validate::required("message_id", &self.message_id)?;
        validate::char_range("message_id", id, 1, 50)?;
        Ok(self.message_id.unwrap_or_default())
    }

    pub fn validate(&self) -> Checked {
        self.clone().parse().map(drop)
    }
}

/// Where `add_elements` puts new elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Before,
    After,
    Append,
}

/// One change to an entity's card. Each write is one, or (`batch_update`) several in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// The whole card (`PUT …/cards/:card_id`).
    Replace(Value),
    /// `config` keys merged in, `card_link` replaced.
    Settings(Map<String, Value>),
    Add {
        place: Place,
        target: Option<String>,
        elements: Vec<Value>,
    },
    /// An element replaced whole (`element_id` in the path).
    Update {
        id: String,
        element: Value,
    },
    /// Properties of an element changed.
    Patch {
        id: String,
        partial: Map<String, Value>,
    },
    Delete {
        ids: Vec<String>,
    },
    /// A text element's whole text (a streaming write).
    Content {
        id: String,
        text: String,
    },
}

impl Edit {
    /// Whether this edit needs streaming mode on (only a content write does).
    pub fn streams(&self) -> bool {
        matches!(self, Edit::Content { .. })
    }
}

/// A write read from its request: its stamp and its edits (the path's ids filled in by the
/// server).
#[derive(Debug, Clone, PartialEq)]
pub struct Write<T> {
    pub stamp: Stamp,
    pub body: T,
}

fn object(field: &str, value: Value) -> Result<Map<String, Value>, FieldError> {
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(FieldError::new(field, "must be a JSON object")),
    }
}

impl UpdateCardRequest {
    pub fn parse(self) -> Result<Write<String>, FieldError> {
        let stamp = stamp(self.sequence, &self.uuid)?;
        let card = validate::required("card", &self.card)?;
        let kind = validate::required("card.type", &card.r#type)?;
        validate::one_of("card.type", kind, &["card_json"])?;
        let data = validate::required("card.data", &card.data)?;
        validate::char_range("card.data", data, 1, 3_000_000)?;
        Ok(Write {
            stamp,
            body: data.clone(),
        })
    }
    pub fn validate(&self) -> Checked {
        self.clone().parse().map(drop)
    }
}

impl CardSettingsRequest {
    pub fn parse(self) -> Result<Write<Map<String, Value>>, FieldError> {
        let stamp = stamp(self.sequence, &self.uuid)?;
        let settings = object("settings", json_field("settings", &self.settings)?)?;
        check_settings("settings", &settings)?;
        Ok(Write {
            stamp,
            body: settings,
        })
    }
    pub fn validate(&self) -> Checked {
        self.clone().parse().map(drop)
    }
}

fn check_settings(field: &str, settings: &Map<String, Value>) -> Checked {
    if let Some(key) = settings
        .keys()
        .find(|k| *k != "config" && *k != "card_link")
    {
        return Err(FieldError::new(
            format!("{field}.{key}"),
            "settings take only config and card_link",
        ));
    }
    if let Some(config) = settings.get("config") {
        if !config.is_object() {
            return Err(FieldError::new(
                format!("{field}.config"),
                "must be an object",
            ));
        }
        if let Some(mode) = config.get("streaming_mode") {
            if !mode.is_boolean() {
                return Err(FieldError::new(
                    format!("{field}.config.streaming_mode"),
                    "must be true or false",
                ));
            }
        }
    }
    Ok(())
}

fn place(kind: &str) -> Result<Place, FieldError> {
    match kind {
        "insert_before" => Ok(Place::Before),
        "insert_after" => Ok(Place::After),
        "append" => Ok(Place::Append),
        other => Err(validate::not_one_of(
            "type",
            other,
            &["insert_before", "insert_after", "append"],
        )),
    }
}

fn element_list(field: &str, value: Value) -> Result<Vec<Value>, FieldError> {
    match value {
        Value::Array(items) if !items.is_empty() => Ok(items),
        Value::Array(_) => Err(FieldError::new(field, "at least 1 element")),
        _ => Err(FieldError::new(field, "must be a JSON array of elements")),
    }
}

impl CreateElementsRequest {
    pub fn parse(self) -> Result<Write<Edit>, FieldError> {
        let stamp = stamp(self.sequence, &self.uuid)?;
        let place = place(validate::required("type", &self.r#type)?)?;
        let target = self.target_element_id.filter(|t| !t.is_empty());
        if place != Place::Append && target.is_none() {
            return Err(FieldError::new(
                "target_element_id",
                "is required to insert before or after an element",
            ));
        }
        let elements = element_list("elements", json_field("elements", &self.elements)?)?;
        Ok(Write {
            stamp,
            body: Edit::Add {
                place,
                target,
                elements,
            },
        })
    }
    pub fn validate(&self) -> Checked {
        self.clone().parse().map(drop)
    }
}

impl UpdateElementRequest {
    /// The new element (the `element_id` is the path's).
    pub fn parse(self) -> Result<Write<Value>, FieldError> {
        let stamp = stamp(self.sequence, &self.uuid)?;
        let element = json_field("element", &self.element)?;
        object("element", element.clone())?;
        Ok(Write {
            stamp,
            body: element,
        })
    }
    pub fn validate(&self) -> Checked {
        self.clone().parse().map(drop)
    }
}

impl PatchElementRequest {
    pub fn parse(self) -> Result<Write<Map<String, Value>>, FieldError> {
        let stamp = stamp(self.sequence, &self.uuid)?;
        let partial = object(
            "partial_element",
            json_field("partial_element", &self.partial_element)?,
        )?;
        Ok(Write {
            stamp,
            body: partial,
        })
    }
    pub fn validate(&self) -> Checked {
        self.clone().parse().map(drop)
    }
}

impl DeleteElementRequest {
    pub fn parse(self) -> Result<Write<()>, FieldError> {
        Ok(Write {
            stamp: stamp(self.sequence, &self.uuid)?,
            body: (),
        })
    }
    pub fn validate(&self) -> Checked {
        self.clone().parse().map(drop)
    }
}

impl ElementContentRequest {
    pub fn parse(self) -> Result<Write<String>, FieldError> {
        let stamp = stamp(self.sequence, &self.uuid)?;
        let content = validate::required("content", &self.content)?;
        validate::char_range("content", content, 1, CONTENT_MAX_CHARS)?;
        Ok(Write {
            stamp,
            body: self.content.unwrap_or_default(),
        })
    }
    pub fn validate(&self) -> Checked {
        self.clone().parse().map(drop)
    }
}

impl BatchUpdateCardRequest {
    pub fn parse(self) -> Result<Write<Vec<Edit>>, FieldError> {
        let stamp = stamp(self.sequence, &self.uuid)?;
        let actions = match json_field("actions", &self.actions)? {
            Value::Array(items) if !items.is_empty() => items,
            _ => {
                return Err(FieldError::new(
                    "actions",
                    "must be a non-empty JSON array of {action, params}",
                ))
            }
        };
        let mut edits = Vec::with_capacity(actions.len());
        for (i, action) in actions.into_iter().enumerate() {
            edits.push(batch_action(i, action)?);
        }
        Ok(Write { stamp, body: edits })
    }
    pub fn validate(&self) -> Checked {
        self.clone().parse().map(drop)
    }
}

fn batch_action(i: usize, action: Value) -> Result<Edit, FieldError> {
    let at = |f: &str| format!("actions[{i}].{f}");
    let mut action = object(&format!("actions[{i}]"), action)?;
    let name = action
        .get("action")
        .and_then(Value::as_str)
        .ok_or_else(|| FieldError::new(at("action"), "is required"))?
        .to_string();
    let mut params = object(
        &at("params"),
        action.remove("params").unwrap_or(Value::Null),
    )?;
    let text = |params: &Map<String, Value>, key: &str| {
        params
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| FieldError::new(at(&format!("params.{key}")), "is required"))
    };
    Ok(match name.as_str() {
        "partial_update_setting" => {
            let settings = object(
                &at("params.settings"),
                params.remove("settings").unwrap_or(Value::Null),
            )?;
            check_settings(&at("params.settings"), &settings)?;
            Edit::Settings(settings)
        }
        "add_elements" => {
            let kind = text(&params, "type")?;
            let place = place(&kind).map_err(|e| FieldError::new(at("params.type"), e.rule))?;
            let target = params
                .get("target_element_id")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            if place != Place::Append && target.is_none() {
                return Err(FieldError::new(
                    at("params.target_element_id"),
                    "is required to insert before or after an element",
                ));
            }
            let elements = element_list(
                &at("params.elements"),
                params.remove("elements").unwrap_or(Value::Null),
            )?;
            Edit::Add {
                place,
                target,
                elements,
            }
        }
        "delete_elements" => {
            let ids = params
                .get("element_ids")
                .and_then(Value::as_array)
                .filter(|ids| !ids.is_empty())
                .ok_or_else(|| {
                    FieldError::new(at("params.element_ids"), "a non-empty list of element ids")
                })?
                .iter()
                .map(|id| {
                    id.as_str().map(str::to_string).ok_or_else(|| {
                        FieldError::new(at("params.element_ids"), "element ids are strings")
                    })
                })
                .collect::<Result<_, _>>()?;
            Edit::Delete { ids }
        }
        "partial_update_element" => Edit::Patch {
            id: text(&params, "element_id")?,
            partial: object(
                &at("params.partial_element"),
                params.remove("partial_element").unwrap_or(Value::Null),
            )?,
        },
        "update_element" => {
            let id = text(&params, "element_id")?;
            let element = params.remove("element").unwrap_or(Value::Null);
            object(&at("params.element"), element.clone())?;
            Edit::Update { id, element }
        }
        other => {
            return Err(validate::not_one_of(
                at("action"),
                other,
                &[
                    "partial_update_setting",
                    "add_elements",
                    "delete_elements",
                    "partial_update_element",
                    "update_element",
                ],
            ))
        }
    })
}

/// A card JSON an entity may hold: parses, is not empty (300307), declares schema 2.0 (300303),
/// does not set `update_multi` to false (300302), passes the card JSON 2.0 check (200220 with
/// its sub-code, 300301 for a repeated `element_id`, 300305 over 200 elements), and fits in
/// 30 KB (200860). Returns the card as a value.
pub fn check_entity_card(text: &str) -> Result<Value, Refusal> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        Refusal::card(CardError {
            sub_code: sub_code::PARSE,
            detail: format!("card json parse error: {e}"),
            path: None,
        })
    })?;
    check_entity_value(&value)?;
    Ok(value)
}

/// [`check_entity_card`] of a card already read (after an edit).
pub fn check_entity_value(value: &Value) -> Result<(), Refusal> {
    let card = match value {
        Value::Object(map) if map.is_empty() => {
            return Err(Refusal::new(ErrorCode::CardDslEmpty, "the card JSON is {}"))
        }
        Value::Object(map) => map,
        _ => {
            return Err(Refusal::card(CardError {
                sub_code: sub_code::PARSE,
                detail: "card json must be an object".into(),
                path: None,
            }))
        }
    };
    if card.get("schema").and_then(Value::as_str) != Some("2.0") {
        return Err(Refusal::new(
            ErrorCode::CardNotSchema2,
            "a card entity must declare \"schema\": \"2.0\"",
        ));
    }
    card::check_v2(card).map_err(Refusal::card)?;
    let size = serde_json::to_string(value).map_or(0, |s| s.len());
    if size > ENTITY_LIMIT_BYTES {
        return Err(Refusal::new(
            ErrorCode::CardTooLarge,
            format!("the card is {size} bytes, the limit is {ENTITY_LIMIT_BYTES}"),
        ));
    }
    Ok(())
}

/// Whether the card's `config.streaming_mode` is on.
pub fn streaming_mode(card: &Value) -> bool {
    card.pointer("/config/streaming_mode")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// The element with `element_id` `id` anywhere in the body, with the list that holds it and
/// its index there.
fn locate<'v>(value: &'v mut Value, id: &str) -> Option<(&'v mut Vec<Value>, usize)> {
    match value {
        Value::Array(items) => {
            if let Some(i) = items
                .iter()
                .position(|v| v.get("element_id").and_then(Value::as_str) == Some(id))
            {
                return Some((items, i));
            }
            items.iter_mut().find_map(|child| locate(child, id))
        }
        Value::Object(map) => map.values_mut().find_map(|child| locate(child, id)),
        _ => None,
    }
}

fn body_elements(card: &mut Value) -> Option<&mut Vec<Value>> {
    let body = card
        .as_object_mut()?
        .entry("body")
        .or_insert_with(|| Value::Object(Map::new()));
    let elements = body
        .as_object_mut()?
        .entry("elements")
        .or_insert_with(|| Value::Array(Vec::new()));
    elements.as_array_mut()
}

fn missing(code: ErrorCode, id: &str) -> Refusal {
    Refusal::new(code, format!("no element has element_id {id:?}"))
}

/// Applies one edit to an entity's card, or says why it cannot be made. The card is checked
/// again as a whole after the edits of a write (by the caller, with [`check_entity_value`]).
pub fn apply(card: &mut Value, edit: &Edit) -> Result<(), Refusal> {
    match edit {
        Edit::Replace(new) => {
            *card = new.clone();
        }
        Edit::Settings(settings) => {
            let root = card.as_object_mut().ok_or_else(|| {
                Refusal::new(ErrorCode::CardSettingsFailed, "the card is no object")
            })?;
            if let Some(Value::Object(config)) = settings.get("config") {
                if config.get("update_multi") == Some(&Value::Bool(false)) {
                    return Err(Refusal::new(
                        ErrorCode::CardUpdateMultiFalse,
                        "config.update_multi cannot be false",
                    ));
                }
                let current = root
                    .entry("config")
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Some(current) = current.as_object_mut() {
                    for (k, v) in config {
                        current.insert(k.clone(), v.clone());
                    }
                }
            }
            if let Some(link) = settings.get("card_link") {
                root.insert("card_link".into(), link.clone());
            }
        }
        Edit::Add {
            place,
            target,
            elements,
        } => match (place, target) {
            (Place::Append, None) => {
                let list = body_elements(card).ok_or_else(|| {
                    Refusal::new(ErrorCode::CardElementAddFailed, "the card has no body")
                })?;
                list.extend(elements.iter().cloned());
            }
            (Place::Append, Some(id)) => {
                let (list, i) =
                    locate(card, id).ok_or_else(|| missing(ErrorCode::CardElementAddFailed, id))?;
                let inner = list[i]
                    .get_mut("elements")
                    .and_then(Value::as_array_mut)
                    .ok_or_else(|| {
                        Refusal::new(
                            ErrorCode::CardElementAddFailed,
                            format!("element {id:?} holds no elements to append to"),
                        )
                    })?;
                inner.extend(elements.iter().cloned());
            }
            (place, Some(id)) => {
                let (list, i) =
                    locate(card, id).ok_or_else(|| missing(ErrorCode::CardElementAddFailed, id))?;
                let at = if *place == Place::Before { i } else { i + 1 };
                list.splice(at..at, elements.iter().cloned());
            }
            (_, None) => {
                return Err(Refusal::new(
                    ErrorCode::CardElementAddFailed,
                    "target_element_id is required",
                ))
            }
        },
        Edit::Update { id, element } => {
            let (list, i) =
                locate(card, id).ok_or_else(|| missing(ErrorCode::CardElementReplaceFailed, id))?;
            let mut element = element.clone();
            if let Some(map) = element.as_object_mut() {
                map.entry("element_id")
                    .or_insert_with(|| Value::String(id.clone()));
            }
            list[i] = element;
        }
        Edit::Patch { id, partial } => {
            let (list, i) =
                locate(card, id).ok_or_else(|| missing(ErrorCode::CardElementUpdateFailed, id))?;
            let target = list[i]
                .as_object_mut()
                .ok_or_else(|| missing(ErrorCode::CardElementUpdateFailed, id))?;
            if let Some(tag) = partial.get("tag") {
                if target.get("tag") != Some(tag) {
                    return Err(Refusal::new(
                        ErrorCode::CardElementTagChange,
                        format!("the tag of {id:?} cannot change"),
                    ));
                }
            }
            for (k, v) in partial {
                target.insert(k.clone(), v.clone());
            }
        }
        Edit::Delete { ids } => {
            for id in ids {
                let (list, i) = locate(card, id)
                    .ok_or_else(|| missing(ErrorCode::CardElementDeleteFailed, id))?;
                list.remove(i);
            }
        }
        Edit::Content { id, text } => {
            let (list, i) =
                locate(card, id).ok_or_else(|| missing(ErrorCode::CardElementUpdateFailed, id))?;
            let element = list[i]
                .as_object_mut()
                .ok_or_else(|| missing(ErrorCode::CardElementUpdateFailed, id))?;
            let tag = element.get("tag").and_then(Value::as_str).unwrap_or("");
            if tag != "plain_text" && tag != "markdown" {
                return Err(Refusal::new(
                    ErrorCode::CardOnlyUpdateText,
                    format!("{id:?} is a {tag}: only plain_text and markdown take a content write"),
                ));
            }
            element.insert("content".into(), Value::String(text.clone()));
        }
    }
    Ok(())
}

/// A card a client shows of a text element while it streams: the `content` of the element
/// `id`, if the card has one.
pub fn element_text<'v>(card: &'v Value, id: &str) -> Option<&'v str> {
    fn find<'v>(value: &'v Value, id: &str) -> Option<&'v Value> {
        match value {
            Value::Object(map) => {
                if map.get("element_id").and_then(Value::as_str) == Some(id) {
                    return Some(value);
                }
                map.values().find_map(|v| find(v, id))
            }
            Value::Array(items) => items.iter().find_map(|v| find(v, id)),
            _ => None,
        }
    }
    find(card, id)?.get("content")?.as_str()
}

/// Why a path's `card_id` or `element_id` is not one (1-20 characters), or `None`.
pub fn check_path_id(field: &str, value: &str) -> Checked {
    validate::char_range(field, value, 1, PATH_ID_MAX_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stream_card() -> Value {
        json!({"schema": "2.0", "config": {"streaming_mode": true},
               "body": {"elements": [{"tag": "markdown", "element_id": "md", "content": "..."},
                                     {"tag": "button", "element_id": "btn", "text": {"tag": "plain_text", "content": "ok"}}]}})
    }

    #[test]
    fn an_entity_card_must_be_json_2() {
        let code = |text: &str| check_entity_card(text).unwrap_err().code;
        assert_eq!(code("{"), ErrorCode::CardGenerateFailed);
        assert_eq!(code("{}"), ErrorCode::CardDslEmpty);
        assert_eq!(code(r#"{"elements":[]}"#), ErrorCode::CardNotSchema2);
        assert_eq!(
            code(r#"{"schema":"2.0","config":{"update_multi":false},"body":{}}"#),
            ErrorCode::CardUpdateMultiFalse
        );
        assert_eq!(
            code(
                r#"{"schema":"2.0","body":{"elements":[{"tag":"markdown","element_id":"a"},{"tag":"hr","element_id":"a"}]}}"#
            ),
            ErrorCode::CardDuplicateElementId
        );
        let many: Vec<_> = (0..201).map(|_| json!({"tag": "hr"})).collect();
        let many = json!({"schema": "2.0", "body": {"elements": many}}).to_string();
        assert_eq!(code(&many), ErrorCode::CardTooManyElements);
        let big = json!({"schema": "2.0", "body": {"elements": [{"tag": "markdown", "content": "x".repeat(31 * 1024)}]}});
        assert_eq!(code(&big.to_string()), ErrorCode::CardTooLarge);
        let refusal = check_entity_card(r#"{"schema":"2.0","body":{"elements":[{"tag":"note"}]}}"#)
            .unwrap_err();
        assert_eq!(refusal.code, ErrorCode::CardGenerateFailed);
        assert!(
            refusal.detail.starts_with("ErrCode: 200861;"),
            "{}",
            refusal.detail
        );
        assert!(check_entity_card(&stream_card().to_string()).is_ok());
    }

    #[test]
    fn a_content_write_sets_the_text_of_text_elements_only() {
        let mut card = stream_card();
        let write = |id: &str| Edit::Content {
            id: id.into(),
            text: "hello".into(),
        };
        apply(&mut card, &write("md")).unwrap();
        assert_eq!(element_text(&card, "md"), Some("hello"));
        assert_eq!(
            apply(&mut card, &write("btn")).unwrap_err().code,
            ErrorCode::CardOnlyUpdateText
        );
        assert_eq!(
            apply(&mut card, &write("nope")).unwrap_err().code,
            ErrorCode::CardElementUpdateFailed
        );
    }

    #[test]
    fn elements_are_added_replaced_patched_and_deleted_in_place() {
        let mut card = stream_card();
        let add = |place, target: Option<&str>, id: &str| Edit::Add {
            place,
            target: target.map(str::to_string),
            elements: vec![json!({"tag": "markdown", "element_id": id, "content": id})],
        };
        apply(&mut card, &add(Place::Before, Some("md"), "first")).unwrap();
        apply(&mut card, &add(Place::After, Some("md"), "second")).unwrap();
        apply(&mut card, &add(Place::Append, None, "last")).unwrap();
        let ids = |card: &Value| -> Vec<String> {
            card["body"]["elements"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["element_id"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(ids(&card), ["first", "md", "second", "btn", "last"]);
        assert_eq!(
            apply(&mut card, &add(Place::After, Some("gone"), "x"))
                .unwrap_err()
                .code,
            ErrorCode::CardElementAddFailed
        );
        apply(
            &mut card,
            &Edit::Delete {
                ids: vec!["first".into(), "last".into()],
            },
        )
        .unwrap();
        assert_eq!(ids(&card), ["md", "second", "btn"]);
        assert_eq!(
            apply(
                &mut card,
                &Edit::Delete {
                    ids: vec!["first".into()]
                }
            )
            .unwrap_err()
            .code,
            ErrorCode::CardElementDeleteFailed
        );
        let mut partial = Map::new();
        partial.insert("tag".into(), json!("plain_text"));
        assert_eq!(
            apply(
                &mut card,
                &Edit::Patch {
                    id: "md".into(),
                    partial
                }
            )
            .unwrap_err()
            .code,
            ErrorCode::CardElementTagChange
        );
        let mut partial = Map::new();
        partial.insert("text_size".into(), json!("heading"));
        apply(
            &mut card,
            &Edit::Patch {
                id: "md".into(),
                partial,
            },
        )
        .unwrap();
        assert_eq!(card["body"]["elements"][0]["text_size"], "heading");
        apply(
            &mut card,
            &Edit::Update {
                id: "second".into(),
                element: json!({"tag": "hr"}),
            },
        )
        .unwrap();
        assert_eq!(
            card["body"]["elements"][1],
            json!({"tag": "hr", "element_id": "second"})
        );
    }

    #[test]
    fn settings_merge_config_and_refuse_update_multi_false() {
        let mut card = stream_card();
        let settings: Map<String, Value> = serde_json::from_str(
            r#"{"config":{"streaming_mode":false,"summary":{"content":"done"}}}"#,
        )
        .unwrap();
        apply(&mut card, &Edit::Settings(settings)).unwrap();
        assert!(!streaming_mode(&card));
        assert_eq!(card["config"]["summary"]["content"], "done");
        let settings: Map<String, Value> =
            serde_json::from_str(r#"{"config":{"update_multi":false}}"#).unwrap();
        assert_eq!(
            apply(&mut card, &Edit::Settings(settings))
                .unwrap_err()
                .code,
            ErrorCode::CardUpdateMultiFalse
        );
    }

    #[test]
    fn a_write_needs_a_rising_int32_sequence_and_a_short_uuid() {
        let write = |sequence, uuid: Option<&str>| ElementContentRequest {
            uuid: uuid.map(str::to_string),
            content: Some("x".into()),
            sequence,
        };
        assert_eq!(write(None, None).parse().unwrap_err().field, "sequence");
        assert_eq!(write(Some(0), None).parse().unwrap_err().field, "sequence");
        assert_eq!(
            write(Some(SEQUENCE_MAX + 1), None)
                .parse()
                .unwrap_err()
                .field,
            "sequence"
        );
        assert_eq!(
            write(Some(1), Some(&"u".repeat(65)))
                .parse()
                .unwrap_err()
                .field,
            "uuid"
        );
        assert_eq!(write(Some(1), Some("")).parse().unwrap_err().field, "uuid");
        assert!(write(Some(SEQUENCE_MAX), Some(&"u".repeat(64)))
            .parse()
            .is_ok());
        let long = ElementContentRequest {
            content: Some("x".repeat(CONTENT_MAX_CHARS + 1)),
            sequence: Some(1),
            uuid: None,
        };
        assert_eq!(long.parse().unwrap_err().field, "content");
    }

    #[test]
    fn batch_actions_are_read_in_order() {
        let req = BatchUpdateCardRequest {
            uuid: None,
            sequence: Some(3),
            actions: Some(json!([
                {"action": "partial_update_setting", "params": {"settings": {"config": {"streaming_mode": true}}}},
                {"action": "add_elements", "params": {"type": "append", "elements": [{"tag": "hr"}]}},
                {"action": "delete_elements", "params": {"element_ids": ["a"]}},
                {"action": "partial_update_element", "params": {"element_id": "b", "partial_element": {"content": "x"}}},
                {"action": "update_element", "params": {"element_id": "c", "element": {"tag": "hr"}}},
            ]).to_string()),
        };
        let edits = req.parse().unwrap().body;
        assert_eq!(edits.len(), 5);
        assert!(matches!(edits[0], Edit::Settings(_)));
        assert!(matches!(edits[4], Edit::Update { .. }));
        let bad = BatchUpdateCardRequest {
            uuid: None,
            sequence: Some(1),
            actions: Some(r#"[{"action":"explode","params":{}}]"#.into()),
        };
        assert_eq!(bad.parse().unwrap_err().field, "actions[0].action");
    }
}
