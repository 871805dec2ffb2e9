//! `GET /_larkfeed/openapi.json`: an OpenAPI 3 document of every Open API route larkfeed serves,
//! built from the model's endpoint descriptions ([`larkfeed_model::endpoint::ALL`], the same the
//! router serves), their types' schemas (`schemars`) and the one error table, so none of it can
//! drift from the code.

use axum::Json;
use larkfeed_model::{endpoint, ErrorCode};
use schemars::gen::SchemaSettings;
use schemars::schema::Schema;
use serde_json::{json, Value};

fn to_value(s: Schema) -> Value {
    serde_json::to_value(s).unwrap_or_default()
}

/// The document.
pub fn document() -> Value {
    let mut gen = SchemaSettings::openapi3().into_generator();
    let mut paths = serde_json::Map::new();
    for r in endpoint::ALL {
        let mut parameters: Vec<Value> = r
            .query
            .iter()
            .map(|p| {
                json!({"name": p.name, "in": "query", "required": p.required, "description": p.about,
                       "schema": {"type": "string"}})
            })
            .collect();
        for segment in r.path.split('/') {
            if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                parameters.push(json!({"name": name, "in": "path", "required": true,
                                       "schema": {"type": "string"}}));
            }
        }
        let data = to_value((r.response)(&mut gen));
        let success = if r.enveloped {
            json!({"allOf": [{"$ref": "#/components/schemas/Success"},
                {"type": "object", "properties": {"data": data}}]})
        } else {
            data
        };
        // A download answers the bytes themselves.
        let ok = if r.binary {
            json!({"description": "the bytes", "content": {"application/octet-stream":
                {"schema": {"type": "string", "format": "binary"}}}})
        } else {
            json!({"description": "code 0", "content": {"application/json": {"schema": success}}})
        };
        let mut op = json!({
            "summary": r.summary,
            "parameters": parameters,
            "responses": {
                "200": ok,
                "default": {"description": "an error: code is one of ErrorCode; error.field_violations names the field",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Failure"}}}},
            },
        });
        if let Some(body) = r.request {
            let schema = to_value(body(&mut gen));
            // A body is required when it has a required field; an empty or missing body reads
            // as `{}`, which an endpoint without required fields takes.
            let required = !required_fields(&gen, &schema).is_empty();
            let media = if r.multipart {
                "multipart/form-data"
            } else {
                "application/json"
            };
            op["requestBody"] =
                json!({"required": required, "content": {media: {"schema": schema}}});
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
            .insert(r.method.as_str().to_lowercase(), op);
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
    // A success is code 0; an error carries one of the error table's codes.
    schemas.insert(
        "Success".into(),
        json!({
            "type": "object",
            "required": ["code", "msg"],
            "properties": {
                "code": {"type": "integer", "enum": [0]},
                "msg": {"type": "string"},
                "data": {"type": "object"},
            },
        }),
    );
    schemas.insert(
        "Failure".into(),
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

/// The required fields of a body's schema, following a `$ref` among the generator's definitions.
fn required_fields(gen: &schemars::gen::SchemaGenerator, schema: &Value) -> Vec<String> {
    let resolved = match schema["$ref"].as_str() {
        Some(r) => r
            .rsplit('/')
            .next()
            .and_then(|name| gen.definitions().get(name))
            .map(|s| serde_json::to_value(s).unwrap_or_default())
            .unwrap_or_default(),
        None => schema.clone(),
    };
    resolved["required"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `GET /_larkfeed/openapi.json`.
pub async fn openapi() -> Json<Value> {
    Json(document())
}
