//! CardKit card entities: create one from card JSON 2.0, send it by its `card_id`, then change it
//! with writes that each carry a rising `sequence`. [`CardStream`] streams a text into a card
//! the way the official bot frameworks do: a card with streaming mode on and one markdown
//! element, sent, then the whole text so far written again and again, then streaming off.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), larkfeed_client::Error> {
//! # let server = larkfeed_client::testing::TestServer::start().await;
//! # let client = server.client();
//! # let alice = server.open_id(0, 0);
//! use larkfeed_model::{ReceiveIdType, UserIdType};
//!
//! let to = ReceiveIdType::User(UserIdType::OpenId);
//! let mut stream = client.start_card_stream(&alice, to, None, "Thinking…").await?;
//! for word in ["The ", "answer ", "is ", "42."] {
//!     stream.append(word).await?;
//! }
//! let message_id = stream.finish().await?;
//! let message = client.get_message(&message_id).await?;
//! assert!(message.body.content.contains("The answer is 42."));
//! # Ok(()) }
//! ```

use crate::{Client, Error};
use larkfeed_model::cardkit::{
    BatchUpdateCardRequest, CardData, CardSettingsRequest, CreateCardRequest,
    CreateElementsRequest, DeleteElementRequest, ElementContentRequest, IdConvertRequest,
    PatchElementRequest, UpdateCardRequest, UpdateElementRequest,
};
use larkfeed_model::endpoint::{
    BatchUpdateCard, CardSettings, ConvertCardId, CreateCard, CreateCardElements,
    DeleteCardElement, ElementPath, PatchCardElement, PathParam, StreamCardElement, UpdateCard,
    UpdateCardElement,
};
use larkfeed_model::message::{ReplyMessageRequest, SendMessageRequest};
use larkfeed_model::ReceiveIdType;
use serde_json::{json, Value};

impl Client {
    /// `POST /open-apis/cardkit/v1/cards`: a card entity from a card JSON 2.0; its `card_id`.
    pub async fn create_card(&self, card: &Value) -> Result<String, Error> {
        let req = CreateCardRequest {
            r#type: Some("card_json".into()),
            data: Some(card.to_string()),
        };
        Ok(self.send::<CreateCard>(&(), &(), &req).await?.card_id)
    }

    /// `POST /open-apis/cardkit/v1/cards/id_convert`: the entity of a card message the app sent.
    pub async fn convert_card_id(&self, message_id: &str) -> Result<String, Error> {
        let req = IdConvertRequest {
            message_id: Some(message_id.into()),
        };
        Ok(self.send::<ConvertCardId>(&(), &(), &req).await?.card_id)
    }

    /// `PUT /open-apis/cardkit/v1/cards/:card_id`: the whole card replaced.
    pub async fn update_card(&self, card_id: &str, req: &UpdateCardRequest) -> Result<(), Error> {
        self.send::<UpdateCard>(&PathParam::new(card_id), &(), req)
            .await
            .map(drop)
    }

    /// `PATCH /open-apis/cardkit/v1/cards/:card_id/settings`: config (streaming mode, summary…)
    /// and card link.
    pub async fn card_settings(
        &self,
        card_id: &str,
        req: &CardSettingsRequest,
    ) -> Result<(), Error> {
        self.send::<CardSettings>(&PathParam::new(card_id), &(), req)
            .await
            .map(drop)
    }

    /// `POST /open-apis/cardkit/v1/cards/:card_id/batch_update`: several changes in one write.
    pub async fn batch_update_card(
        &self,
        card_id: &str,
        req: &BatchUpdateCardRequest,
    ) -> Result<(), Error> {
        self.send::<BatchUpdateCard>(&PathParam::new(card_id), &(), req)
            .await
            .map(drop)
    }

    /// `POST /open-apis/cardkit/v1/cards/:card_id/elements`: elements added.
    pub async fn create_card_elements(
        &self,
        card_id: &str,
        req: &CreateElementsRequest,
    ) -> Result<(), Error> {
        self.send::<CreateCardElements>(&PathParam::new(card_id), &(), req)
            .await
            .map(drop)
    }

    /// `PUT /open-apis/cardkit/v1/cards/:card_id/elements/:element_id`: one element replaced.
    pub async fn update_card_element(
        &self,
        card_id: &str,
        element_id: &str,
        req: &UpdateElementRequest,
    ) -> Result<(), Error> {
        let path = ElementPath::new(card_id, element_id);
        self.send::<UpdateCardElement>(&path, &(), req)
            .await
            .map(drop)
    }

    /// `PATCH /open-apis/cardkit/v1/cards/:card_id/elements/:element_id`: properties changed.
    pub async fn patch_card_element(
        &self,
        card_id: &str,
        element_id: &str,
        req: &PatchElementRequest,
    ) -> Result<(), Error> {
        let path = ElementPath::new(card_id, element_id);
        self.send::<PatchCardElement>(&path, &(), req)
            .await
            .map(drop)
    }

    /// `DELETE /open-apis/cardkit/v1/cards/:card_id/elements/:element_id`.
    pub async fn delete_card_element(
        &self,
        card_id: &str,
        element_id: &str,
        req: &DeleteElementRequest,
    ) -> Result<(), Error> {
        let path = ElementPath::new(card_id, element_id);
        self.send::<DeleteCardElement>(&path, &(), req)
            .await
            .map(drop)
    }

    /// `PUT /open-apis/cardkit/v1/cards/:card_id/elements/:element_id/content`: the whole text
    /// of a text element, while streaming mode is on.
    pub async fn stream_card_element(
        &self,
        card_id: &str,
        element_id: &str,
        req: &ElementContentRequest,
    ) -> Result<(), Error> {
        let path = ElementPath::new(card_id, element_id);
        self.send::<StreamCardElement>(&path, &(), req)
            .await
            .map(drop)
    }

    /// Starts streaming a text into a new card: creates the card (streaming on, one markdown
    /// element showing `placeholder`) and sends it to `to`, or as a reply to `reply_to`.
    pub async fn start_card_stream(
        &self,
        to: &str,
        to_type: ReceiveIdType,
        reply_to: Option<&str>,
        placeholder: &str,
    ) -> Result<CardStream<'_>, Error> {
        let card = streaming_card(placeholder);
        let card_id = self.create_card(&card).await?;
        let content = json!({"type": "card", "data": {"card_id": card_id}}).to_string();
        let message = match reply_to {
            Some(message_id) => {
                let req = ReplyMessageRequest {
                    content: Some(content),
                    msg_type: Some("interactive".into()),
                    ..Default::default()
                };
                self.reply_message(message_id, &req).await?
            }
            None => {
                let req = SendMessageRequest {
                    receive_id: Some(to.into()),
                    msg_type: Some("interactive".into()),
                    content: Some(content),
                    uuid: None,
                };
                self.send_message(&req, to_type).await?
            }
        };
        Ok(CardStream {
            client: self,
            card_id,
            message_id: message.message_id.into_string(),
            sequence: 0,
            text: String::new(),
        })
    }
}

/// The element a [`CardStream`] writes into.
pub const STREAM_ELEMENT_ID: &str = "stream_md";

/// A card JSON 2.0 with streaming mode on and one markdown element.
pub fn streaming_card(text: &str) -> Value {
    json!({
        "schema": "2.0",
        "config": {
            "streaming_mode": true,
            "summary": {"content": "[Generating...]"},
            "streaming_config": {
                "print_frequency_ms": {"default": 70},
                "print_step": {"default": 1},
                "print_strategy": "fast"
            }
        },
        "body": {"elements": [
            {"tag": "markdown", "element_id": STREAM_ELEMENT_ID, "content": text}
        ]}
    })
}

/// A text being streamed into a card sent by [`Client::start_card_stream`]: each write sends
/// the whole text so far with the next sequence (and a uuid made of the two, so a retried write
/// is not applied twice).
pub struct CardStream<'c> {
    client: &'c Client,
    card_id: String,
    message_id: String,
    sequence: i64,
    text: String,
}

impl CardStream<'_> {
    pub fn card_id(&self) -> &str {
        &self.card_id
    }

    pub fn message_id(&self) -> &str {
        &self.message_id
    }

    /// The text written so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    fn next(&mut self) -> (i64, String) {
        self.sequence += 1;
        let uuid = format!("c_{}_{}", self.card_id, self.sequence);
        (self.sequence, uuid)
    }

    /// Adds `chunk` to the text and writes the whole text.
    pub async fn append(&mut self, chunk: &str) -> Result<(), Error> {
        self.text.push_str(chunk);
        let (sequence, uuid) = self.next();
        let req = ElementContentRequest {
            uuid: Some(uuid),
            content: Some(self.text.clone()),
            sequence: Some(sequence),
        };
        self.client
            .stream_card_element(&self.card_id, STREAM_ELEMENT_ID, &req)
            .await
    }

    /// Turns streaming off, with the start of the text as the card's summary; the message's id.
    pub async fn finish(mut self) -> Result<String, Error> {
        let summary: String = self.text.chars().take(50).collect();
        let settings =
            json!({"config": {"streaming_mode": false, "summary": {"content": summary}}});
        let (sequence, uuid) = self.next();
        let req = CardSettingsRequest {
            settings: Some(settings.to_string()),
            uuid: Some(uuid),
            sequence: Some(sequence),
        };
        self.client.card_settings(&self.card_id, &req).await?;
        Ok(self.message_id)
    }
}

/// `card` of a whole-card update from a card JSON 2.0.
pub fn card_data(card: &Value) -> CardData {
    CardData {
        r#type: Some("card_json".into()),
        data: Some(card.to_string()),
    }
}
