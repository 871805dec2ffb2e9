//! The structural check of interactive card content (message `content` of `msg_type = interactive`).
//!
//! The platform answers a card it cannot build with code 230099 and a sub-code in the message.
//! Only 200621 (JSON parse error) is documented; the other sub-codes here are larkfeed's own and
//! listed in the README's known quirks.

use serde_json::{Map, Value};

/// What was learned about a card that passed the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardInfo {
    /// `schema: "2.0"` cards.
    pub v2: bool,
    /// `{"type":"template", ...}` cards built with the card builder.
    pub template: bool,
    /// Whether an update reaches every member of a group (always true for 2.0 cards).
    pub update_multi: bool,
}

/// Why a card was refused: the sub-code and a sentence naming the place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ErrCode: {sub_code}; ErrMsg: {detail}")]
pub struct CardError {
    pub sub_code: i64,
    pub detail: String,
}

pub mod sub_code {
    pub const PARSE: i64 = 200621;
    pub const NOT_A_CARD: i64 = 200631;
    pub const UNKNOWN_PROPERTY: i64 = 200632;
    pub const BAD_ELEMENT: i64 = 200633;
    pub const BAD_TEMPLATE: i64 = 200634;
    pub const UPDATE_MULTI: i64 = 200830;
}

fn err(sub_code: i64, detail: impl Into<String>) -> CardError {
    CardError {
        sub_code,
        detail: detail.into(),
    }
}

const V1_KEYS: &[&str] = &[
    "config",
    "card_link",
    "header",
    "elements",
    "i18n_elements",
    "i18n_header",
    "fallback",
    "open_ids",
];
const V2_KEYS: &[&str] = &[
    "schema",
    "config",
    "card_link",
    "header",
    "body",
    "i18n_header",
    "fallback",
];
const HEADER_TEMPLATES: &[&str] = &[
    "blue",
    "wathet",
    "turquoise",
    "green",
    "yellow",
    "orange",
    "red",
    "carmine",
    "violet",
    "purple",
    "indigo",
    "grey",
    "default",
];

/// Checks card content (a JSON string) the way the platform does before building a card.
pub fn check(content: &str) -> Result<CardInfo, CardError> {
    let value: Value = serde_json::from_str(content)
        .map_err(|e| err(sub_code::PARSE, format!("card json parse error: {e}")))?;
    let card = value
        .as_object()
        .ok_or_else(|| err(sub_code::PARSE, "card json must be an object"))?;

    if card.get("type").and_then(Value::as_str) == Some("template") {
        let id = card
            .get("data")
            .and_then(|d| d.get("template_id"))
            .and_then(Value::as_str);
        if id.is_none_or(str::is_empty) {
            return Err(err(
                sub_code::BAD_TEMPLATE,
                "template card needs data.template_id",
            ));
        }
        return Ok(CardInfo {
            v2: false,
            template: true,
            update_multi: true,
        });
    }

    match card.get("schema") {
        Some(Value::String(s)) if s == "2.0" => check_v2(card),
        Some(other) => Err(err(
            sub_code::NOT_A_CARD,
            format!("unsupported schema {other}"),
        )),
        None => check_v1(card),
    }
}

fn check_v1(card: &Map<String, Value>) -> Result<CardInfo, CardError> {
    if !card.keys().any(|k| V1_KEYS.contains(&k.as_str())) {
        return Err(err(
            sub_code::NOT_A_CARD,
            "not a card: expected header, elements or i18n_elements",
        ));
    }
    if let Some(header) = card.get("header") {
        check_header(header)?;
    }
    if let Some(elements) = card.get("elements") {
        check_elements("elements", elements)?;
    }
    if let Some(i18n) = card.get("i18n_elements") {
        let langs = i18n
            .as_object()
            .ok_or_else(|| err(sub_code::BAD_ELEMENT, "i18n_elements must be an object"))?;
        for (lang, elements) in langs {
            check_elements(&format!("i18n_elements.{lang}"), elements)?;
        }
    }
    let update_multi = card
        .get("config")
        .and_then(|c| c.get("update_multi"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok(CardInfo {
        v2: false,
        template: false,
        update_multi,
    })
}

fn check_v2(card: &Map<String, Value>) -> Result<CardInfo, CardError> {
    if let Some(unknown) = card.keys().find(|k| !V2_KEYS.contains(&k.as_str())) {
        return Err(err(
            sub_code::UNKNOWN_PROPERTY,
            format!("unknown property {unknown:?} in a 2.0 card"),
        ));
    }
    if let Some(header) = card.get("header") {
        check_header(header)?;
    }
    let body = card
        .get("body")
        .ok_or_else(|| err(sub_code::NOT_A_CARD, "a 2.0 card needs body"))?;
    let body = body
        .as_object()
        .ok_or_else(|| err(sub_code::NOT_A_CARD, "body must be an object"))?;
    if let Some(elements) = body.get("elements") {
        check_elements("body.elements", elements)?;
    }
    if card
        .get("config")
        .and_then(|c| c.get("update_multi"))
        .and_then(Value::as_bool)
        == Some(false)
    {
        return Err(err(
            sub_code::UPDATE_MULTI,
            "config.update_multi cannot be false in a 2.0 card",
        ));
    }
    Ok(CardInfo {
        v2: true,
        template: false,
        update_multi: true,
    })
}

fn check_header(header: &Value) -> Result<(), CardError> {
    let header = header
        .as_object()
        .ok_or_else(|| err(sub_code::NOT_A_CARD, "header must be an object"))?;
    if let Some(title) = header.get("title") {
        if title.get("tag").is_none()
            && title.get("content").is_none()
            && title.get("i18n").is_none()
        {
            return Err(err(
                sub_code::BAD_ELEMENT,
                "header.title needs tag and content",
            ));
        }
    }
    if let Some(template) = header.get("template") {
        let ok = template
            .as_str()
            .is_some_and(|t| HEADER_TEMPLATES.contains(&t));
        if !ok {
            return Err(err(
                sub_code::BAD_ELEMENT,
                format!("header.template {template} is not a colour"),
            ));
        }
    }
    Ok(())
}

fn check_elements(at: &str, elements: &Value) -> Result<(), CardError> {
    let list = elements
        .as_array()
        .ok_or_else(|| err(sub_code::BAD_ELEMENT, format!("{at} must be an array")))?;
    for (i, element) in list.iter().enumerate() {
        let tag = element.get("tag").and_then(Value::as_str);
        if tag.is_none_or(str::is_empty) {
            return Err(err(sub_code::BAD_ELEMENT, format!("{at}[{i}] needs a tag")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = r#"{"elements":[{"tag":"div","text":{"content":"This is the plain text","tag":"plain_text"}}],"header":{"template":"blue","title":{"content":"This is the title","tag":"plain_text"}}}"#;

    #[test]
    fn the_seed_card_is_a_v1_card_without_update_multi() {
        assert_eq!(
            check(SEED).unwrap(),
            CardInfo {
                v2: false,
                template: false,
                update_multi: false
            }
        );
    }

    #[test]
    fn refusals_carry_sub_codes() {
        let table = [
            ("not json", sub_code::PARSE),
            ("[1]", sub_code::PARSE),
            (r#"{"text":"hello"}"#, sub_code::NOT_A_CARD),
            (r#"{"elements":[{"text":"x"}]}"#, sub_code::BAD_ELEMENT),
            (r#"{"elements":{}}"#, sub_code::BAD_ELEMENT),
            (r#"{"header":{"template":"pink"}}"#, sub_code::BAD_ELEMENT),
            (
                r#"{"schema":"2.0","body":{"elements":[]},"elements":[]}"#,
                sub_code::UNKNOWN_PROPERTY,
            ),
            (r#"{"schema":"2.0"}"#, sub_code::NOT_A_CARD),
            (r#"{"schema":"3.0","body":{}}"#, sub_code::NOT_A_CARD),
            (r#"{"type":"template","data":{}}"#, sub_code::BAD_TEMPLATE),
        ];
        for (content, code) in table {
            assert_eq!(check(content).unwrap_err().sub_code, code, "{content}");
        }
    }

    #[test]
    fn v2_and_template_cards_update_everyone() {
        let v2 =
            check(r#"{"schema":"2.0","body":{"elements":[{"tag":"markdown","content":"x"}]}}"#)
                .unwrap();
        assert!(v2.v2 && v2.update_multi);
        let t = check(r#"{"type":"template","data":{"template_id":"AAq1"}}"#).unwrap();
        assert!(t.template && t.update_multi);
        let shared = check(r#"{"config":{"update_multi":true},"elements":[]}"#).unwrap();
        assert!(shared.update_multi);
    }
}

/// Body of `POST /open-apis/interactive/v1/card/update`: the delayed update of a card, with the
/// `token` of its callback (30 minutes, two uses). A JSON 1.0 card names the `open_ids` it is for.
#[derive(
    Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct DelayedUpdateRequest {
    /// `event.token` of a `card.action.trigger` callback.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub token: Option<String>,
    /// The new card.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub card: Option<Value>,
}
