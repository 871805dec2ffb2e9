//! Every endpoint the model describes reaches users three ways: a named SDK method, a CLI
//! command, and the OpenAPI document. This test fails when one is added to
//! `larkfeed_model::endpoint::ALL` without the others.

use larkfeed_model::endpoint::ALL;
use std::path::Path;

/// Endpoints the SDK reaches without a `send::<E>` method of their own, and why.
const NO_SDK_METHOD: &[&str] = &[
    // Fetched by the client's token cache (`Client::tenant_access_token`), never called directly.
    "TenantAccessToken",
    // An app access token is only needed for user-token flows, which larkfeed does not serve.
    "AppAccessToken",
];

/// Endpoints the CLI reaches without a `Plan::of::<E>` of their own, and why.
const NO_CLI_COMMAND: &[&str] = &[
    // `larkfeed token` prints it, through the SDK's token cache.
    "TenantAccessToken",
    // As for the SDK: no user-token flow.
    "AppAccessToken",
];

/// The text of the SDK's method files (`client/src/api/*.rs`).
fn sdk_methods() -> String {
    let api = Path::new(env!("CARGO_MANIFEST_DIR")).join("../client/src/api");
    std::fs::read_dir(api)
        .unwrap()
        .map(|f| std::fs::read_to_string(f.unwrap().path()).unwrap())
        .collect()
}

#[test]
fn every_endpoint_has_an_sdk_method_and_a_cli_command() {
    let sdk = sdk_methods();
    // A JSON call is a `Plan`; an upload or a download moves bytes through the SDK directly.
    let cli = [
        include_str!("../src/commands.rs"),
        include_str!("../src/transfer.rs"),
    ]
    .concat();
    let calls = |text: &str, name: &str, first: &str| {
        [first, "upload::<", "download::<"]
            .iter()
            .any(|call| text.contains(&format!("{call}{name}>")))
    };
    let mut missing = Vec::new();
    for e in ALL {
        let name = e.type_name;
        if !NO_SDK_METHOD.contains(&name) && !calls(&sdk, name, "send::<") {
            missing.push(format!(
                "{name} ({}) has no SDK method in client/src/api",
                e.name
            ));
        }
        if !NO_CLI_COMMAND.contains(&name) && !calls(&cli, name, "Plan::of::<") {
            missing.push(format!("{name} ({}) has no CLI command", e.name));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
    for name in NO_SDK_METHOD.iter().chain(NO_CLI_COMMAND) {
        assert!(
            ALL.iter().any(|e| e.type_name == *name),
            "{name} is excused but is not an endpoint"
        );
    }
}

#[test]
fn every_endpoint_is_in_the_openapi_document() {
    let doc = larkfeed_server::routes::openapi::document();
    for e in ALL {
        let method = e.method.as_str().to_lowercase();
        assert!(
            doc["paths"][e.path][&method].is_object(),
            "{} {} is not in the OpenAPI document",
            e.method.as_str(),
            e.path
        );
    }
}
