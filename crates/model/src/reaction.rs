//! Reactions on messages (`/open-apis/im/v1/messages/:message_id/reactions`): the emoji types the
//! platform knows (the reference page im-v1/message-reaction/emojis-introduce), the requests and
//! the reaction object (im-v1/message-reaction/create, delete, list).

use crate::validate::{self, Checked, FieldError};
use serde::{Deserialize, Serialize};

/// Every `emoji_type` the platform's reference page lists, as it spells them (an unknown one is
/// 231001).
pub const EMOJI_TYPES: &[&str] = &[
    "OK",
    "THUMBSUP",
    "THANKS",
    "MUSCLE",
    "FINGERHEART",
    "APPLAUSE",
    "FISTBUMP",
    "JIAYI",
    "DONE",
    "SMILE",
    "BLUSH",
    "LAUGH",
    "SMIRK",
    "LOL",
    "FACEPALM",
    "LOVE",
    "WINK",
    "PROUD",
    "WITTY",
    "SMART",
    "SCOWL",
    "THINKING",
    "SOB",
    "CRY",
    "ERROR",
    "NOSEPICK",
    "HAUGHTY",
    "SLAP",
    "SPITBLOOD",
    "TOASTED",
    "GLANCE",
    "DULL",
    "INNOCENTSMILE",
    "JOYFUL",
    "WOW",
    "TRICK",
    "YEAH",
    "ENOUGH",
    "TEARS",
    "EMBARRASSED",
    "KISS",
    "SMOOCH",
    "DROOL",
    "OBSESSED",
    "MONEY",
    "TEASE",
    "SHOWOFF",
    "COMFORT",
    "CLAP",
    "PRAISE",
    "STRIVE",
    "XBLUSH",
    "SILENT",
    "WAVE",
    "WHAT",
    "FROWN",
    "SHY",
    "DIZZY",
    "LOOKDOWN",
    "CHUCKLE",
    "WAIL",
    "CRAZY",
    "WHIMPER",
    "HUG",
    "BLUBBER",
    "WRONGED",
    "HUSKY",
    "SHHH",
    "SMUG",
    "ANGRY",
    "HAMMER",
    "SHOCKED",
    "TERROR",
    "PETRIFIED",
    "SKULL",
    "SWEAT",
    "SPEECHLESS",
    "SLEEP",
    "DROWSY",
    "YAWN",
    "SICK",
    "PUKE",
    "BETRAYED",
    "HEADSET",
    "EatingFood",
    "MeMeMe",
    "Sigh",
    "Typing",
    "Lemon",
    "Get",
    "LGTM",
    "OnIt",
    "OneSecond",
    "VRHeadset",
    "YouAreTheBest",
    "SALUTE",
    "SHAKE",
    "HIGHFIVE",
    "UPPERLEFT",
    "ThumbsDown",
    "SLIGHT",
    "TONGUE",
    "EYESCLOSED",
    "RoarForYou",
    "CALF",
    "BEAR",
    "BULL",
    "RAINBOWPUKE",
    "ROSE",
    "HEART",
    "PARTY",
    "LIPS",
    "BEER",
    "CAKE",
    "GIFT",
    "CUCUMBER",
    "Drumstick",
    "Pepper",
    "CANDIEDHAWS",
    "BubbleTea",
    "Coffee",
    "Yes",
    "No",
    "OKR",
    "CheckMark",
    "CrossMark",
    "MinusOne",
    "Hundred",
    "AWESOMEN",
    "Pin",
    "Alarm",
    "Loudspeaker",
    "Trophy",
    "Fire",
    "BOMB",
    "Music",
    "XmasTree",
    "Snowman",
    "XmasHat",
    "FIREWORKS",
    "2022",
    "REDPACKET",
    "FORTUNE",
    "LUCK",
    "FIRECRACKER",
    "StickyRiceBalls",
    "HEARTBROKEN",
    "POOP",
    "StatusFlashOfInspiration",
    "18X",
    "CLEAVER",
    "Soccer",
    "Basketball",
    "GeneralDoNotDisturb",
    "Status_PrivateMessage",
    "GeneralInMeetingBusy",
    "StatusReading",
    "StatusInFlight",
    "GeneralBusinessTrip",
    "GeneralWorkFromHome",
    "StatusEnjoyLife",
    "GeneralTravellingCar",
    "StatusBus",
    "GeneralSun",
    "GeneralMoonRest",
    "MoonRabbit",
    "Mooncake",
    "JubilantRabbit",
    "TV",
    "Movie",
    "Pumpkin",
    "BeamingFace",
    "Delighted",
    "ColdSweat",
    "FullMoonFace",
    "Partying",
    "GoGoGo",
    "ThanksFace",
    "SaluteFace",
    "Shrug",
    "ClownFace",
    "HappyDragon",
];

/// Whether the platform knows this emoji type (case matters: `Typing`, not `TYPING`).
pub fn is_emoji_type(emoji_type: &str) -> bool {
    EMOJI_TYPES.contains(&emoji_type)
}

/// `reaction_type` as a request writes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EmojiRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub emoji_type: Option<String>,
}

/// Body of `POST /open-apis/im/v1/messages/:message_id/reactions`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CreateReactionRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub reaction_type: Option<EmojiRequest>,
}

impl CreateReactionRequest {
    /// A reaction of one emoji type (whether the platform knows it is the server's 231001).
    pub fn new(emoji_type: impl Into<String>) -> CreateReactionRequest {
        CreateReactionRequest {
            reaction_type: Some(EmojiRequest {
                emoji_type: Some(emoji_type.into()),
            }),
        }
    }

    /// The emoji type.
    pub fn parse(self) -> Result<String, FieldError> {
        let kind = validate::required("reaction_type", &self.reaction_type)?;
        let emoji = validate::required("reaction_type.emoji_type", &kind.emoji_type)?;
        if emoji.is_empty() {
            return Err(FieldError::new(
                "reaction_type.emoji_type",
                "must not be empty",
            ));
        }
        Ok(emoji.clone())
    }

    pub fn validate(&self) -> Checked {
        self.clone().parse().map(drop)
    }
}

/// `reaction_type` of a reaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Emoji {
    pub emoji_type: String,
}

/// Who reacted: an app (`operator_id` its app_id) or a user (their id in the asked type).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Operator {
    pub operator_id: String,
    /// `app` or `user`.
    pub operator_type: String,
}

/// A reaction, as create, delete and list answer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Reaction {
    pub reaction_id: String,
    pub operator: Operator,
    /// Milliseconds since the epoch, as a string.
    pub action_time: String,
    pub reaction_type: Emoji,
}

/// A page of a message's reactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReactionList {
    pub items: Vec<Reaction>,
    pub has_more: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_token: Option<String>,
}

/// At most this many reactions in a page (the list page: 1-50, default 20).
pub const MAX_PAGE_SIZE: u32 = 50;
pub const DEFAULT_PAGE_SIZE: u32 = 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_emoji_types_are_the_platforms_with_their_spelling() {
        for known in ["THUMBSUP", "Typing", "OnIt", "OK", "2022", "HappyDragon"] {
            assert!(is_emoji_type(known), "{known}");
        }
        for unknown in ["TYPING", "thumbsup", "", "👍"] {
            assert!(!is_emoji_type(unknown), "{unknown}");
        }
        let mut seen = std::collections::HashSet::new();
        assert!(
            EMOJI_TYPES.iter().all(|e| seen.insert(e)),
            "listed once each"
        );
    }

    #[test]
    fn a_reaction_needs_its_emoji_type() {
        assert_eq!(
            CreateReactionRequest::default().parse().unwrap_err().field,
            "reaction_type"
        );
        let empty = CreateReactionRequest {
            reaction_type: Some(EmojiRequest::default()),
        };
        assert_eq!(empty.parse().unwrap_err().field, "reaction_type.emoji_type");
        assert_eq!(
            CreateReactionRequest::new("SMILE").parse().unwrap(),
            "SMILE"
        );
    }
}
