//! The calling app's bot.

use crate::{Client, Error};
use larkfeed_model::bot;
use larkfeed_model::endpoint::BotInfo;

impl Client {
    /// `GET /open-apis/bot/v3/info`: the app's bot, with the open_id mentions of it carry.
    pub async fn bot_info(&self) -> Result<bot::BotInfo, Error> {
        Ok(self.send::<BotInfo>(&(), &(), &()).await?.bot)
    }
}
