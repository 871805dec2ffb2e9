//! Messages: send, read, update a card, recall.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), larkfeed_client::Error> {
//! # let server = larkfeed_client::testing::TestServer::start().await;
//! # let client = server.client();
//! # let alice = server.open_id(0, 0);
//! use larkfeed_model::message::{PatchMessageRequest, SendMessageRequest};
//! use larkfeed_model::{ReceiveIdType, UserIdType};
//!
//! let card = r#"{"config":{"update_multi":true},"elements":[{"tag":"markdown","content":"Building…"}]}"#;
//! let send = SendMessageRequest {
//!     receive_id: Some(alice),
//!     msg_type: Some("interactive".into()),
//!     content: Some(card.into()),
//!     uuid: Some("build-1234".into()), // a retry within the hour sends nothing new
//! };
//! let message = client.send_message(&send, ReceiveIdType::User(UserIdType::OpenId)).await?;
//! let done = r#"{"config":{"update_multi":true},"elements":[{"tag":"markdown","content":"Done"}]}"#;
//! let patch = PatchMessageRequest { content: Some(done.into()) };
//! client.patch_message(&message.message_id, &patch).await?;
//! let read = client.get_message(&message.message_id).await?;
//! assert!(read.updated);
//! # Ok(()) }
//! ```

use crate::{Client, Error};
use larkfeed_model::card::DelayedUpdateRequest;
use larkfeed_model::endpoint::{
    DelayedCardUpdate, GetMessage, ListMessages, MessagePage, MessageReadUsers, PatchMessage,
    PathParam, RecallMessage, ReceiveIds, ReplyMessage, RequiredUserIds, SendMessage,
    UpdateMessage,
};
use larkfeed_model::endpoint::{ForwardMessage, UrgentApp};
use larkfeed_model::message::{
    Message, MessageList, PatchMessageRequest, ReplyMessageRequest, SendMessageRequest,
    UpdateMessageRequest,
};
use larkfeed_model::ReceiveIdType;

impl Client {
    /// `POST /open-apis/im/v1/messages`: to a user (the bot's one-to-one chat) or a chat.
    pub async fn send_message(
        &self,
        req: &SendMessageRequest,
        receive_id_type: ReceiveIdType,
    ) -> Result<Message, Error> {
        self.send::<SendMessage>(&(), &ReceiveIds(receive_id_type), req)
            .await
    }

    /// `POST /open-apis/im/v1/messages/:message_id/reply`: into the message's chat, quoting it,
    /// or in a thread under it with `reply_in_thread` (a message in a thread is answered in it).
    pub async fn reply_message(
        &self,
        message_id: &str,
        req: &ReplyMessageRequest,
    ) -> Result<Message, Error> {
        let path = PathParam::new(message_id);
        self.send::<ReplyMessage>(&path, &(), req).await
    }

    /// `GET /open-apis/im/v1/messages/:message_id`.
    pub async fn get_message(&self, message_id: &str) -> Result<Message, Error> {
        let answer = self
            .send::<GetMessage>(&PathParam::new(message_id), &(), &())
            .await?;
        answer
            .items
            .into_iter()
            .next()
            .ok_or_else(|| Error::Decode("no message in items".into()))
    }

    /// `POST /open-apis/im/v1/messages/:message_id/forward`: a copy of the message, sent on.
    pub async fn forward_message(
        &self,
        message_id: &str,
        receive_id: &str,
        receive_id_type: ReceiveIdType,
    ) -> Result<Message, Error> {
        let req = larkfeed_model::message::ForwardMessageRequest {
            receive_id: Some(receive_id.into()),
        };
        self.send::<ForwardMessage>(
            &PathParam::new(message_id),
            &ReceiveIds(receive_id_type),
            &req,
        )
        .await
    }

    /// `PATCH /open-apis/im/v1/messages/:message_id/urgent_app`: alert users of the chat; the
    /// ids that name none of its users.
    pub async fn urgent_app(
        &self,
        message_id: &str,
        user_ids: Vec<String>,
        id_type: larkfeed_model::UserIdType,
    ) -> Result<Vec<String>, Error> {
        let req = larkfeed_model::message::UrgentRequest {
            user_id_list: Some(user_ids),
        };
        let answer = self
            .send::<UrgentApp>(&PathParam::new(message_id), &RequiredUserIds(id_type), &req)
            .await?;
        Ok(answer.invalid_user_id_list)
    }

    /// `GET /open-apis/im/v1/messages/:message_id/read_users`: who read a message the app sent.
    pub async fn message_read_users(
        &self,
        message_id: &str,
        id_type: larkfeed_model::UserIdType,
    ) -> Result<larkfeed_model::message::ReadUsers, Error> {
        let path = PathParam::new(message_id);
        self.send::<MessageReadUsers>(&path, &RequiredUserIds(id_type), &())
            .await
    }

    /// `GET /open-apis/im/v1/messages`: one page of a chat's or a thread's messages.
    pub async fn list_messages(&self, page: &MessagePage) -> Result<MessageList, Error> {
        self.send::<ListMessages>(&(), page, &()).await
    }

    /// `PUT /open-apis/im/v1/messages/:message_id`: edit a text or post the app sent (20 times
    /// at most).
    pub async fn update_message(
        &self,
        message_id: &str,
        req: &UpdateMessageRequest,
    ) -> Result<Message, Error> {
        self.send::<UpdateMessage>(&PathParam::new(message_id), &(), req)
            .await
    }

    /// `PATCH /open-apis/im/v1/messages/:message_id`: replace a card the app sent.
    pub async fn patch_message(
        &self,
        message_id: &str,
        req: &PatchMessageRequest,
    ) -> Result<(), Error> {
        self.send::<PatchMessage>(&PathParam::new(message_id), &(), req)
            .await?;
        Ok(())
    }

    /// `POST /open-apis/interactive/v1/card/update`: replace the card a user clicked, with the
    /// `token` its `card.action.trigger` callback gave (within 30 minutes, twice at most).
    pub async fn delayed_card_update(&self, req: &DelayedUpdateRequest) -> Result<(), Error> {
        self.send::<DelayedCardUpdate>(&(), &(), req).await?;
        Ok(())
    }

    /// `DELETE /open-apis/im/v1/messages/:message_id`: recall a message the app sent.
    pub async fn recall_message(&self, message_id: &str) -> Result<(), Error> {
        self.send::<RecallMessage>(&PathParam::new(message_id), &(), &())
            .await?;
        Ok(())
    }
}
