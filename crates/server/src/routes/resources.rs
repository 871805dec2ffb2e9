//! The endpoints outside the JSON body and answer: uploads (`multipart/form-data`) and downloads
//! (the bytes themselves). The order is the platform's, as for every Open API call: the token,
//! the scopes, the query, the limits, then the form; a failure answers in the envelope.

use super::invalid;
use crate::error::{ApiError, JsonAnswer};
use crate::platform::PlatformState;
use crate::service::caller::Caller;
use crate::service::resources;
use crate::store::UploadRow;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use larkfeed_model::endpoint::{self as ep, Endpoint};
use larkfeed_model::resource::{Bytes, FileForm, FileKey, ImageForm, ImageKey};
use larkfeed_model::{Envelope, FieldError};

/// A body may be this large on the upload paths: a 30 MB file and its form.
pub const UPLOAD_MAX_BODY: usize = 31 * 1024 * 1024;

/// The caller's scopes and limits for `E`.
async fn allowed<E: Endpoint>(state: &PlatformState, caller: &Caller) -> Result<(), ApiError> {
    if !E::SCOPES.is_empty() {
        caller.require(E::SCOPES)?;
    }
    caller.limit::<E>(state).await
}

/// Each part of a form: its name, and its text or bytes.
async fn parts<E: Endpoint>(
    form: Result<Multipart, MultipartRejection>,
) -> Result<Vec<(String, Vec<u8>)>, ApiError> {
    let mut form = form.map_err(|e| {
        invalid::<E>(FieldError::new(
            "body",
            format!("must be a multipart/form-data form: {e}"),
        ))
    })?;
    let mut out = Vec::new();
    loop {
        let field = form
            .next_field()
            .await
            .map_err(|e| invalid::<E>(FieldError::new("body", e.body_text())))?;
        let Some(field) = field else {
            return Ok(out);
        };
        let name = field.name().unwrap_or_default().to_string();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| invalid::<E>(FieldError::new(name.clone(), e.body_text())))?;
        out.push((name, bytes.to_vec()));
    }
}

fn text(parts: &[(String, Vec<u8>)], name: &str) -> Option<String> {
    parts
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
}

fn bytes(parts: &mut Vec<(String, Vec<u8>)>, name: &str) -> Option<Bytes> {
    let at = parts.iter().position(|(n, _)| n == name)?;
    Some(Bytes(parts.swap_remove(at).1))
}

pub async fn upload_image(
    State(state): State<PlatformState>,
    caller: Caller,
    form: Result<Multipart, MultipartRejection>,
) -> Result<JsonAnswer<Envelope<ImageKey>>, ApiError> {
    allowed::<ep::UploadImage>(&state, &caller).await?;
    let mut parts = parts::<ep::UploadImage>(form).await?;
    let form = ImageForm {
        image_type: text(&parts, "image_type"),
        image: bytes(&mut parts, "image"),
    };
    let key = resources::upload_image(&state, &caller.app, form).await?;
    Ok(JsonAnswer(Envelope::success(key)))
}

pub async fn upload_file(
    State(state): State<PlatformState>,
    caller: Caller,
    form: Result<Multipart, MultipartRejection>,
) -> Result<JsonAnswer<Envelope<FileKey>>, ApiError> {
    allowed::<ep::UploadFile>(&state, &caller).await?;
    let mut parts = parts::<ep::UploadFile>(form).await?;
    let duration = match text(&parts, "duration").filter(|d| !d.is_empty()) {
        Some(d) => Some(d.parse::<i64>().map_err(|_| {
            invalid::<ep::UploadFile>(FieldError::new("duration", "milliseconds, a whole number"))
        })?),
        None => None,
    };
    let form = FileForm {
        file_type: text(&parts, "file_type"),
        file_name: text(&parts, "file_name"),
        duration,
        file: bytes(&mut parts, "file"),
    };
    let key = resources::upload_file(&state, &caller.app, form).await?;
    Ok(JsonAnswer(Envelope::success(key)))
}

/// The bytes, with their media type and, for a file, its name.
fn served(row: UploadRow) -> Response {
    let disposition = if row.kind == "file" && !row.file_name.is_empty() {
        format!(
            "attachment; filename=\"{}\"",
            row.file_name.replace('"', "")
        )
    } else {
        "inline".into()
    };
    (
        [
            (header::CONTENT_TYPE, row.media_type),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        row.bytes,
    )
        .into_response()
}

pub async fn get_image(
    State(state): State<PlatformState>,
    caller: Caller,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    allowed::<ep::GetImage>(&state, &caller).await?;
    Ok(served(
        resources::own_upload(&state, &caller.app, &key, "image").await?,
    ))
}

pub async fn get_file(
    State(state): State<PlatformState>,
    caller: Caller,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    allowed::<ep::GetFile>(&state, &caller).await?;
    Ok(served(
        resources::own_upload(&state, &caller.app, &key, "file").await?,
    ))
}

pub async fn get_message_resource(
    State(state): State<PlatformState>,
    caller: Caller,
    Path((message_id, key)): Path<(String, String)>,
    params: crate::extract::Params,
) -> Result<Response, ApiError> {
    allowed::<ep::GetMessageResource>(&state, &caller).await?;
    let image = match params.get("type") {
        Some("image") => true,
        Some("file") => false,
        Some(_) => return Err(params.invalid("type", "must be image or file")),
        None => return Err(params.invalid("type", "is required")),
    };
    let row = resources::message_resource(&state, &caller.app, &message_id, &key, image).await?;
    Ok(served(row))
}
