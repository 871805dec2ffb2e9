//! `GET /_larkfeed/openapi.json`: an OpenAPI 3 document of every Open API route larkfeed serves.
//! Request and response schemas are generated from the model's own types (`schemars`), the error
//! codes from the one error table, so neither can drift from the code; the route list below is
//! checked against the router by the tests (every route listed answers, every `/open-apis/`
//! path the router names is listed).

use axum::Json;
use larkfeed_model::{chat, feed_card, message, token, ErrorCode};
use schemars::gen::{SchemaGenerator, SchemaSettings};
use schemars::schema::Schema;
use schemars::JsonSchema;
use serde_json::{json, Value};

/// A query parameter: name, whether required, what it takes.
type Query = (&'static str, bool, &'static str);

const USER_ID_TYPE: Query = (
    "user_id_type",
    false,
    "open_id (default), union_id or user_id: the type of user ids in the request and the answer",
);

/// One route of the document.
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    summary: &'static str,
    query: &'static [Query],
    body: Option<fn(&mut SchemaGenerator) -> Schema>,
    /// The answer's `data` (or, for the token endpoints, the whole answer).
    data: Option<fn(&mut SchemaGenerator) -> Schema>,
    /// Whether the route needs a tenant access token.
    token: bool,
    scopes: &'static [&'static str],
}

fn schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// Every Open API route, in the order of the API table in the README.
pub const ROUTES: &[Route] = &[
    Route {
        method: "post",
        path: "/open-apis/auth/v3/tenant_access_token/internal",
        summary: "A tenant access token for a self-built app (2 hours; the same token while 30 minutes or more are left)",
        query: &[],
        body: Some(schema::<token::TokenRequest>),
        data: Some(schema::<token::TokenResponse>),
        token: false,
        scopes: &[],
    },
    Route {
        method: "post",
        path: "/open-apis/auth/v3/app_access_token/internal",
        summary: "An app access token for a self-built app",
        query: &[],
        body: Some(schema::<token::TokenRequest>),
        data: Some(schema::<token::TokenResponse>),
        token: false,
        scopes: &[],
    },
    Route {
        method: "post",
        path: "/open-apis/im/v2/app_feed_card",
        summary: "Create an app feed card for up to 20 users",
        query: &[USER_ID_TYPE],
        body: Some(schema::<feed_card::CreateAppFeedCardRequest>),
        data: Some(schema::<feed_card::CreateAppFeedCardResponse>),
        token: true,
        scopes: &["im:app_feed_card:write"],
    },
    Route {
        method: "put",
        path: "/open-apis/im/v2/app_feed_card/batch",
        summary: "Update users' app feed cards, only the fields named in update_fields",
        query: &[USER_ID_TYPE],
        body: Some(schema::<feed_card::UpdateAppFeedCardBatchRequest>),
        data: Some(schema::<feed_card::AppFeedCardBatchResponse>),
        token: true,
        scopes: &["im:app_feed_card:write"],
    },
    Route {
        method: "delete",
        path: "/open-apis/im/v2/app_feed_card/batch",
        summary: "Delete users' app feed cards",
        query: &[USER_ID_TYPE],
        body: Some(schema::<feed_card::DeleteAppFeedCardBatchRequest>),
        data: Some(schema::<feed_card::AppFeedCardBatchResponse>),
        token: true,
        scopes: &["im:app_feed_card:write"],
    },
    Route {
        method: "patch",
        path: "/open-apis/im/v2/feed_cards/bot_time_sentive",
        summary: "Pin or unpin the bot's one-to-one chat at the top of users' feeds",
        query: &[USER_ID_TYPE],
        body: Some(schema::<feed_card::BotTimeSentiveRequest>),
        data: Some(schema::<feed_card::TimeSensitiveResponse>),
        token: true,
        scopes: &["im:datasync.feed_card.time_sensitive:write"],
    },
    Route {
        method: "patch",
        path: "/open-apis/im/v2/feed_cards/{feed_card_id}",
        summary: "Pin or unpin a group's feed entry for its members (feed_card_id is the chat_id)",
        query: &[(
            "user_id_type",
            true,
            "open_id, union_id or user_id: the type of the user ids",
        )],
        body: Some(schema::<feed_card::PatchFeedCardRequest>),
        data: Some(schema::<feed_card::TimeSensitiveResponse>),
        token: true,
        scopes: &["im:datasync.feed_card.time_sensitive:write"],
    },
    Route {
        method: "put",
        path: "/open-apis/im/v2/chat_button",
        summary: "Set the quick-action buttons of a chat's feed entry for users",
        query: &[USER_ID_TYPE],
        body: Some(schema::<feed_card::UpdateChatButtonRequest>),
        data: Some(schema::<feed_card::UpdateChatButtonResponse>),
        token: true,
        scopes: &["im:app_feed_card:write"],
    },
    Route {
        method: "post",
        path: "/open-apis/im/v1/messages",
        summary: "Send a message to a user (the bot's one-to-one chat), an email or a chat",
        query: &[(
            "receive_id_type",
            true,
            "open_id, union_id, user_id, email or chat_id: what receive_id is",
        )],
        body: Some(schema::<message::SendMessageRequest>),
        data: Some(schema::<message::Message>),
        token: true,
        scopes: &["im:message", "im:message:send_as_bot"],
    },
    Route {
        method: "get",
        path: "/open-apis/im/v1/messages/{message_id}",
        summary: "Get a message",
        query: &[],
        body: None,
        data: Some(schema::<message::GetMessageResponse>),
        token: true,
        scopes: &["im:message", "im:message:readonly"],
    },
    Route {
        method: "patch",
        path: "/open-apis/im/v1/messages/{message_id}",
        summary: "Update a card message the app sent",
        query: &[],
        body: Some(schema::<message::PatchMessageRequest>),
        data: None,
        token: true,
        scopes: &["im:message", "im:message:send_as_bot", "im:message:update"],
    },
    Route {
        method: "delete",
        path: "/open-apis/im/v1/messages/{message_id}",
        summary: "Recall a message the app sent",
        query: &[],
        body: None,
        data: None,
        token: true,
        scopes: &["im:message", "im:message:send_as_bot"],
    },
    Route {
        method: "post",
        path: "/open-apis/im/v1/chats",
        summary: "Create a group chat with the calling bot in it",
        query: &[USER_ID_TYPE],
        body: Some(schema::<chat::CreateChatRequest>),
        data: Some(schema::<chat::Chat>),
        token: true,
        scopes: &["im:chat"],
    },
    Route {
        method: "post",
        path: "/open-apis/im/v1/chats/{chat_id}/members",
        summary: "Add members to a chat",
        query: &[(
            "member_id_type",
            false,
            "open_id (default), union_id, user_id or app_id",
        )],
        body: Some(schema::<chat::AddMembersRequest>),
        data: Some(schema::<chat::AddMembersResponse>),
        token: true,
        scopes: &["im:chat"],
    },
    Route {
        method: "get",
        path: "/open-apis/im/v1/chats/{chat_id}/members",
        summary: "List a chat's members (bots are not listed)",
        query: &[
            (
                "member_id_type",
                false,
                "open_id (default), union_id or user_id",
            ),
            ("page_size", false, "1 to 100, default 20"),
            ("page_token", false, "the page_token of the previous page"),
        ],
        body: None,
        data: Some(schema::<chat::ListMembersResponse>),
        token: true,
        scopes: &["im:chat"],
    },
    Route {
        method: "post",
        path: "/open-apis/interactive/v1/card/update",
        summary: "The delayed card update, with the token of a card callback (30 minutes, two uses)",
        query: &[],
        body: Some(card_update),
        data: None,
        token: true,
        scopes: &[],
    },
];

fn card_update(_: &mut SchemaGenerator) -> Schema {
    serde_json::from_value(json!({
        "type": "object",
        "required": ["token", "card"],
        "properties": {
            "token": {"type": "string", "description": "event.token of a card.action.trigger callback"},
            "card": {"type": "object", "description": "the new card; a JSON 1.0 card names open_ids"},
        },
    }))
    .expect("a valid schema")
}

fn to_value(s: Schema) -> Value {
    serde_json::to_value(s).unwrap_or_default()
}

/// The document.
pub fn document() -> Value {
    let mut gen = SchemaSettings::openapi3().into_generator();
    let mut paths = serde_json::Map::new();
    for r in ROUTES {
        let mut parameters: Vec<Value> = r
            .query
            .iter()
            .map(|(name, required, what)| {
                json!({"name": name, "in": "query", "required": required, "description": what,
                       "schema": {"type": "string"}})
            })
            .collect();
        for segment in r.path.split('/') {
            if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                parameters.push(json!({"name": name, "in": "path", "required": true,
                                       "schema": {"type": "string"}}));
            }
        }
        let success = match r.data {
            Some(data) if !r.token => to_value(data(&mut gen)),
            Some(data) => json!({"allOf": [{"$ref": "#/components/schemas/Envelope"},
                {"type": "object", "properties": {"data": to_value(data(&mut gen))}}]}),
            None => json!({"$ref": "#/components/schemas/Envelope"}),
        };
        let mut op = json!({
            "summary": r.summary,
            "parameters": parameters,
            "responses": {
                "200": {"description": "code 0", "content": {"application/json": {"schema": success}}},
                "default": {"description": "an error: code is one of ErrorCode; error.field_violations names the field",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}}}},
            },
        });
        if let Some(body) = r.body {
            op["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": to_value(body(&mut gen))}}});
        }
        if r.token {
            op["security"] = json!([{"tenant_access_token": []}]);
        }
        if !r.scopes.is_empty() {
            op["x-scopes"] = json!(r.scopes);
            op["description"] = format!(
                "Needs one of the scopes {} (99991672 otherwise).",
                r.scopes.join(", ")
            )
            .into();
        }
        paths
            .entry(r.path.to_string())
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("an object")
            .insert(r.method.to_string(), op);
    }
    let codes: Vec<Value> = ErrorCode::ALL
        .iter()
        .map(|c| json!({"code": c.code(), "http_status": c.http_status(), "msg": c.message(), "retryable": c.is_retryable()}))
        .collect();
    // Defined once among the components (the envelope refers to it).
    gen.subschema_for::<larkfeed_model::error::ErrorDetail>();
    let mut schemas: serde_json::Map<String, Value> = gen
        .definitions()
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or_default()))
        .collect();
    schemas.insert(
        "ErrorCode".into(),
        json!({
            "type": "integer",
            "enum": ErrorCode::ALL.iter().map(|c| c.code()).collect::<Vec<_>>(),
            "x-codes": codes,
        }),
    );
    schemas.insert(
        "Envelope".into(),
        json!({
            "type": "object",
            "required": ["code", "msg"],
            "properties": {
                "code": {"$ref": "#/components/schemas/ErrorCode"},
                "msg": {"type": "string"},
                "data": {"type": "object"},
                "error": {"$ref": "#/components/schemas/ErrorDetail"},
            },
        }),
    );
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "larkfeed: the Feishu IM feed-card, chat and message APIs",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The Open API routes larkfeed serves, as the platform speaks them. Every answer is the {code, msg, data} envelope with an X-Tt-Logid header.",
        },
        "servers": [{"url": "http://127.0.0.1:8980"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"tenant_access_token": {"type": "http", "scheme": "bearer",
                "description": "Authorization: Bearer t-… from /open-apis/auth/v3/tenant_access_token/internal"}},
        },
    })
}

/// `GET /_larkfeed/openapi.json`.
pub async fn openapi() -> Json<Value> {
    Json(document())
}
