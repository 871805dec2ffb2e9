//! Images and files: upload them to send in messages and cards, download the app's own, and read
//! the images and files users send.

use crate::{Client, Error, Part};
use larkfeed_model::endpoint::{
    GetFile, GetImage, GetMessageResource, PathParam, ResourcePath, ResourceType, UploadFile,
    UploadImage,
};

impl Client {
    /// `POST /open-apis/im/v1/images`: an image (`image_type` `message` or `avatar`), 10 MB at
    /// most; its `image_key`.
    pub async fn upload_image(&self, image: Vec<u8>, image_type: &str) -> Result<String, Error> {
        let parts = [
            Part::Text("image_type", image_type.into()),
            Part::Bytes("image", image, "image".into()),
        ];
        Ok(self.upload::<UploadImage>(&parts).await?.image_key)
    }

    /// `POST /open-apis/im/v1/files`: a file (`file_type` `pdf`, `stream`, …), 30 MB at most;
    /// its `file_key`.
    pub async fn upload_file(
        &self,
        file: Vec<u8>,
        file_type: &str,
        file_name: &str,
        duration_ms: Option<i64>,
    ) -> Result<String, Error> {
        let mut parts = vec![
            Part::Text("file_type", file_type.into()),
            Part::Text("file_name", file_name.into()),
            Part::Bytes("file", file, file_name.into()),
        ];
        if let Some(d) = duration_ms {
            parts.push(Part::Text("duration", d.to_string()));
        }
        Ok(self.upload::<UploadFile>(&parts).await?.file_key)
    }

    /// `GET /open-apis/im/v1/images/:image_key`: an image the app uploaded.
    pub async fn get_image(&self, image_key: &str) -> Result<Vec<u8>, Error> {
        self.download::<GetImage>(&PathParam::new(image_key), &())
            .await
    }

    /// `GET /open-apis/im/v1/files/:file_key`: a file the app uploaded.
    pub async fn get_file(&self, file_key: &str) -> Result<Vec<u8>, Error> {
        self.download::<GetFile>(&PathParam::new(file_key), &())
            .await
    }

    /// `GET /open-apis/im/v1/messages/:message_id/resources/:file_key?type=`: an image (`image`
    /// true) or file inside a message, whoever sent it.
    pub async fn message_resource(
        &self,
        message_id: &str,
        file_key: &str,
        image: bool,
    ) -> Result<Vec<u8>, Error> {
        let path = ResourcePath::new(message_id, file_key);
        self.download::<GetMessageResource>(&path, &ResourceType { image })
            .await
    }
}
