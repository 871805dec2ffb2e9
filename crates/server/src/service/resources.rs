//! Images and files (the reference pages im-v1/image/create and get, im-v1/file/create and get,
//! im-v1/message-resource/get): an upload is checked (a bot app 234007, not empty 234010, 10 MB
//! for an image and 30 MB for a file 234006, an image format the platform reads 234011) and its
//! bytes are stored; the app reads back its own uploads, and any image or file of a message in a
//! chat its bot is in. A message or card naming a key nobody uploaded is refused where it is sent.

use super::bot_in_chat;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{Actor, UploadRow};
use crate::world::App;
use larkfeed_model::resource::{
    image_format, FileForm, FileKey, ImageForm, ImageKey, FILE_LIMIT_BYTES, IMAGE_LIMIT_BYTES,
};
use larkfeed_model::{ErrorCode, FieldError, MessageId};

fn invalid(field: &str, rule: impl Into<String>) -> ApiError {
    ApiError::field(
        ErrorCode::ResourceInvalidParam,
        FieldError::new(field, rule),
    )
}

/// The size rules every upload keeps.
fn sized(bytes: &[u8], limit: usize) -> Result<(), ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::new(ErrorCode::ResourceEmpty));
    }
    if bytes.len() > limit {
        return Err(ApiError::with_detail(
            ErrorCode::ResourceTooLarge,
            format!("{} bytes, the limit is {limit}", bytes.len()),
        ));
    }
    Ok(())
}

fn new_key(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4())
}

/// `who` uploads an image (an app through the API, a user through an act): its key.
pub(crate) async fn store_image(
    state: &AppState,
    who: Actor,
    image_type: &str,
    bytes: Vec<u8>,
) -> Result<String, ApiError> {
    sized(&bytes, IMAGE_LIMIT_BYTES)?;
    let media_type =
        image_format(&bytes).ok_or_else(|| ApiError::new(ErrorCode::ResourceNotImage))?;
    let key = new_key("img_v3_");
    let row = UploadRow {
        key: key.clone(),
        kind: "image".into(),
        owner: who,
        file_type: image_type.into(),
        file_name: String::new(),
        duration_ms: None,
        media_type: media_type.into(),
        bytes,
        created_at_ms: state.clock.now_ms(),
    };
    state.store.add_upload(row).await?;
    Ok(key)
}

/// `who` uploads a file: its key.
pub(crate) async fn store_file(
    state: &AppState,
    who: Actor,
    file_type: &str,
    file_name: &str,
    duration_ms: Option<i64>,
    bytes: Vec<u8>,
) -> Result<String, ApiError> {
    sized(&bytes, FILE_LIMIT_BYTES)?;
    let media_type = match file_type {
        "pdf" => "application/pdf",
        "mp4" => "video/mp4",
        "opus" => "audio/opus",
        "doc" => "application/msword",
        "xls" => "application/vnd.ms-excel",
        "ppt" => "application/vnd.ms-powerpoint",
        _ => "application/octet-stream",
    };
    let key = new_key("file_v3_");
    let row = UploadRow {
        key: key.clone(),
        kind: "file".into(),
        owner: who,
        file_type: file_type.into(),
        file_name: file_name.into(),
        duration_ms,
        media_type: media_type.into(),
        bytes,
        created_at_ms: state.clock.now_ms(),
    };
    state.store.add_upload(row).await?;
    Ok(key)
}

pub async fn upload_image(
    state: &AppState,
    app: &App,
    form: ImageForm,
) -> Result<ImageKey, ApiError> {
    if !app.bot {
        return Err(ApiError::new(ErrorCode::ResourceBotOff));
    }
    let form = form
        .parse()
        .map_err(|f| ApiError::field(ErrorCode::ResourceInvalidParam, f))?;
    let bytes = form.image.map(|b| b.0).unwrap_or_default();
    let kind = form.image_type.unwrap_or_default();
    let key = store_image(state, Actor::App(app.app_id.clone()), &kind, bytes).await?;
    Ok(ImageKey { image_key: key })
}

pub async fn upload_file(state: &AppState, app: &App, form: FileForm) -> Result<FileKey, ApiError> {
    if !app.bot {
        return Err(ApiError::new(ErrorCode::ResourceBotOff));
    }
    let form = form
        .parse()
        .map_err(|f| ApiError::field(ErrorCode::ResourceInvalidParam, f))?;
    let bytes = form.file.map(|b| b.0).unwrap_or_default();
    let key = store_file(
        state,
        Actor::App(app.app_id.clone()),
        &form.file_type.unwrap_or_default(),
        &form.file_name.unwrap_or_default(),
        form.duration,
        bytes,
    )
    .await?;
    Ok(FileKey { file_key: key })
}

/// An image or file the app uploaded itself (234001 naming the key otherwise).
pub async fn own_upload(
    state: &AppState,
    app: &App,
    key: &str,
    kind: &str,
) -> Result<UploadRow, ApiError> {
    let field = if kind == "image" {
        "image_key"
    } else {
        "file_key"
    };
    match state.store.upload(key).await? {
        Some(row) if row.kind == kind && row.owner == Actor::App(app.app_id.clone()) => Ok(row),
        _ => Err(invalid(
            field,
            format!("the app uploaded no {kind} with this key"),
        )),
    }
}

/// Every image and file key a message's content names (`image_key`, `file_key`, and the images
/// of a post).
pub fn keys_of(content: &str) -> Vec<String> {
    match serde_json::from_str::<serde_json::Value>(content) {
        Ok(value) => keys_in(&value),
        Err(_) => Vec::new(),
    }
}

/// Every image and file key a JSON value names, wherever it is.
pub fn keys_in(value: &serde_json::Value) -> Vec<String> {
    let mut keys = Vec::new();
    fn walk(v: &serde_json::Value, keys: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, child) in map {
                    if (k == "image_key" || k == "file_key" || k == "img_key") && child.is_string()
                    {
                        keys.push(child.as_str().unwrap_or_default().to_string());
                    } else {
                        walk(child, keys);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|c| walk(c, keys)),
            _ => {}
        }
    }
    walk(value, &mut keys);
    keys
}

/// An image or file of a message in a chat the app's bot is in, whoever sent it.
pub async fn message_resource(
    state: &AppState,
    app: &App,
    message_id: &str,
    key: &str,
    image: bool,
) -> Result<UploadRow, ApiError> {
    let no_message = || invalid("message_id", "no message has this id");
    let id = MessageId::parse(message_id).map_err(|_| no_message())?;
    let message = state.store.get_message(&id).await?.ok_or_else(no_message)?;
    if message.recalled || message.deleted {
        return Err(ApiError::new(ErrorCode::MessageRecalled));
    }
    if !bot_in_chat(state, &message.chat_id, &app.app_id).await? {
        return Err(ApiError::new(ErrorCode::BotNotInChatForRead));
    }
    let kind = if image { "image" } else { "file" };
    if !keys_of(&message.content).iter().any(|k| k == key) {
        return Err(invalid(
            "file_key",
            format!("the message holds no {kind} with this key"),
        ));
    }
    match state.store.upload(key).await? {
        Some(row) if row.kind == kind => Ok(row),
        _ => Err(invalid("type", format!("the key names no {kind}"))),
    }
}

/// 230001 naming the key unless every image or file key the content names was uploaded (a card's
/// `img_key` answers 230099 with sub-code 200570 instead, as the platform's card pages say).
pub async fn keys_exist(state: &AppState, msg_type: &str, content: &str) -> Result<(), ApiError> {
    for key in keys_of(content) {
        if state.store.upload(&key).await?.is_none() {
            if msg_type == "interactive" {
                return Err(ApiError::with_msg(
                    ErrorCode::CardInvalid,
                    format!(
                        "{}, ext=ErrCode: {}; ErrMsg: no image was uploaded with the img_key {key:?}",
                        ErrorCode::CardInvalid.message(),
                        larkfeed_model::card::sub_code::IMAGE_KEY
                    ),
                ));
            }
            return Err(ApiError::field(
                ErrorCode::ImInvalidParam,
                FieldError::new(
                    "content",
                    format!("no image or file was uploaded with the key {key:?}"),
                ),
            ));
        }
    }
    Ok(())
}
