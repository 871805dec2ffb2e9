//! What the client commands and the broadcast both read: JSON bodies from files or standard
//! input, and the user id type flag.

use crate::Failure;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::Args;
use larkfeed_model::{FieldError, UserIdType};
use serde::de::DeserializeOwned;
use std::io::Read;
use std::path::PathBuf;

/// Reads a whole JSON body given inline (the argument starts with `{` or `[`), from a file, or
/// from standard input for `-`.
pub fn read_json<T: DeserializeOwned>(source: &PathBuf) -> Result<T, Failure> {
    let inline = source
        .to_str()
        .filter(|s| s.trim_start().starts_with(['{', '[']));
    let text = if let Some(json) = inline {
        json.to_string()
    } else if source.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Failure::Usage(format!("cannot read standard input: {e}")))?;
        s
    } else {
        std::fs::read_to_string(source)
            .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", source.display())))?
    };
    let de = &mut serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        Failure::Invalid(FieldError::new(
            if field == "." { "body".into() } else { field },
            e.inner().to_string(),
        ))
    })
}

/// The request body: the `--json` file if one was given, else what the flags build.
pub fn json_or<T: DeserializeOwned>(
    json: &Option<PathBuf>,
    flags: impl FnOnce() -> Result<T, Failure>,
) -> Result<T, Failure> {
    match json {
        Some(src) => read_json(src),
        None => flags(),
    }
}

#[derive(Debug, Args)]
pub struct IdTypeArg {
    /// How user ids are given and returned: open_id, union_id or user_id.
    #[arg(long, default_value = "open_id", value_parser = id_type::<UserIdType>(&["open_id", "union_id", "user_id"]))]
    pub user_id_type: UserIdType,
}

/// A flag that takes one of the listed id types (listed in `--help`), read as the model's type.
pub fn id_type<T>(values: &'static [&'static str]) -> impl TypedValueParser<Value = T>
where
    T: std::str::FromStr<Err = String> + Clone + Send + Sync + 'static,
{
    PossibleValuesParser::new(values).try_map(|v| v.parse::<T>())
}
