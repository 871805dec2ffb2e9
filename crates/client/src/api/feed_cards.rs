//! App feed cards, chat buttons and the time-sensitive (pinned) state of feed entries.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), larkfeed_client::Error> {
//! # let server = larkfeed_client::testing::TestServer::start().await;
//! # let client = server.client();
//! use larkfeed_model::feed_card::*;
//! use larkfeed_model::UserIdType;
//!
//! let card = OpenAppFeedCard {
//!     biz_id: Some("order-42".into()),
//!     title: Some("Order 42".into()),
//!     link: Some(Link { link: Some("https://example.com/orders/42".into()) }),
//!     ..Default::default()
//! };
//! # let alice = server.open_id(0, 0);
//! let users = vec![alice]; // open_ids as this app sees them
//! let req = CreateAppFeedCardRequest { app_feed_card: Some(card), user_ids: Some(users.clone()) };
//! let created = client.create_app_feed_card(&req, UserIdType::OpenId).await?;
//! assert!(created.failed_cards.is_empty());
//!
//! // Later: change the status label only, and raise the card to the top of the feed.
//! let update = UpdateAppFeedCardBatchRequest {
//!     feed_cards: Some(vec![UserOpenAppFeedCardUpdater {
//!         app_feed_card: Some(OpenAppFeedCard {
//!             biz_id: Some("order-42".into()),
//!             status_label: Some(StatusLabel { text: Some("Shipped".into()), kind: Some("success".into()) }),
//!             ..Default::default()
//!         }),
//!         user_id: Some(users[0].clone()),
//!         update_fields: Some(vec![update_field::STATUS_LABEL.into(), update_field::SORT_TIME.into()]),
//!     }]),
//! };
//! client.update_app_feed_cards(&update, UserIdType::OpenId).await?;
//! # Ok(()) }
//! ```

use crate::{Client, Error};
use larkfeed_model::endpoint::{
    BotTimeSentive, CreateAppFeedCard, DeleteAppFeedCards, PatchFeedCard, PathParam,
    RequiredUserIds, UpdateAppFeedCards, UpdateChatButton, UserIds,
};
use larkfeed_model::feed_card::{
    AppFeedCardBatchResponse, BotTimeSentiveRequest, CreateAppFeedCardRequest,
    CreateAppFeedCardResponse, DeleteAppFeedCardBatchRequest, PatchFeedCardRequest,
    TimeSensitiveResponse, UpdateAppFeedCardBatchRequest, UpdateChatButtonRequest,
    UpdateChatButtonResponse,
};
use larkfeed_model::UserIdType;

impl Client {
    /// `POST /open-apis/im/v2/app_feed_card`: one card for up to 20 users. Users who cannot get
    /// it come back in `failed_cards`.
    pub async fn create_app_feed_card(
        &self,
        req: &CreateAppFeedCardRequest,
        user_id_type: UserIdType,
    ) -> Result<CreateAppFeedCardResponse, Error> {
        self.send::<CreateAppFeedCard>(&(), &UserIds(user_id_type), req)
            .await
    }

    /// `PUT /open-apis/im/v2/app_feed_card/batch`: change the fields each item's `update_fields`
    /// names, for up to 20 (card, user) pairs.
    pub async fn update_app_feed_cards(
        &self,
        req: &UpdateAppFeedCardBatchRequest,
        user_id_type: UserIdType,
    ) -> Result<AppFeedCardBatchResponse, Error> {
        self.send::<UpdateAppFeedCards>(&(), &UserIds(user_id_type), req)
            .await
    }

    /// `DELETE /open-apis/im/v2/app_feed_card/batch`: remove up to 20 (card, user) pairs.
    pub async fn delete_app_feed_cards(
        &self,
        req: &DeleteAppFeedCardBatchRequest,
        user_id_type: UserIdType,
    ) -> Result<AppFeedCardBatchResponse, Error> {
        self.send::<DeleteAppFeedCards>(&(), &UserIds(user_id_type), req)
            .await
    }

    /// `PUT /open-apis/im/v2/chat_button`: set the quick-action buttons of a chat's feed entry.
    pub async fn update_chat_button(
        &self,
        req: &UpdateChatButtonRequest,
        user_id_type: UserIdType,
    ) -> Result<UpdateChatButtonResponse, Error> {
        self.send::<UpdateChatButton>(&(), &UserIds(user_id_type), req)
            .await
    }

    /// `PATCH /open-apis/im/v2/feed_cards/:feed_card_id`: pin (or unpin) a group's feed entry for
    /// some of its members. `feed_card_id` is the group's `chat_id`.
    pub async fn set_feed_card_time_sensitive(
        &self,
        feed_card_id: &str,
        req: &PatchFeedCardRequest,
        user_id_type: UserIdType,
    ) -> Result<TimeSensitiveResponse, Error> {
        let path = PathParam::new(feed_card_id);
        self.send::<PatchFeedCard>(&path, &RequiredUserIds(user_id_type), req)
            .await
    }

    /// `PATCH /open-apis/im/v2/feed_cards/bot_time_sentive`: pin (or unpin) the bot's one-to-one
    /// chat with each user.
    pub async fn set_bot_time_sensitive(
        &self,
        req: &BotTimeSentiveRequest,
        user_id_type: UserIdType,
    ) -> Result<TimeSensitiveResponse, Error> {
        self.send::<BotTimeSentive>(&(), &UserIds(user_id_type), req)
            .await
    }
}
