//! `GET /open-apis/bot/v3/info`: the calling app's bot. One of the platform's older APIs: the
//! answer carries `bot` beside `code` and `msg`, not under `data` (the Node SDK's channel reads
//! `bot.open_id` there and refuses to connect without it; BOTS.md, "What the two frameworks
//! read").

use serde::{Deserialize, Serialize};

/// The whole answer of `GET /open-apis/bot/v3/info`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BotInfoResponse {
    pub code: i64,
    #[serde(default)]
    pub msg: String,
    #[serde(default)]
    pub bot: BotInfo,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BotInfo {
    /// 2: the bot ability is on (0 off).
    pub activate_status: i64,
    pub app_name: String,
    pub avatar_url: String,
    #[serde(default)]
    pub ip_white_list: Vec<String>,
    /// The bot's open_id as the app itself sees it: what mentions of the bot carry.
    pub open_id: String,
}
