//! Images and files (the reference pages im-v1/image/create, get; im-v1/file/create, get;
//! im-v1/message-resource/get): what an upload takes, its limits, and the keys it answers.
//! Uploads are multipart forms and downloads are bytes, so these endpoints are described here
//! for the document, the SDK and the CLI, and served outside the JSON envelope's handler.

use serde::{Deserialize, Serialize};

/// An image may be 10 MB (234006 beyond), and not empty (234010).
pub const IMAGE_LIMIT_BYTES: usize = 10 * 1024 * 1024;
/// A file may be 30 MB.
pub const FILE_LIMIT_BYTES: usize = 30 * 1024 * 1024;
/// `image_type`: for a message, or to be an avatar.
pub const IMAGE_TYPES: &[&str] = &["message", "avatar"];
/// `file_type`: `stream` for anything else.
pub const FILE_TYPES: &[&str] = &["opus", "mp4", "pdf", "doc", "xls", "ppt", "stream"];

/// The form of `POST /open-apis/im/v1/images` (`multipart/form-data`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ImageForm {
    /// `message` or `avatar`.
    #[schemars(required)]
    pub image_type: Option<String>,
    /// The image's bytes (JPG, PNG, WEBP, GIF, BMP, ICO, TIFF or HEIC).
    #[schemars(required)]
    pub image: Option<Bytes>,
}

/// The form of `POST /open-apis/im/v1/files` (`multipart/form-data`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FileForm {
    /// `opus`, `mp4`, `pdf`, `doc`, `xls`, `ppt` or `stream`.
    #[schemars(required)]
    pub file_type: Option<String>,
    #[schemars(required)]
    pub file_name: Option<String>,
    /// Milliseconds, for audio and video.
    pub duration: Option<i64>,
    /// The file's bytes.
    #[schemars(required)]
    pub file: Option<Bytes>,
}

use crate::validate::{self, Checked, FieldError};

impl ImageForm {
    /// The form with its fields checked (the image's own rules are the server's: size, format).
    pub fn parse(self) -> Result<ImageForm, FieldError> {
        let kind = validate::required("image_type", &self.image_type)?;
        validate::one_of("image_type", kind, IMAGE_TYPES)?;
        validate::required("image", &self.image)?;
        Ok(self)
    }
    pub fn validate(&self) -> Checked {
        self.clone().parse().map(drop)
    }
}

impl FileForm {
    pub fn parse(self) -> Result<FileForm, FieldError> {
        let kind = validate::required("file_type", &self.file_type)?;
        validate::one_of("file_type", kind, FILE_TYPES)?;
        let name = validate::required("file_name", &self.file_name)?;
        validate::char_range("file_name", name, 1, 250)?;
        if self.duration.is_some_and(|d| d < 0) {
            return Err(FieldError::new("duration", "milliseconds, not below 0"));
        }
        validate::required("file", &self.file)?;
        Ok(self)
    }
    pub fn validate(&self) -> Checked {
        self.clone().parse().map(drop)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ImageKey {
    pub image_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FileKey {
    pub file_key: String,
}

/// A download's answer: the bytes themselves (`application/octet-stream`, or the image's type).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bytes(pub Vec<u8>);

impl schemars::JsonSchema for Bytes {
    fn schema_name() -> String {
        "Bytes".into()
    }
    fn json_schema(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::String.into()),
            format: Some("binary".into()),
            ..Default::default()
        }
        .into()
    }
}

/// The image format of `bytes` by its first bytes, as the platform recognises them (234011
/// otherwise): its media type.
pub fn image_format(bytes: &[u8]) -> Option<&'static str> {
    let starts = |p: &[u8]| bytes.starts_with(p);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if starts(&[0x89, b'P', b'N', b'G']) {
        Some("image/png")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some("image/gif")
    } else if starts(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        Some("image/webp")
    } else if starts(b"BM") {
        Some("image/bmp")
    } else if starts(&[0, 0, 1, 0]) {
        Some("image/x-icon")
    } else if starts(&[0x49, 0x49, 0x2A, 0]) || starts(&[0x4D, 0x4D, 0, 0x2A]) {
        Some("image/tiff")
    } else if bytes.get(4..8) == Some(b"ftyp")
        && matches!(bytes.get(8..12), Some(b"heic" | b"heix" | b"mif1"))
    {
        Some("image/heic")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_known_by_their_first_bytes() {
        assert_eq!(
            image_format(&[0x89, b'P', b'N', b'G', 13, 10, 26, 10]),
            Some("image/png")
        );
        assert_eq!(image_format(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(image_format(b"GIF89a..."), Some("image/gif"));
        assert_eq!(image_format(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(image_format(b"%PDF-1.7"), None);
        assert_eq!(image_format(b""), None);
    }
}
