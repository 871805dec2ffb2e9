//! App feed cards (`/open-apis/im/v2/app_feed_card`) and the quick-action buttons of a chat's feed
//! entry (`/open-apis/im/v2/chat_button`). Both share the button object and its rules.

use crate::ids::{BizId, ChatId};
use crate::validate::{self, At, Checked, FieldError, Nth};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

pub const MAX_USERS: usize = 20;
pub const MAX_BUTTONS: usize = 2;
pub const MAX_URL: usize = 700;

/// `open_app_feed_card`: what the user sees at the top of their message feed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OpenAppFeedCard {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_label: Option<StatusLabel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buttons: Option<Buttons>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<Link>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_sensitive: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<Notify>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StatusLabel {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub text: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Buttons {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub buttons: Option<Vec<Button>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Button {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_url: Option<MultiUrl>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub action_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub text: Option<ButtonText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub button_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_map: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MultiUrl {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub android_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ios_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pc_url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ButtonText {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub text: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Link {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Notify {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_notify: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_sound_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with_custom_sound: Option<bool>,
}

pub const STATUS_LABEL_TYPES: &[&str] = &["primary", "secondary", "success", "danger"];
pub const ACTION_TYPES: &[&str] = &["url_page", "webhook"];
pub const BUTTON_TYPES: &[&str] = &["default", "primary", "success"];

impl OpenAppFeedCard {
    /// Checks every field that is present. `creating` adds the rules of creation (a link is required).
    pub fn validate(&self, at: impl fmt::Display + Copy, creating: bool) -> Checked {
        if let Some(biz_id) = &self.biz_id {
            validate::max_chars(At(at, "biz_id"), biz_id, 200)?;
        }
        if let Some(title) = &self.title {
            validate::max_chars(At(at, "title"), title, 60)?;
        }
        if let Some(avatar) = &self.avatar_key {
            validate::max_chars(At(at, "avatar_key"), avatar, 100)?;
        }
        if let Some(preview) = &self.preview {
            validate::max_chars(At(at, "preview"), preview, 120)?;
        }
        if let Some(label) = &self.status_label {
            let at = At(at, "status_label");
            let text = validate::required(At(at, "text"), &label.text)?;
            validate::char_range(At(at, "text"), text, 1, 20)?;
            let kind = validate::required(At(at, "type"), &label.kind)?;
            validate::one_of(At(at, "type"), kind, STATUS_LABEL_TYPES)?;
        }
        if let Some(buttons) = &self.buttons {
            buttons.validate(At(at, "buttons"))?;
        }
        match &self.link {
            Some(link) => {
                let at = At(at, "link");
                let url = match (&link.link, creating) {
                    (Some(url), _) => url,
                    (None, true) => {
                        return Err(FieldError::new(At(at, "link").to_string(), "is required"))
                    }
                    (None, false) => return Ok(()),
                };
                validate::https_url(At(at, "link"), url, MAX_URL)?;
            }
            None if creating => {
                return Err(FieldError::new(At(at, "link").to_string(), "is required"))
            }
            None => {}
        }
        if let Some(notify) = &self.notify {
            if let Some(sound) = &notify.custom_sound_text {
                validate::max_chars(At(at, "notify.custom_sound_text"), sound, 20)?;
            }
        }
        Ok(())
    }
}

impl Buttons {
    /// `buttons` is required inside the object and holds 0–2 buttons.
    pub fn validate(&self, at: impl fmt::Display + Copy) -> Checked {
        let list_at = At(at, "buttons");
        let list = validate::required(list_at, &self.buttons)?;
        if list.len() > MAX_BUTTONS {
            return Err(FieldError::new(
                format!("{list_at}[{MAX_BUTTONS}]"),
                format!("at most {MAX_BUTTONS} buttons, got {}", list.len()),
            ));
        }
        for (i, b) in list.iter().enumerate() {
            b.validate(Nth(list_at, i))?;
        }
        Ok(())
    }
}

impl Button {
    pub fn validate(&self, at: impl fmt::Display + Copy) -> Checked {
        if let Some(urls) = &self.multi_url {
            let at = At(at, "multi_url");
            for (name, value) in [
                ("url", &urls.url),
                ("android_url", &urls.android_url),
                ("ios_url", &urls.ios_url),
                ("pc_url", &urls.pc_url),
            ] {
                if let Some(v) = value {
                    validate::https_url(At(at, name), v, MAX_URL)?;
                }
            }
        }
        let action = validate::required(At(at, "action_type"), &self.action_type)?;
        validate::one_of(At(at, "action_type"), action, ACTION_TYPES)?;
        let text_at = At(at, "text.text");
        let text = self.text.as_ref().and_then(|t| t.text.as_ref());
        let text = text.ok_or_else(|| FieldError::new(text_at.to_string(), "is required"))?;
        validate::char_range(text_at, text, 1, 30)?;
        if let Some(kind) = &self.button_type {
            validate::one_of(At(at, "button_type"), kind, BUTTON_TYPES)?;
        }
        Ok(())
    }
}

/// 1 to `max` user ids, none blank.
fn parse_user_ids(
    field: &str,
    ids: Option<Vec<String>>,
    max: usize,
) -> Result<Vec<String>, FieldError> {
    let list = validate::required(field, &ids)?;
    validate::list_len(field, list, 1, max)?;
    if let Some(i) = list.iter().position(|id| id.trim().is_empty()) {
        return Err(FieldError::new(
            format!("{field}[{i}]"),
            "must not be empty",
        ));
    }
    Ok(ids.unwrap_or_default())
}

/// Body of `POST /open-apis/im/v2/app_feed_card` (seed 003).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CreateAppFeedCardRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub app_feed_card: Option<OpenAppFeedCard>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub user_ids: Option<Vec<String>>,
}

/// A create request that passed every rule.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCard {
    pub card: OpenAppFeedCard,
    /// The app's key for the card; `None`: the platform makes one.
    pub biz_id: Option<BizId>,
    pub user_ids: Vec<String>,
}

impl CreateAppFeedCardRequest {
    pub fn parse(self) -> Result<NewCard, FieldError> {
        let card = validate::required("app_feed_card", &self.app_feed_card)?;
        card.validate("app_feed_card", true)?;
        let user_ids = parse_user_ids("user_ids", self.user_ids, MAX_USERS)?;
        // An empty biz_id, like none, asks the platform to make one.
        let biz_id = card
            .biz_id
            .as_deref()
            .and_then(|text| BizId::parse(text).ok());
        Ok(NewCard {
            card: self.app_feed_card.unwrap_or_default(),
            biz_id,
            user_ids,
        })
    }

    pub fn validate(&self) -> Checked {
        self.clone().parse().map(drop)
    }
}

/// Why a card could not be written for one user (`failed_cards[].reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Reason {
    /// The app may not reach the user (unknown, or outside its availability).
    NoPermission,
    /// No card with this `biz_id` was created for the user.
    NotCreated,
    RateLimited,
    /// The user already has this card, or was named twice.
    Duplicated,
    /// Any other reason (and any the platform adds later).
    #[serde(other)]
    Unknown,
}

impl Reason {
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::NoPermission => "NO_PERMISSION",
            Reason::NotCreated => "NOT_CREATED",
            Reason::RateLimited => "RATE_LIMITED",
            Reason::Duplicated => "DUPLICATED",
            Reason::Unknown => "UNKNOWN",
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FailedCard {
    pub biz_id: String,
    pub user_id: String,
    pub reason: Reason,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CreateAppFeedCardResponse {
    #[serde(default)]
    pub biz_id: String,
    #[serde(default)]
    pub failed_cards: Vec<FailedCard>,
}

/// Body of `PUT /open-apis/im/v2/chat_button` (seeds 000/001).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UpdateChatButtonRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_ids: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub chat_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buttons: Option<Buttons>,
}

/// A chat-button update that passed every rule.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatButtons {
    pub chat_id: ChatId,
    /// The users whose entry changes; `None`: every member.
    pub user_ids: Option<Vec<String>>,
    /// The new buttons (none: the entry has no buttons).
    pub buttons: Vec<Button>,
}

impl UpdateChatButtonRequest {
    pub fn parse(self) -> Result<ChatButtons, FieldError> {
        let chat_id = validate::id("chat_id", &self.chat_id)?;
        let user_ids = self
            .user_ids
            .map(|ids| parse_user_ids("user_ids", Some(ids), MAX_USERS))
            .transpose()?;
        if let Some(buttons) = &self.buttons {
            buttons.validate("buttons")?;
        }
        Ok(ChatButtons {
            chat_id,
            user_ids,
            buttons: self.buttons.and_then(|b| b.buttons).unwrap_or_default(),
        })
    }

    pub fn validate(&self) -> Checked {
        self.clone().parse().map(drop)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FailedUserReason {
    pub error_code: i64,
    pub error_message: String,
    pub user_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UpdateChatButtonResponse {
    #[serde(default)]
    pub failed_user_reasons: Vec<FailedUserReason>,
}

/// What one `update_fields` code asks an update to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UpdateField {
    Title,
    AvatarKey,
    Preview,
    StatusLabel,
    Buttons,
    Link,
    TimeSensitive,
    /// Moves the card's display time to now.
    DisplayTime,
    /// Moves the card's sort time to now (it rises in the feed).
    SortTime,
    /// Notifies the user again.
    Notify,
}

impl UpdateField {
    pub const ALL: [UpdateField; 10] = [
        UpdateField::Title,
        UpdateField::AvatarKey,
        UpdateField::Preview,
        UpdateField::StatusLabel,
        UpdateField::Buttons,
        UpdateField::Link,
        UpdateField::TimeSensitive,
        UpdateField::DisplayTime,
        UpdateField::SortTime,
        UpdateField::Notify,
    ];

    /// The code on the wire.
    pub const fn code(self) -> &'static str {
        match self {
            UpdateField::Title => "1",
            UpdateField::AvatarKey => "2",
            UpdateField::Preview => "3",
            UpdateField::StatusLabel => "10",
            UpdateField::Buttons => "11",
            UpdateField::Link => "12",
            UpdateField::TimeSensitive => "13",
            UpdateField::DisplayTime => "101",
            UpdateField::SortTime => "102",
            UpdateField::Notify => "103",
        }
    }

    pub fn from_code(code: &str) -> Option<UpdateField> {
        UpdateField::ALL.into_iter().find(|f| f.code() == code)
    }

    /// The card field this code changes, and whether `card` gives it: an update never clears a
    /// field by omission. `None` for the codes that change no content.
    fn given_in(self, card: &OpenAppFeedCard) -> Option<(&'static str, bool)> {
        Some(match self {
            UpdateField::Title => ("title", card.title.is_some()),
            UpdateField::AvatarKey => ("avatar_key", card.avatar_key.is_some()),
            UpdateField::Preview => ("preview", card.preview.is_some()),
            UpdateField::StatusLabel => ("status_label", card.status_label.is_some()),
            UpdateField::Buttons => ("buttons", card.buttons.is_some()),
            UpdateField::Link => (
                "link.link",
                card.link.as_ref().is_some_and(|l| l.link.is_some()),
            ),
            UpdateField::TimeSensitive => ("time_sensitive", card.time_sensitive.is_some()),
            UpdateField::DisplayTime | UpdateField::SortTime | UpdateField::Notify => return None,
        })
    }
}

/// The codes `update_fields` may hold, as the wire spells them ([`UpdateField::code`]).
pub mod update_field {
    use super::UpdateField;

    pub const TITLE: &str = UpdateField::Title.code();
    pub const AVATAR_KEY: &str = UpdateField::AvatarKey.code();
    pub const PREVIEW: &str = UpdateField::Preview.code();
    pub const STATUS_LABEL: &str = UpdateField::StatusLabel.code();
    pub const BUTTONS: &str = UpdateField::Buttons.code();
    pub const LINK: &str = UpdateField::Link.code();
    pub const TIME_SENSITIVE: &str = UpdateField::TimeSensitive.code();
    pub const DISPLAY_TIME: &str = UpdateField::DisplayTime.code();
    pub const SORT_TIME: &str = UpdateField::SortTime.code();
    pub const NOTIFY: &str = UpdateField::Notify.code();
}

/// What an update asks beyond the card's content.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpdateEffects {
    pub display_time: bool,
    pub sort_time: bool,
    pub notify: bool,
}

/// One card of `PUT /open-apis/im/v2/app_feed_card/batch`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UserOpenAppFeedCardUpdater {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub app_feed_card: Option<OpenAppFeedCard>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub update_fields: Option<Vec<String>>,
}

/// One (card, user) update that passed every rule.
#[derive(Debug, Clone, PartialEq)]
pub struct CardUpdate {
    pub biz_id: BizId,
    pub user_id: String,
    /// The fields `fields` names are taken from here.
    pub card: OpenAppFeedCard,
    pub fields: Vec<UpdateField>,
}

impl UserOpenAppFeedCardUpdater {
    pub fn parse(self, at: impl fmt::Display + Copy) -> Result<CardUpdate, FieldError> {
        let card_at = At(at, "app_feed_card");
        let card = validate::required(card_at, &self.app_feed_card)?;
        let biz_id = validate::id(At(card_at, "biz_id"), &card.biz_id)?;
        card.validate(card_at, false)?;
        let user_id = non_empty(At(at, "user_id"), &self.user_id)?;
        let fields_at = At(at, "update_fields");
        let codes = validate::required(fields_at, &self.update_fields)?;
        validate::list_len(fields_at, codes, 1, 20)?;
        let mut fields = Vec::with_capacity(codes.len());
        for (i, code) in codes.iter().enumerate() {
            let f_at = Nth(fields_at, i);
            let field = UpdateField::from_code(code).ok_or_else(|| {
                let codes: Vec<&str> = UpdateField::ALL.iter().map(|f| f.code()).collect();
                validate::not_one_of(f_at, code, &codes)
            })?;
            if let Some((name, false)) = field.given_in(card) {
                return Err(FieldError::new(
                    At(card_at, name).to_string(),
                    format!("is required because {f_at} is \"{code}\""),
                ));
            }
            fields.push(field);
        }
        Ok(CardUpdate {
            biz_id,
            user_id,
            card: self.app_feed_card.unwrap_or_default(),
            fields,
        })
    }
}

impl OpenAppFeedCard {
    /// Copies into `self` the fields of `from` that `update_fields` names, and says which of the
    /// time and notification effects were asked for. Fields not named stay as they are.
    pub fn apply_update(
        &mut self,
        from: &OpenAppFeedCard,
        fields: &[UpdateField],
    ) -> UpdateEffects {
        let mut effects = UpdateEffects::default();
        for f in fields {
            match f {
                UpdateField::Title => self.title = from.title.clone(),
                UpdateField::AvatarKey => self.avatar_key = from.avatar_key.clone(),
                UpdateField::Preview => self.preview = from.preview.clone(),
                UpdateField::StatusLabel => self.status_label = from.status_label.clone(),
                UpdateField::Buttons => self.buttons = from.buttons.clone(),
                UpdateField::Link => self.link = from.link.clone(),
                UpdateField::TimeSensitive => self.time_sensitive = from.time_sensitive,
                UpdateField::DisplayTime => effects.display_time = true,
                UpdateField::SortTime => effects.sort_time = true,
                UpdateField::Notify => effects.notify = true,
            }
        }
        effects
    }

    /// Whether creating this card notifies the user (`notify.close_notify` is false by default).
    pub fn notifies(&self) -> bool {
        !self
            .notify
            .as_ref()
            .and_then(|n| n.close_notify)
            .unwrap_or(false)
    }
}

/// A required string that is not blank.
fn non_empty(field: impl fmt::Display, value: &Option<String>) -> Result<String, FieldError> {
    let value = validate::required(&field, value)?;
    if value.trim().is_empty() {
        return Err(FieldError::new(field.to_string(), "must not be empty"));
    }
    Ok(value.clone())
}

/// `feed_cards`: 1 to 20 items, each parsed by `each` (given its field path).
fn parse_batch<T, V>(
    items: Option<Vec<T>>,
    each: impl Fn(T, Nth<&str>) -> Result<V, FieldError>,
) -> Result<Vec<V>, FieldError> {
    let list = validate::required("feed_cards", &items)?;
    validate::list_len("feed_cards", list, 1, MAX_USERS)?;
    items
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, item)| each(item, Nth("feed_cards", i)))
        .collect()
}

/// Body of `PUT /open-apis/im/v2/app_feed_card/batch`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UpdateAppFeedCardBatchRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub feed_cards: Option<Vec<UserOpenAppFeedCardUpdater>>,
}

impl UpdateAppFeedCardBatchRequest {
    pub fn parse(self) -> Result<Vec<CardUpdate>, FieldError> {
        parse_batch(self.feed_cards, |c, at| c.parse(at))
    }

    pub fn validate(&self) -> Checked {
        self.clone().parse().map(drop)
    }
}

/// Answer of both batch endpoints: the cards that could not be changed, and why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AppFeedCardBatchResponse {
    #[serde(default)]
    pub failed_cards: Vec<FailedCard>,
}

/// One card of `DELETE /open-apis/im/v2/app_feed_card/batch`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UserOpenAppFeedCardDeleter {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub biz_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub user_id: Option<String>,
}

/// Body of `DELETE /open-apis/im/v2/app_feed_card/batch`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DeleteAppFeedCardBatchRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub feed_cards: Option<Vec<UserOpenAppFeedCardDeleter>>,
}

/// One (card, user) pair to delete, as named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardKey {
    pub biz_id: BizId,
    pub user_id: String,
}

impl DeleteAppFeedCardBatchRequest {
    pub fn parse(self) -> Result<Vec<CardKey>, FieldError> {
        parse_batch(self.feed_cards, |c, at| {
            let biz_id: BizId = validate::id(At(at, "biz_id"), &c.biz_id)?;
            validate::max_chars(At(at, "biz_id"), &biz_id, 200)?;
            let user_id = non_empty(At(at, "user_id"), &c.user_id)?;
            Ok(CardKey { biz_id, user_id })
        })
    }

    pub fn validate(&self) -> Checked {
        self.clone().parse().map(drop)
    }
}

/// Most users one time-sensitive call may name.
pub const MAX_PIN_USERS: usize = 50;

/// Body of `PATCH /open-apis/im/v2/feed_cards/:feed_card_id`: pin or unpin a group's feed entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PatchFeedCardRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub time_sensitive: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub user_ids: Option<Vec<String>>,
}

/// Pin or unpin, for these users: a time-sensitive request that passed every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pins {
    pub pinned: bool,
    pub user_ids: Vec<String>,
}

fn parse_pins(
    time_sensitive: Option<bool>,
    user_ids: Option<Vec<String>>,
) -> Result<Pins, FieldError> {
    let pinned = *validate::required("time_sensitive", &time_sensitive)?;
    let user_ids = parse_user_ids("user_ids", user_ids, MAX_PIN_USERS)?;
    Ok(Pins { pinned, user_ids })
}

impl PatchFeedCardRequest {
    pub fn parse(self) -> Result<Pins, FieldError> {
        parse_pins(self.time_sensitive, self.user_ids)
    }

    pub fn validate(&self) -> Checked {
        self.clone().parse().map(drop)
    }
}

/// Body of `PATCH /open-apis/im/v2/feed_cards/bot_time_sentive` (the platform's spelling):
/// pin or unpin the bot's one-to-one chat.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BotTimeSentiveRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub time_sensitive: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub user_ids: Option<Vec<String>>,
}

impl BotTimeSentiveRequest {
    pub fn parse(self) -> Result<Pins, FieldError> {
        parse_pins(self.time_sensitive, self.user_ids)
    }

    pub fn validate(&self) -> Checked {
        self.clone().parse().map(drop)
    }
}

/// Answer of both time-sensitive endpoints.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TimeSensitiveResponse {
    #[serde(default)]
    pub failed_user_reasons: Vec<FailedUserReason>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn seed_card() -> serde_json::Value {
        json!({
            "biz_id": "096e2927-40a6-41a3-9562-314d641d09ae",
            "title": "主标题",
            "avatar_key": "v3_0041_007bca9f-67ba-4199-bf00-4031b12cf226",
            "preview": "预览信息",
            "status_label": {"text": "标签文字", "type": "primary"},
            "buttons": {"buttons": [{
                "multi_url": {"url": "https://www.feishu.cn/", "android_url": "https://www.feishu.cn/",
                              "ios_url": "https://www.feishu.cn/", "pc_url": "https://www.feishu.cn/"},
                "action_type": "url_page", "text": {"text": "文本"}, "button_type": "default",
                "action_map": {"foo": "bar"}
            }]},
            "link": {"link": "https://www.feishu.cn/"},
            "time_sensitive": false,
            "notify": {"close_notify": true, "custom_sound_text": "您有新的订单", "with_custom_sound": true}
        })
    }

    fn create_with(edit: impl FnOnce(&mut serde_json::Value)) -> Checked {
        let mut card = seed_card();
        edit(&mut card);
        let req: CreateAppFeedCardRequest =
            serde_json::from_value(json!({"app_feed_card": card, "user_ids": ["ou_1"]})).unwrap();
        req.validate()
    }

    #[test]
    fn the_seed_example_is_valid() {
        create_with(|_| {}).unwrap();
    }

    #[test]
    fn each_rule_names_its_field() {
        type Edit = Box<dyn FnOnce(&mut serde_json::Value)>;
        let table: Vec<(Edit, &str)> = vec![
            (
                Box::new(|c| c["biz_id"] = json!("b".repeat(201))),
                "app_feed_card.biz_id",
            ),
            (
                Box::new(|c| c["title"] = json!("标".repeat(61))),
                "app_feed_card.title",
            ),
            (
                Box::new(|c| c["avatar_key"] = json!("a".repeat(101))),
                "app_feed_card.avatar_key",
            ),
            (
                Box::new(|c| c["preview"] = json!("p".repeat(121))),
                "app_feed_card.preview",
            ),
            (
                Box::new(|c| c["status_label"] = json!({"type": "primary"})),
                "app_feed_card.status_label.text",
            ),
            (
                Box::new(|c| c["status_label"]["text"] = json!("")),
                "app_feed_card.status_label.text",
            ),
            (
                Box::new(|c| c["status_label"]["text"] = json!("x".repeat(21))),
                "app_feed_card.status_label.text",
            ),
            (
                Box::new(|c| c["status_label"]["type"] = json!("warning")),
                "app_feed_card.status_label.type",
            ),
            (
                Box::new(|c| c["status_label"] = json!({"text": "t"})),
                "app_feed_card.status_label.type",
            ),
            (
                Box::new(|c| c["buttons"] = json!({})),
                "app_feed_card.buttons.buttons",
            ),
            (
                Box::new(|c| {
                    let b = c["buttons"]["buttons"][0].clone();
                    c["buttons"]["buttons"] = json!([b.clone(), b.clone(), b]);
                }),
                "app_feed_card.buttons.buttons[2]",
            ),
            (
                Box::new(|c| {
                    c["buttons"]["buttons"][0]["multi_url"]["url"] = json!("http://www.feishu.cn/")
                }),
                "app_feed_card.buttons.buttons[0].multi_url.url",
            ),
            (
                Box::new(|c| {
                    c["buttons"]["buttons"][0]["multi_url"]["pc_url"] =
                        json!(format!("https://a.cn/{}", "x".repeat(700)))
                }),
                "app_feed_card.buttons.buttons[0].multi_url.pc_url",
            ),
            (
                Box::new(|c| {
                    c["buttons"]["buttons"][0]
                        .as_object_mut()
                        .unwrap()
                        .remove("action_type")
                        .map(drop)
                        .unwrap()
                }),
                "app_feed_card.buttons.buttons[0].action_type",
            ),
            (
                Box::new(|c| c["buttons"]["buttons"][0]["action_type"] = json!("open")),
                "app_feed_card.buttons.buttons[0].action_type",
            ),
            (
                Box::new(|c| c["buttons"]["buttons"][0]["text"] = json!({})),
                "app_feed_card.buttons.buttons[0].text.text",
            ),
            (
                Box::new(|c| c["buttons"]["buttons"][0]["text"]["text"] = json!("x".repeat(31))),
                "app_feed_card.buttons.buttons[0].text.text",
            ),
            (
                Box::new(|c| c["buttons"]["buttons"][0]["button_type"] = json!("danger")),
                "app_feed_card.buttons.buttons[0].button_type",
            ),
            (
                Box::new(|c| c["link"] = json!({"link": "http://x.cn"})),
                "app_feed_card.link.link",
            ),
            (
                Box::new(|c| c.as_object_mut().unwrap().remove("link").map(drop).unwrap()),
                "app_feed_card.link",
            ),
            (
                Box::new(|c| c["notify"]["custom_sound_text"] = json!("x".repeat(21))),
                "app_feed_card.notify.custom_sound_text",
            ),
        ];
        for (edit, field) in table {
            let err = create_with(edit).unwrap_err();
            assert_eq!(err.field, field, "{err}");
        }
    }

    #[test]
    fn a_create_keeps_the_apps_biz_id_and_leaves_an_empty_one_to_the_platform() {
        let with = |biz_id: &str| {
            let body = json!({"app_feed_card": {"biz_id": biz_id, "title": "t",
                              "link": {"link": "https://x.cn/"}}, "user_ids": ["ou_1"]});
            serde_json::from_value::<CreateAppFeedCardRequest>(body)
                .unwrap()
                .parse()
                .unwrap()
                .biz_id
        };
        assert_eq!(with("order-7").as_deref(), Some("order-7"));
        assert_eq!(with(""), None);
    }

    #[test]
    fn user_ids_must_hold_1_to_20() {
        let mut req = CreateAppFeedCardRequest {
            app_feed_card: serde_json::from_value(seed_card()).unwrap(),
            user_ids: Some(vec![]),
        };
        assert_eq!(req.validate().unwrap_err().field, "user_ids");
        req.user_ids = Some((0..21).map(|i| format!("ou_{i}")).collect());
        assert_eq!(
            req.validate().unwrap_err().to_string(),
            "user_ids: at most 20 items, got 21"
        );
        req.user_ids = Some((0..20).map(|i| format!("ou_{i}")).collect());
        req.validate().unwrap();
        req.user_ids = None;
        assert_eq!(
            req.validate().unwrap_err().to_string(),
            "user_ids: is required"
        );
    }

    #[test]
    fn chat_button_rules() {
        let ok: UpdateChatButtonRequest =
            serde_json::from_value(json!({"chat_id": "oc_1", "buttons": {"buttons": []}})).unwrap();
        ok.validate().unwrap();
        let no_chat: UpdateChatButtonRequest =
            serde_json::from_value(json!({"user_ids": ["ou_1"]})).unwrap();
        assert_eq!(no_chat.validate().unwrap_err().field, "chat_id");
        let empty_users: UpdateChatButtonRequest =
            serde_json::from_value(json!({"chat_id": "oc_1", "user_ids": []})).unwrap();
        assert_eq!(empty_users.validate().unwrap_err().field, "user_ids");
    }

    #[test]
    fn reasons_read_as_the_platform_spells_them_and_unknown_ones_as_unknown() {
        let read = |s: &str| serde_json::from_value::<Reason>(json!(s)).unwrap();
        assert_eq!(read("NO_PERMISSION"), Reason::NoPermission);
        assert_eq!(read("DUPLICATED"), Reason::Duplicated);
        assert_eq!(read("SOMETHING_NEW"), Reason::Unknown);
        assert_eq!(json!(Reason::NotCreated), json!("NOT_CREATED"));
        assert_eq!(Reason::RateLimited.to_string(), "RATE_LIMITED");
    }

    #[test]
    fn every_update_field_code_round_trips() {
        for f in UpdateField::ALL {
            assert_eq!(UpdateField::from_code(f.code()), Some(f));
        }
        assert_eq!(UpdateField::from_code("4"), None);
        assert_eq!(update_field::SORT_TIME, "102");
    }

    #[test]
    fn an_update_copies_only_the_named_fields() {
        let mut stored: OpenAppFeedCard = serde_json::from_value(seed_card()).unwrap();
        let before = stored.clone();
        let from = OpenAppFeedCard {
            title: Some("new".into()),
            preview: Some("not named".into()),
            time_sensitive: Some(true),
            ..Default::default()
        };
        let fields = ["1", "13", "102", "103"].map(|c| UpdateField::from_code(c).unwrap());
        let effects = stored.apply_update(&from, &fields);
        assert_eq!(
            effects,
            UpdateEffects {
                display_time: false,
                sort_time: true,
                notify: true
            }
        );
        assert_eq!(stored.title.as_deref(), Some("new"));
        assert_eq!(stored.time_sensitive, Some(true));
        assert_eq!(stored.preview, before.preview);
        assert_eq!(stored.buttons, before.buttons);
    }

    #[test]
    fn batch_items_need_an_id_pair_and_known_codes() {
        let req: UpdateAppFeedCardBatchRequest = serde_json::from_value(json!({"feed_cards": [
            {"app_feed_card": {"biz_id": "b"}, "user_id": "ou_1", "update_fields": ["101", "2"]}
        ]}))
        .unwrap();
        assert_eq!(
            req.validate().unwrap_err().to_string(),
            "feed_cards[0].app_feed_card.avatar_key: is required because feed_cards[0].update_fields[1] is \"2\""
        );
        let del: DeleteAppFeedCardBatchRequest =
            serde_json::from_value(json!({"feed_cards": [{"biz_id": "b", "user_id": " "}]}))
                .unwrap();
        assert_eq!(del.validate().unwrap_err().field, "feed_cards[0].user_id");
    }

    proptest::proptest! {
        #[test]
        fn title_length_rule_counts_characters(title in "\\PC{0,90}") {
            let card = OpenAppFeedCard { title: Some(title.clone()), link: Some(Link { link: Some("https://a.cn".into()) }), ..Default::default() };
            proptest::prop_assert_eq!(card.validate("c", true).is_ok(), title.chars().count() <= 60);
        }
    }
}
