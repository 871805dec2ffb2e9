//! Group chats and their members.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), larkfeed_client::Error> {
//! # let server = larkfeed_client::testing::TestServer::start().await;
//! # let client = server.client();
//! # let bob = server.open_id(0, 1);
//! use larkfeed_model::chat::{AddMembersRequest, CreateChatRequest};
//! use larkfeed_model::{MemberIdType, UserIdType};
//!
//! let req = CreateChatRequest { name: Some("On-call".into()), ..Default::default() };
//! let chat = client.create_chat(&req, UserIdType::OpenId).await?;
//! let add = AddMembersRequest { id_list: Some(vec![bob]) };
//! client.add_chat_members(&chat.chat_id, &add, MemberIdType::User(UserIdType::OpenId)).await?;
//! let page = client.list_chat_members(&chat.chat_id, MemberIdType::User(UserIdType::OpenId), Some(50), None).await?;
//! assert_eq!(page.member_total, 1);
//! let info = client.get_chat(&chat.chat_id, UserIdType::OpenId).await?;
//! assert_eq!((info.user_count.as_str(), info.bot_count.as_str()), ("1", "1"));
//! # Ok(()) }
//! ```

use crate::{Client, Error};
use larkfeed_model::chat::{
    AddMembersRequest, AddMembersResponse, Chat, ChatInfo, CreateChatRequest, ListMembersResponse,
};
use larkfeed_model::endpoint::{AddChatMembers, CreateChat, GetChat, ListChatMembers};
use larkfeed_model::{MemberIdType, UserIdType};

impl Client {
    /// `POST /open-apis/im/v1/chats`: a group with the calling bot in it.
    pub async fn create_chat(
        &self,
        req: &CreateChatRequest,
        user_id_type: UserIdType,
    ) -> Result<Chat, Error> {
        let q = [("user_id_type", user_id_type.as_str())];
        self.send::<CreateChat>(&[], &q, req).await
    }

    /// `GET /open-apis/im/v1/chats/:chat_id`: the chat, its owner in `user_id_type`, and how many
    /// users and bots are in it.
    pub async fn get_chat(
        &self,
        chat_id: &str,
        user_id_type: UserIdType,
    ) -> Result<ChatInfo, Error> {
        let q = [("user_id_type", user_id_type.as_str())];
        self.send::<GetChat>(&[chat_id], &q, &()).await
    }

    /// `POST /open-apis/im/v1/chats/:chat_id/members`.
    pub async fn add_chat_members(
        &self,
        chat_id: &str,
        req: &AddMembersRequest,
        member_id_type: MemberIdType,
    ) -> Result<AddMembersResponse, Error> {
        let q = [("member_id_type", member_id_type.as_str())];
        self.send::<AddChatMembers>(&[chat_id], &q, req).await
    }

    /// `GET /open-apis/im/v1/chats/:chat_id/members`: one page (at most 100) of the users.
    pub async fn list_chat_members(
        &self,
        chat_id: &str,
        member_id_type: MemberIdType,
        page_size: Option<u32>,
        page_token: Option<&str>,
    ) -> Result<ListMembersResponse, Error> {
        let size = page_size.map(|n| n.to_string());
        let mut q = vec![("member_id_type", member_id_type.as_str())];
        if let Some(size) = &size {
            q.push(("page_size", size));
        }
        if let Some(token) = page_token {
            q.push(("page_token", token));
        }
        self.send::<ListChatMembers>(&[chat_id], &q, &()).await
    }
}
