//! The server's modules import only downwards. From the top:
//!
//! 1. `lib`, `startup`, `tenants`: wire everything together (each request to its tenant);
//! 2. `routes/`: the router, handlers and larkfeed's own API;
//! 3. `platform/`: what the platform does on its own (acts, deliveries, the long connection, the
//!    call log, other instances);
//! 4. `service/`: the platform's rules, one function per call;
//! 5. everything else (`store/`, `state`, `world`, `extract`, `error`, `clock`, …): what the
//!    services stand on.
//!
//! A module may import its own layer and the layers below it, never one above: a store that
//! reached into a service, or a service into the router, would tie them into one circle again.
//! Tests (`#[cfg(test)] mod tests`) are not held to this.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The layer of a top-level module: lower numbers are higher up.
fn layer(module: &str) -> u8 {
    match module {
        "lib" | "startup" | "tenants" => 1,
        "routes" => 2,
        "platform" => 3,
        "service" => 4,
        _ => 5,
    }
}

/// The source files of the crate, each with its top-level module.
fn sources() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(&root).unwrap();
                let first = relative.components().next().unwrap();
                let module = first.as_os_str().to_str().unwrap().trim_end_matches(".rs");
                out.push((path.clone(), module.to_string()));
            }
        }
    }
    out
}

/// The top-level modules `text` names through `crate::`, as a path (`crate::store::X`) or in a
/// group (`use crate::{store::X, world::World}`).
fn imports(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Each item at the group's first depth starts with its module's name.
            let mut depth = 0;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if c.is_whitespace() => {}
                    _ if item_start && depth == 0 => {
                        item_start = false;
                        found.insert(ident(&group[i..]));
                    }
                    _ => {}
                }
            }
        } else {
            found.insert(ident(rest));
        }
    }
    found.retain(|m| !m.is_empty());
    found
}

/// The file without its unit tests.
fn without_tests(text: &str) -> &str {
    match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    }
}

#[test]
fn modules_import_only_their_own_layer_and_those_below() {
    let mut upward = Vec::new();
    for (path, module) in sources() {
        let text = std::fs::read_to_string(&path).unwrap();
        for imported in imports(without_tests(&text)) {
            if imported != module && layer(&imported) < layer(&module) {
                upward.push(format!(
                    "{} ({module}, layer {}) imports {imported} (layer {})",
                    path.display(),
                    layer(&module),
                    layer(&imported)
                ));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports up the layers:\n{}",
        upward.join("\n")
    );
}

#[test]
fn imports_are_read_from_paths_and_groups() {
    let text = "use crate::store::{A, B};\nuse crate::{world::World, error::{E, F}, clock};\n\
                fn f() { crate::service::x(); }";
    let found: Vec<String> = imports(text).into_iter().collect();
    assert_eq!(found, ["clock", "error", "service", "store", "world"]);
}
