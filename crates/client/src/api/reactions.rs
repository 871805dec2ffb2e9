//! Reactions on messages: the app's bot reacts with an emoji, takes its reaction back, and lists
//! a message's reactions.

use crate::{Client, Error};
use larkfeed_model::endpoint::{
    CreateReaction, DeleteReaction, ListReactions, PathParam, ReactionPage, ReactionPath,
};
use larkfeed_model::reaction::{CreateReactionRequest, Reaction, ReactionList};

impl Client {
    /// `POST /open-apis/im/v1/messages/:message_id/reactions`: the bot reacts with `emoji_type`
    /// (`THUMBSUP`, `Typing`, …).
    pub async fn add_reaction(
        &self,
        message_id: &str,
        emoji_type: &str,
    ) -> Result<Reaction, Error> {
        let req = CreateReactionRequest::new(emoji_type);
        self.send::<CreateReaction>(&PathParam::new(message_id), &(), &req)
            .await
    }

    /// `DELETE /open-apis/im/v1/messages/:message_id/reactions/:reaction_id`: one of the app's
    /// own reactions.
    pub async fn remove_reaction(
        &self,
        message_id: &str,
        reaction_id: &str,
    ) -> Result<Reaction, Error> {
        let path = ReactionPath::new(message_id, reaction_id);
        self.send::<DeleteReaction>(&path, &(), &()).await
    }

    /// `GET /open-apis/im/v1/messages/:message_id/reactions`: one page, oldest first.
    pub async fn list_reactions(
        &self,
        message_id: &str,
        page: &ReactionPage,
    ) -> Result<ReactionList, Error> {
        self.send::<ListReactions>(&PathParam::new(message_id), page, &())
            .await
    }
}
