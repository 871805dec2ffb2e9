//! The structural check of interactive card content (message `content` of `msg_type = interactive`)
//! and of CardKit card entities (JSON 2.0 only).
//!
//! The platform answers a card it cannot build with code 230099 and a sub-code in the message,
//! shaped `Failed to create card content, ext=ErrCode: …; ErrMsg: …; ErrPath: …`. Published
//! sub-codes (the card JSON 2.0 pages and the bots' reports collected in BOTS.md): 200621 parse
//! error, 200861 a tag 2.0 no longer supports, 200570 an unknown image key, 11310 the catch-all
//! (over a limit, card id invalid). Those without a published number (an unknown property, a
//! malformed element) are larkfeed's own, listed in the README's known quirks.

use serde_json::{Map, Value};

/// What was learned about a card that passed the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardInfo {
    /// `schema: "2.0"` cards.
    pub v2: bool,
    /// `{"type":"template", ...}` cards built with the card builder.
    pub template: bool,
    /// Whether an update reaches every member of a group (always true for 2.0 cards).
    pub update_multi: bool,
    /// `{"type":"card","data":{"card_id":…}}`: a CardKit card entity sent by its id.
    pub entity: Option<String>,
}

impl CardInfo {
    fn plain(v2: bool, template: bool, update_multi: bool) -> CardInfo {
        CardInfo {
            v2,
            template,
            update_multi,
            entity: None,
        }
    }
}

/// Why a card was refused: the sub-code, a sentence, and where in the card (`ROOT -> body ->
/// elements -> 3`) when one place is to blame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ErrCode: {sub_code}; ErrMsg: {detail}{}", self.path.as_ref().map(|p| format!("; ErrPath: {p}")).unwrap_or_default())]
pub struct CardError {
    pub sub_code: i64,
    pub detail: String,
    pub path: Option<String>,
}

pub mod sub_code {
    pub const PARSE: i64 = 200621;
    pub const NOT_A_CARD: i64 = 200631;
    pub const UNKNOWN_PROPERTY: i64 = 200632;
    pub const BAD_ELEMENT: i64 = 200633;
    pub const BAD_TEMPLATE: i64 = 200634;
    pub const UPDATE_MULTI: i64 = 200830;
    /// A tag card JSON 2.0 no longer supports (`note`, `action`).
    pub const UNSUPPORTED_TAG: i64 = 200861;
    /// The published catch-all: an element over its limit, a card id that cannot be used.
    pub const CATCH_ALL: i64 = 11310;
    /// Two components with one `element_id` (CardKit's own code for it, 300301).
    pub const DUPLICATE_ELEMENT_ID: i64 = 300301;
    /// An `img_key` nobody uploaded.
    pub const IMAGE_KEY: i64 = 200570;
}

fn err(sub_code: i64, detail: impl Into<String>) -> CardError {
    CardError {
        sub_code,
        detail: detail.into(),
        path: None,
    }
}

fn err_at(sub_code: i64, detail: impl Into<String>, path: &str) -> CardError {
    CardError {
        sub_code,
        detail: detail.into(),
        path: Some(path.to_string()),
    }
}

/// At most this many elements and components in a JSON 2.0 card (the 2.0 structure page).
pub const MAX_ELEMENTS: usize = 200;
/// Tags card JSON 2.0 no longer supports (the 2.0 release notes: `note` is gone, and buttons
/// sit directly in the body instead of in an `action` module).
pub const V2_DROPPED_TAGS: &[&str] = &["note", "action"];

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
];
const V2_BODY_KEYS: &[&str] = &[
    "elements",
    "direction",
    "padding",
    "horizontal_spacing",
    "horizontal_align",
    "vertical_spacing",
    "vertical_align",
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

    match card.get("type").and_then(Value::as_str) {
        Some("template") => {
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
            return Ok(CardInfo::plain(false, true, true));
        }
        Some("card") => {
            let id = card
                .get("data")
                .and_then(|d| d.get("card_id"))
                .and_then(Value::as_str)
                .filter(|id| !id.is_empty())
                .ok_or_else(|| {
                    err(
                        sub_code::CATCH_ALL,
                        "a card sent by reference needs data.card_id",
                    )
                })?;
            return Ok(CardInfo {
                entity: Some(id.to_string()),
                ..CardInfo::plain(true, false, true)
            });
        }
        _ => {}
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
    Ok(CardInfo::plain(false, false, update_multi))
}

/// A JSON 2.0 card: known properties only, a body, elements with tags 2.0 supports, valid and
/// unique `element_id`s, at most [`MAX_ELEMENTS`], and `update_multi` never false.
pub fn check_v2(card: &Map<String, Value>) -> Result<CardInfo, CardError> {
    if let Some(unknown) = card.keys().find(|k| !V2_KEYS.contains(&k.as_str())) {
        let sub = if unknown == "i18n_elements" || unknown == "fallback" {
            sub_code::UNSUPPORTED_TAG
        } else {
            sub_code::UNKNOWN_PROPERTY
        };
        return Err(err_at(
            sub,
            format!("unknown property {unknown:?} in a 2.0 card"),
            &format!("ROOT -> {unknown}"),
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
    if let Some(unknown) = body.keys().find(|k| !V2_BODY_KEYS.contains(&k.as_str())) {
        return Err(err_at(
            sub_code::UNKNOWN_PROPERTY,
            format!("unknown property {unknown:?} in body"),
            &format!("ROOT -> body -> {unknown}"),
        ));
    }
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
    let mut seen = std::collections::HashSet::new();
    let mut count = 0;
    let mut problem = None;
    walk(
        card.get("body").unwrap_or(&Value::Null),
        "ROOT -> body",
        &mut |path, element| {
            if problem.is_some() {
                return;
            }
            count += 1;
            let tag = element.get("tag").and_then(Value::as_str).unwrap_or("");
            if V2_DROPPED_TAGS.contains(&tag) {
                problem = Some(err_at(
                sub_code::UNSUPPORTED_TAG,
                format!("cards of schema V2 no longer support this capability; unsupported tag {tag}"),
                path,
            ));
            } else if let Some(id) = element.get("element_id") {
                match id.as_str().map(element_id_problem) {
                    Some(None) => {
                        if !seen.insert(id.as_str().unwrap_or("").to_string()) {
                            problem = Some(err_at(
                                sub_code::DUPLICATE_ELEMENT_ID,
                                format!("duplicate element_id {id}"),
                                path,
                            ));
                        }
                    }
                    Some(Some(rule)) => {
                        problem = Some(err_at(
                            sub_code::BAD_ELEMENT,
                            format!("element_id {id}: {rule}"),
                            path,
                        ));
                    }
                    None => {
                        problem = Some(err_at(
                            sub_code::BAD_ELEMENT,
                            "element_id must be a string",
                            path,
                        ));
                    }
                }
            }
        },
    );
    if let Some(problem) = problem {
        return Err(problem);
    }
    if count > MAX_ELEMENTS {
        return Err(err(
            sub_code::CATCH_ALL,
            format!(
                "a card holds at most {MAX_ELEMENTS} elements and components, this one {count}"
            ),
        ));
    }
    Ok(CardInfo::plain(true, false, true))
}

/// Why `id` is no `element_id` (1-20 characters: letters, digits and underscores, starting with
/// a letter), or `None` when it is one.
pub fn element_id_problem(id: &str) -> Option<&'static str> {
    let mut chars = id.chars();
    match chars.next() {
        None => Some("must not be empty"),
        _ if id.chars().count() > 20 => Some("at most 20 characters"),
        Some(c) if !c.is_ascii_alphabetic() => Some("must start with a letter"),
        _ if !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') => {
            Some("only letters, digits and underscores")
        }
        _ => None,
    }
}

/// Calls `visit` with every element or component under `value` (every object with a `tag`),
/// parents before children, with its place written the platform's way.
pub fn walk(value: &Value, path: &str, visit: &mut dyn FnMut(&str, &Map<String, Value>)) {
    match value {
        Value::Object(map) => {
            if map.contains_key("tag") {
                visit(path, map);
            }
            for (key, child) in map {
                if child.is_object() || child.is_array() {
                    walk(child, &format!("{path} -> {key}"), visit);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                if child.is_object() || child.is_array() {
                    walk(child, &format!("{path} -> {i}"), visit);
                }
            }
        }
        _ => {}
    }
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
        assert_eq!(check(SEED).unwrap(), CardInfo::plain(false, false, false));
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
            (
                r#"{"schema":"2.0","body":{"elements":[{"tag":"note","elements":[]}]}}"#,
                sub_code::UNSUPPORTED_TAG,
            ),
            (
                r#"{"schema":"2.0","body":{"elements":[{"tag":"action","actions":[]}]}}"#,
                sub_code::UNSUPPORTED_TAG,
            ),
            (
                r#"{"schema":"2.0","body":{"elements":[{"tag":"markdown","element_id":"a"},{"tag":"markdown","element_id":"a"}]}}"#,
                sub_code::DUPLICATE_ELEMENT_ID,
            ),
            (
                r#"{"schema":"2.0","body":{"elements":[{"tag":"markdown","element_id":"1a"}]}}"#,
                sub_code::BAD_ELEMENT,
            ),
            (
                r#"{"schema":"2.0","body":{"elements":[],"colour":"red"}}"#,
                sub_code::UNKNOWN_PROPERTY,
            ),
            (r#"{"type":"card","data":{}}"#, sub_code::CATCH_ALL),
        ];
        for (content, code) in table {
            assert_eq!(check(content).unwrap_err().sub_code, code, "{content}");
        }
    }

    #[test]
    fn an_error_names_the_place_in_the_card() {
        let e = check(r#"{"schema":"2.0","body":{"elements":[{"tag":"markdown","content":"x"},{"tag":"column_set","columns":[{"tag":"column","elements":[{"tag":"note"}]}]}]}}"#).unwrap_err();
        assert_eq!(e.sub_code, sub_code::UNSUPPORTED_TAG);
        assert_eq!(
            e.path.as_deref(),
            Some("ROOT -> body -> elements -> 1 -> columns -> 0 -> elements -> 0")
        );
        assert!(
            e.to_string().starts_with("ErrCode: 200861; ErrMsg: "),
            "{e}"
        );
        assert!(
            e.to_string().ends_with(
                "; ErrPath: ROOT -> body -> elements -> 1 -> columns -> 0 -> elements -> 0"
            ),
            "{e}"
        );
    }

    #[test]
    fn at_most_200_elements() {
        let card = |n: usize| {
            let elements: Vec<_> = (0..n).map(|_| serde_json::json!({"tag": "hr"})).collect();
            serde_json::json!({"schema": "2.0", "body": {"elements": elements}}).to_string()
        };
        assert!(check(&card(MAX_ELEMENTS)).is_ok());
        assert_eq!(
            check(&card(MAX_ELEMENTS + 1)).unwrap_err().sub_code,
            sub_code::CATCH_ALL
        );
    }

    #[test]
    fn element_ids_follow_the_rule() {
        assert_eq!(element_id_problem("stream_md"), None);
        assert_eq!(element_id_problem("a1_b2"), None);
        assert!(element_id_problem("").is_some());
        assert!(element_id_problem("_a").is_some());
        assert!(element_id_problem("a-b").is_some());
        assert!(element_id_problem(&"a".repeat(21)).is_some());
        assert_eq!(element_id_problem(&"a".repeat(20)), None);
    }

    #[test]
    fn a_card_entity_is_sent_by_its_id() {
        let info = check(r#"{"type":"card","data":{"card_id":"7355372766134157313"}}"#).unwrap();
        assert_eq!(info.entity.as_deref(), Some("7355372766134157313"));
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
