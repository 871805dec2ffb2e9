//! The commands that move bytes: image and file uploads (a `multipart/form-data` form) and
//! downloads (written to a file), through the SDK's `upload` and `download`.

use crate::output::{self, Format};
use crate::Failure;
use clap::Subcommand;
use larkfeed_client::{Client, Part};
use larkfeed_model::endpoint::{
    GetFile, GetImage, GetMessageResource, PathParam, ResourcePath, ResourceType, UploadFile,
    UploadImage,
};
use serde_json::json;
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum ImageCmd {
    /// Upload an image for messages and cards, 10 MB at most; prints its image_key
    /// (POST /open-apis/im/v1/images).
    Upload {
        /// The image file (JPG, PNG, WEBP, GIF, BMP, ICO, TIFF, HEIC).
        file: PathBuf,
        #[arg(long, default_value = "message", value_parser = ["message", "avatar"])]
        image_type: String,
    },
    /// Download an image the app uploaded (GET /open-apis/im/v1/images/:image_key).
    Get {
        image_key: String,
        /// Where to write it.
        #[arg(long, short)]
        output: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum FileCmd {
    /// Upload a file, 30 MB at most; prints its file_key (POST /open-apis/im/v1/files).
    Upload {
        file: PathBuf,
        /// opus, mp4, pdf, doc, xls, ppt or stream.
        #[arg(long, default_value = "stream", value_parser = ["opus", "mp4", "pdf", "doc", "xls", "ppt", "stream"])]
        file_type: String,
        /// The name users see (the file's own name when left out).
        #[arg(long)]
        name: Option<String>,
        /// Milliseconds, for audio and video.
        #[arg(long)]
        duration: Option<i64>,
    },
    /// Download a file the app uploaded (GET /open-apis/im/v1/files/:file_key).
    Get {
        file_key: String,
        #[arg(long, short)]
        output: PathBuf,
    },
}

/// An image or file inside a message (GET …/messages/:message_id/resources/:file_key).
#[derive(Debug, clap::Args)]
pub struct ResourceArgs {
    /// The message (om_…).
    message_id: String,
    /// The image_key or file_key its content names.
    key: String,
    #[arg(long = "type", default_value = "image", value_parser = ["image", "file"])]
    kind: String,
    #[arg(long, short)]
    output: PathBuf,
}

fn read(file: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(file).map_err(|e| Failure::Usage(format!("cannot read {}: {e}", file.display())))
}

fn write(output: &Path, bytes: &[u8], format: Format) -> Result<(), Failure> {
    std::fs::write(output, bytes)
        .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", output.display())))?;
    output::print(&json!({"written": output, "bytes": bytes.len()}), format);
    Ok(())
}

pub async fn image(cmd: &ImageCmd, client: &Client, format: Format) -> Result<(), Failure> {
    match cmd {
        ImageCmd::Upload { file, image_type } => {
            let parts = [
                Part::Text("image_type", image_type.clone()),
                Part::Bytes("image", read(file)?, file_name(file)),
            ];
            let key = client.upload::<UploadImage>(&parts).await?;
            output::print(&serde_json::to_value(key).unwrap_or_default(), format);
            Ok(())
        }
        ImageCmd::Get { image_key, output } => {
            let bytes = client
                .download::<GetImage>(&PathParam::new(image_key), &())
                .await?;
            write(output, &bytes, format)
        }
    }
}

pub async fn file(cmd: &FileCmd, client: &Client, format: Format) -> Result<(), Failure> {
    match cmd {
        FileCmd::Upload {
            file,
            file_type,
            name,
            duration,
        } => {
            let name = name.clone().unwrap_or_else(|| file_name(file));
            let mut parts = vec![
                Part::Text("file_type", file_type.clone()),
                Part::Text("file_name", name.clone()),
                Part::Bytes("file", read(file)?, name),
            ];
            if let Some(d) = duration {
                parts.push(Part::Text("duration", d.to_string()));
            }
            let key = client.upload::<UploadFile>(&parts).await?;
            output::print(&serde_json::to_value(key).unwrap_or_default(), format);
            Ok(())
        }
        FileCmd::Get { file_key, output } => {
            let bytes = client
                .download::<GetFile>(&PathParam::new(file_key), &())
                .await?;
            write(output, &bytes, format)
        }
    }
}

pub async fn resource(args: &ResourceArgs, client: &Client, format: Format) -> Result<(), Failure> {
    let path = ResourcePath::new(&args.message_id, &args.key);
    let kind = ResourceType {
        image: args.kind == "image",
    };
    let bytes = client.download::<GetMessageResource>(&path, &kind).await?;
    write(&args.output, &bytes, format)
}

fn file_name(file: &Path) -> String {
    file.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into())
}
