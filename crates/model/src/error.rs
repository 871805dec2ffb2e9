//! The platform's error codes, each with its HTTP status and message, used by the server to answer
//! and by the client to decide whether a failure is worth retrying.

use serde::{Deserialize, Serialize};

macro_rules! codes {
    ($( $name:ident = $code:literal, $status:literal, $msg:literal, $retry:literal; )*) => {
        /// One Feishu error code. `code()` is the number on the wire.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode { $( $name, )* }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$name, )* ];
            pub fn code(self) -> i64 { match self { $( ErrorCode::$name => $code, )* } }
            pub fn http_status(self) -> u16 { match self { $( ErrorCode::$name => $status, )* } }
            /// The platform's own short message for this code.
            pub fn message(self) -> &'static str { match self { $( ErrorCode::$name => $msg, )* } }
            /// Whether the same request may succeed later (rate limits, server faults).
            pub fn is_retryable(self) -> bool { match self { $( ErrorCode::$name => $retry, )* } }
            pub fn from_code(code: i64) -> Option<ErrorCode> {
                match code { $( $code => Some(ErrorCode::$name), )* _ => None }
            }
        }
    };
}

codes! {
    // Auth v3 (token endpoints).
    AuthInvalidParam = 10003, 400, "invalid param", false;
    AppUnusable = 10014, 400, "app is not usable: unknown or disabled app_id", false;
    AppSecretInvalid = 10015, 400, "app_secret is invalid", false;
    // Platform gateway.
    InternalError = 1500, 500, "internal error", true;
    MissingToken = 99991661, 400, "Missing access token for authorization. Please make a request with token attached.", false;
    TenantTokenInvalid = 99991663, 400, "Invalid access token for authorization. Please make a request with token attached.", false;
    AppTokenInvalid = 99991664, 400, "Invalid app access token.", false;
    UserTokenInvalid = 99991668, 400, "Invalid user access token, or user access token is not supported by this API.", false;
    BadTokenFormat = 99991671, 400, "Invalid access token format: a token must start with \"t-\" or \"u-\".", false;
    MissingScope = 99991672, 400, "Access denied. One of the following scopes is required.", false;
    RateLimited = 99991400, 429, "request trigger frequency limit", true;
    NotFound = 99991201, 404, "the requested path was not found", false;
    MethodNotAllowed = 99991301, 405, "the HTTP method is not allowed on this path", false;
    // IM.
    ImInvalidParam = 230001, 400, "param is invalid", false;
    BotNotInChatForRead = 230002, 400, "The bot can not be outside the group.", false;
    BotAbilityOff = 230006, 400, "Bot ability is not activated.", false;
    MessageRecalled = 230011, 400, "The message is recalled.", false;
    NoAvailability = 230013, 400, "Bot has NO availability to this user.", false;
    ImRateLimited = 230020, 400, "This operation triggers the frequency limit.", true;
    ContentTooLong = 230025, 400, "The length of the message content reaches its limit.", false;
    NoPermission = 230027, 400, "no permission, bot not in the chat", false;
    AuditFailed = 230028, 400, "The messages do NOT pass the audit.", false;
    MessageTooOld = 230031, 400, "Message can only be modified within 14 days after sending.", false;
    CardInvalid = 230099, 400, "Failed to create card content", false;
    MessageDeleted = 230110, 400, "Action unavailable as the message has been deleted.", false;
    MessageTypeUnsupported = 230054, 400, "This operation is not supported for this message type.", false;
    NotTheSender = 230071, 400, "The operator is not the sender of the message.", false;
    EditLimitReached = 230072, 400, "The message has reached the number of times it can be edited.", false;
    // Reactions (im-v1/message-reaction/create, delete, list).
    ReactionTypeInvalid = 231001, 400, "reaction type is invalid.", false;
    ReactionNoPermission = 231002, 400, "The operator has no permission to react on the specific message.", false;
    ReactionMessageNotFound = 231003, 400, "The message is not found, maybe not exist or deleted.", false;
    ReactionChatNotFound = 231004, 400, "The chat in which the message exists is not found, maybe not exist, deleted or archived.", false;
    ReactionNotYours = 231007, 400, "The operator has no permission to delete this reaction.", false;
    ReactionNotOfMessage = 231010, 400, "The reaction does not belong to the message.", false;
    ReactionIdInvalid = 231011, 400, "The request has an invalid reaction_id.", false;
    ReactionPageTokenInvalid = 231012, 400, "The request has an invalid pageToken.", false;
    // Interactive cards (the delayed update). Decision: the platform's reference names no codes
    // for a used-up or expired token; larkfeed answers 300040 for those.
    CardTokenInvalid = 300040, 400, "the card update token is unknown, expired (30 minutes) or used up (2 uses)", false;
    CardOpenIdsEmpty = 300090, 400, "openid empty: an exclusive card (JSON 1.0 without config.update_multi) sent through the delayed update must name open_ids", false;
    // CardKit (cardkit/v1): the codes its reference pages list.
    CardKitInvalidParam = 10002, 400, "Your request contains an invalid request parameter.", false;
    CardGenerateFailed = 200220, 400, "Failed to generate card content", false;
    CardEntityUnknown = 200740, 400, "The card entity does not exist", false;
    CardEntityExpired = 200750, 400, "The card entity has expired", false;
    CardUuidConflict = 200770, 400, "UUID conflict", false;
    CardTooLarge = 200860, 400, "Card content exceeds limit.", false;
    CardDuplicateElementId = 300301, 400, "Duplicate element_id in card component.", false;
    CardUpdateMultiFalse = 300302, 400, "update_multi property is false", false;
    CardNotSchema2 = 300303, 400, "Only schema 2.0 is supported", false;
    CardTooManyElements = 300305, 400, "The number of card components exceeds 200", false;
    CardDslEmpty = 300307, 400, "The card DSL is empty", false;
    CardStreamingClosed = 300309, 400, "Card streaming closed", false;
    CardOnlyUpdateText = 300310, 400, "Only update text", false;
    CardNotOwner = 300311, 400, "The current application does not have permission to update/use this card", false;
    CardElementTagChange = 300312, 400, "Unable to update element tag", false;
    CardElementUpdateFailed = 300313, 400, "Failed to update element properties", false;
    CardElementDeleteFailed = 300314, 400, "Failed to delete element", false;
    CardElementAddFailed = 300315, 400, "Failed to add element", false;
    CardSequenceNotIncreasing = 300317, 400, "The sequence number for operating on the card did not increment consecutively", false;
    CardElementReplaceFailed = 300121, 400, "Failed to replace element", false;
    CardSettingsFailed = 300122, 400, "Failed to update card configuration", false;
    // Images and files (im-v1/image/create, file/create, message-resource/get).
    ResourceInvalidParam = 234001, 400, "Invalid request param.", false;
    ResourceTooLarge = 234006, 400, "The file size exceed the max value.", false;
    ResourceBotOff = 234007, 400, "App does not enable bot feature.", false;
    ResourceEmpty = 234010, 400, "File's size can't be 0.", false;
    ResourceNotImage = 234011, 400, "Can't regonnize the image format.", false;
    // Contact (contact-v3/user/get).
    ContactInvalidParam = 40001, 400, "invalid parameter", false;
    ContactUserIdInvalid = 41012, 400, "user id invalid error", false;
    ContactNoUserAuthority = 41050, 400, "no user authority", false;
    // Chats.
    ChatInvalidParam = 232001, 400, "invalid param", false;
    ChatDissolved = 232009, 400, "Your request specifies a chat which has already been dissolved.", false;
    ChatIdInvalid = 232006, 400, "Your request specifies a chat_id which is invalid.", false;
    OperatorNotInChat = 232011, 400, "Operator can NOT be out of the chat.", false;
    ChatBotAbilityOff = 232025, 400, "Bot ability is not activated.", false;
    ChatRateLimited = 232019, 400, "request trigger frequency limit", true;
}

/// The `{code, msg, data}` envelope every Open API response carries. Error responses add `error`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub code: i64,
    #[serde(default)]
    pub msg: String,
    #[serde(default = "Option::default", skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

impl<T> Envelope<T> {
    /// A successful answer: code 0, msg "success", `data`.
    pub fn success(data: T) -> Self {
        Envelope {
            code: 0,
            msg: "success".to_string(),
            data: Some(data),
            error: None,
        }
    }
}

/// The `data: {}` of an answer that carries nothing.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Empty {}

/// The optional `error` object of a failed response.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct ErrorDetail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub field_violations: Vec<FieldViolation>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permission_violations: Vec<PermissionViolation>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct FieldViolation {
    pub field: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub description: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct PermissionViolation {
    #[serde(rename = "type")]
    pub kind: String,
    pub subject: String,
    pub description: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_and_is_unique() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.code()), "duplicate code {}", c.code());
            assert_eq!(ErrorCode::from_code(c.code()), Some(*c));
        }
    }

    #[test]
    fn only_limits_and_faults_are_retryable() {
        for c in [
            ErrorCode::RateLimited,
            ErrorCode::ImRateLimited,
            ErrorCode::InternalError,
        ] {
            assert!(c.is_retryable());
        }
        for c in [
            ErrorCode::ImInvalidParam,
            ErrorCode::MessageRecalled,
            ErrorCode::MessageTooOld,
        ] {
            assert!(!c.is_retryable());
        }
    }
}
