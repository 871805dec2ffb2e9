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
//! let page = client.list_chat_members(&chat.chat_id, UserIdType::OpenId, Some(50), None).await?;
//! assert_eq!(page.member_total, 1);
//! assert!(client.is_in_chat(&chat.chat_id).await?);
//! let info = client.get_chat(&chat.chat_id, UserIdType::OpenId).await?;
//! assert_eq!((info.user_count.as_str(), info.bot_count.as_str()), ("1", "1"));
//! # Ok(()) }
//! ```

use crate::{Client, Error};
use larkfeed_model::chat::{
    AddMembersRequest, AddMembersResponse, Chat, ChatInfo, CreateChatRequest, ListMembersResponse,
};
use larkfeed_model::endpoint::{
    AddChatMembers, CreateChat, GetChat, IsInChat, ListChatMembers, MemberIds, MemberPage,
    PathParam, UserIds,
};
use larkfeed_model::{MemberIdType, UserIdType};

impl Client {
    /// `GET /open-apis/im/v1/chats/:chat_id/members/bots`: the bots of a chat the app's bot is in.
    pub async fn list_chat_bots(
        &self,
        chat_id: &str,
    ) -> Result<larkfeed_model::chat::ChatBots, Error> {
        use larkfeed_model::endpoint::ListChatBots;
        self.send::<ListChatBots>(&PathParam::new(chat_id), &(), &())
            .await
    }

    /// `GET /open-apis/im/v1/chats`: one page of the groups the app's bot is in.
    pub async fn list_chats(
        &self,
        page: &larkfeed_model::endpoint::ChatPage,
    ) -> Result<larkfeed_model::chat::ChatList, Error> {
        use larkfeed_model::endpoint::ListChats;
        self.send::<ListChats>(&(), page, &()).await
    }

    /// `POST /open-apis/im/v1/chats`: a group with the calling bot in it.
    pub async fn create_chat(
        &self,
        req: &CreateChatRequest,
        user_id_type: UserIdType,
    ) -> Result<Chat, Error> {
        self.send::<CreateChat>(&(), &UserIds(user_id_type), req)
            .await
    }

    /// `GET /open-apis/im/v1/chats/:chat_id`: the chat, its owner in `user_id_type`, and how many
    /// users and bots are in it.
    pub async fn get_chat(
        &self,
        chat_id: &str,
        user_id_type: UserIdType,
    ) -> Result<ChatInfo, Error> {
        let path = PathParam::new(chat_id);
        self.send::<GetChat>(&path, &UserIds(user_id_type), &())
            .await
    }

    /// `POST /open-apis/im/v1/chats/:chat_id/members`.
    pub async fn add_chat_members(
        &self,
        chat_id: &str,
        req: &AddMembersRequest,
        member_id_type: MemberIdType,
    ) -> Result<AddMembersResponse, Error> {
        let path = PathParam::new(chat_id);
        self.send::<AddChatMembers>(&path, &MemberIds(member_id_type), req)
            .await
    }

    /// `GET /open-apis/im/v1/chats/:chat_id/members`: one page (at most 100) of the users, their
    /// ids of `member_id_type` (`open_id`, `union_id` or `user_id`).
    pub async fn list_chat_members(
        &self,
        chat_id: &str,
        member_id_type: UserIdType,
        page_size: Option<u32>,
        page_token: Option<&str>,
    ) -> Result<ListMembersResponse, Error> {
        let page = MemberPage {
            id_type: member_id_type,
            page_size,
            page_token: page_token.map(str::to_string),
        };
        let path = PathParam::new(chat_id);
        self.send::<ListChatMembers>(&path, &page, &()).await
    }

    /// `GET /open-apis/im/v1/chats/:chat_id/members/is_in_chat`: whether the calling bot is in
    /// the chat (an answer, not an error, when it is not).
    pub async fn is_in_chat(&self, chat_id: &str) -> Result<bool, Error> {
        let path = PathParam::new(chat_id);
        let answer = self.send::<IsInChat>(&path, &(), &()).await?;
        Ok(answer.is_in_chat)
    }
}
