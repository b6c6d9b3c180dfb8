//! Messages as values: channels, statuses and the order they move in, what a message holds,
//! the WhatsApp session window. No SQL, no HTTP.

use crate::clock::Timestamp;
use crate::error::Error;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    WhatsApp,
    Telegram,
    Instagram,
    Messenger,
}

impl Channel {
    pub const ALL: [Channel; 4] = [
        Channel::WhatsApp,
        Channel::Telegram,
        Channel::Instagram,
        Channel::Messenger,
    ];

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The channel a path names; `404` for any other name.
    pub fn in_path(name: &str) -> Result<Channel, Error> {
        Channel::parse(name).ok_or_else(|| {
            Error::not_found(format!(
                "no channel {name:?}: use whatsapp, telegram, instagram or messenger"
            ))
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::WhatsApp => "whatsapp",
            Channel::Telegram => "telegram",
            Channel::Instagram => "instagram",
            Channel::Messenger => "messenger",
        }
    }

    /// The person's field that addresses them on this channel, as clients write it.
    pub fn address_field(self) -> &'static str {
        match self {
            Channel::WhatsApp => "phoneNumber",
            Channel::Telegram => "channelIds.telegram",
            Channel::Instagram => "channelIds.instagram",
            Channel::Messenger => "channelIds.messenger",
        }
    }

    /// The `contacts` column holding that address.
    pub fn address_column(self) -> &'static str {
        match self {
            Channel::WhatsApp => "phone",
            Channel::Telegram => "telegram_id",
            Channel::Instagram => "instagram_id",
            Channel::Messenger => "messenger_id",
        }
    }
}

/// The three send endpoints: `sendtext`, `sendmedia`, `sendtemplate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Media,
    Template,
}

impl Kind {
    pub fn from_action(action: &str) -> Option<Kind> {
        match action {
            "sendtext" => Some(Kind::Text),
            "sendmedia" => Some(Kind::Media),
            "sendtemplate" => Some(Kind::Template),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Media => "media",
            Kind::Template => "template",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Text, Kind::Media, Kind::Template]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// Where a message is. Outgoing ones move `scheduled → queued → sent → delivered → read`, or
/// end `failed` or `cancelled`; incoming ones are `received`. The codes are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Scheduled = 0,
    Queued = 1,
    /// Claimed by the delivery worker and handed to a transport; shown as `queued`.
    Sending = 2,
    Sent = 3,
    Delivered = 4,
    Read = 5,
    Failed = 6,
    Cancelled = 7,
    Received = 8,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Scheduled,
        Status::Queued,
        Status::Sending,
        Status::Sent,
        Status::Delivered,
        Status::Read,
        Status::Failed,
        Status::Cancelled,
        Status::Received,
    ];

    /// What [`Status::as_str`] shows, each once.
    pub const NAMES: [&str; 8] = [
        "scheduled",
        "queued",
        "sent",
        "delivered",
        "read",
        "failed",
        "cancelled",
        "received",
    ];

    pub fn code(self) -> i64 {
        self as i64
    }

    pub fn from_code(code: i64) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The webhook event of a message becoming this status, if there is one.
    pub fn event(self) -> Option<&'static str> {
        match self {
            Status::Sent => Some("message.sent"),
            Status::Delivered => Some("message.delivered"),
            Status::Read => Some("message.read"),
            Status::Failed => Some("message.failed"),
            Status::Received => Some("message.received"),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Scheduled => "scheduled",
            Status::Queued | Status::Sending => "queued",
            Status::Sent => "sent",
            Status::Delivered => "delivered",
            Status::Read => "read",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
            Status::Received => "received",
        }
    }

    /// The statuses shown under `name` (`queued` covers `sending`); empty if none is.
    pub fn named(name: &str) -> Vec<Status> {
        Status::ALL
            .into_iter()
            .filter(|s| s.as_str() == name)
            .collect()
    }

    /// Whether a message in this status may move to `next`: only forward, never out of an
    /// end state. A provider's late `delivered` after `read` is thus ignored, not applied.
    pub fn can_become(self, next: Status) -> bool {
        match next {
            Status::Queued | Status::Sending | Status::Sent | Status::Delivered | Status::Read => {
                self < next && self <= Status::Read
            }
            Status::Failed => self <= Status::Sent,
            Status::Cancelled => self <= Status::Queued,
            Status::Scheduled | Status::Received => false,
        }
    }
}

/// What a provider's status callback says of one message it knows as `provider_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    pub provider_id: String,
    pub status: Status,
    pub error: Option<ProviderError>,
    pub pricing: Option<Pricing>,
}

impl Receipt {
    pub fn new(provider_id: impl Into<String>, status: Status) -> Receipt {
        Receipt {
            provider_id: provider_id.into(),
            status,
            error: None,
            pricing: None,
        }
    }
}

/// The provider's own code and words for a failure.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderError {
    pub code: Option<String>,
    pub message: String,
}

/// How the provider prices a message (WhatsApp: marketing, utility, authentication or
/// service), and whether it is billed.
#[derive(Debug, Clone, PartialEq)]
pub struct Pricing {
    pub category: String,
    pub billable: bool,
}

/// WhatsApp lets a business send free-form messages for 24 hours after the person last
/// wrote (seed 004); outside it only templates.
pub const SESSION_WINDOW: i64 = 24 * 3600;

/// Whether free-form WhatsApp messages may go out at `at`, given the person's last incoming
/// WhatsApp message.
pub fn session_open(last_inbound: Option<Timestamp>, at: Timestamp) -> bool {
    last_inbound.is_some_and(|t| at - t < SESSION_WINDOW)
}

/// Incoming texts that opt a person out of broadcasts (`STOP`, `UNSUBSCRIBE`) or back in
/// (`START`): the whole message, trimmed, in any case.
#[derive(Debug, Clone, PartialEq)]
pub struct OptWords {
    stop: Vec<String>,
    start: Vec<String>,
}

impl OptWords {
    pub fn new(stop: &[String], start: &[String]) -> OptWords {
        let clean = |words: &[String]| {
            words
                .iter()
                .map(|w| w.trim().to_uppercase())
                .filter(|w| !w.is_empty())
                .collect()
        };
        OptWords {
            stop: clean(stop),
            start: clean(start),
        }
    }

    /// `Some(true)` if the text opts out, `Some(false)` if it opts back in.
    pub fn opts_out(&self, text: &str) -> Option<bool> {
        let text = text.trim().to_uppercase();
        if self.stop.contains(&text) {
            Some(true)
        } else if self.start.contains(&text) {
            Some(false)
        } else {
            None
        }
    }
}

impl Default for OptWords {
    fn default() -> OptWords {
        OptWords::new(&["STOP".into(), "UNSUBSCRIBE".into()], &["START".into()])
    }
}

/// What a message carries, as the log shows it and a transport sends it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Content {
    pub text: Option<String>,
    pub header_text: Option<String>,
    pub footer_text: Option<String>,
    pub media_url: Option<String>,
    pub mime_type: Option<String>,
    /// `{type, buttons}` as the log shows it.
    pub options: Option<Value>,
    /// What a transport needs beyond the above: template name and parameters, elements,
    /// or `{file}`, the name of a kept file to send instead of a `media_url`.
    pub payload: Option<Value>,
}

impl Content {
    /// The kept file a media message sends, by name (`media::store`).
    pub fn file(&self) -> Option<&str> {
        self.payload.as_ref()?.get("file")?.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_names_are_every_shown_status_once() {
        let mut shown: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
        shown.dedup();
        assert_eq!(shown, Status::NAMES);
        for name in Status::NAMES {
            assert!(!Status::named(name).is_empty());
        }
    }

    #[test]
    fn statuses_only_move_forward() {
        use Status::*;
        assert!(Scheduled.can_become(Queued));
        assert!(Queued.can_become(Sending));
        assert!(Sending.can_become(Sent));
        assert!(
            Sent.can_become(Read),
            "a read receipt may overtake delivered"
        );
        assert!(!Read.can_become(Delivered));
        assert!(!Sent.can_become(Queued));
        assert!(Sending.can_become(Failed));
        assert!(!Delivered.can_become(Failed));
        assert!(!Failed.can_become(Sent));
        assert!(!Cancelled.can_become(Queued));
        assert!(Scheduled.can_become(Cancelled));
        assert!(
            !Sending.can_become(Cancelled),
            "handed to a transport: too late"
        );
        assert!(!Received.can_become(Sent));
        for s in Status::ALL {
            assert_eq!(Status::from_code(s.code()), Some(s));
            assert!(!s.can_become(s));
        }
    }

    #[test]
    fn the_session_window_is_24_hours_from_the_last_incoming_message() {
        let t = 1_795_341_600;
        assert!(!session_open(None, t));
        assert!(session_open(Some(t), t));
        assert!(session_open(Some(t), t + SESSION_WINDOW - 1));
        assert!(!session_open(Some(t), t + SESSION_WINDOW));
    }

    #[test]
    fn stop_and_start_words() {
        let words = OptWords::default();
        assert_eq!(words.opts_out(" stop "), Some(true));
        assert_eq!(words.opts_out("Unsubscribe"), Some(true));
        assert_eq!(words.opts_out("START"), Some(false));
        assert_eq!(words.opts_out("please stop"), None);
        let custom = OptWords::new(&["baja".into(), " ".into()], &[]);
        assert_eq!(custom.opts_out("BAJA"), Some(true));
        assert_eq!(custom.opts_out(""), None);
    }

    #[test]
    fn channels_and_kinds_round_trip() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
        assert_eq!(Channel::parse("sms"), None);
        assert_eq!(Kind::from_action("sendtemplate"), Some(Kind::Template));
        assert_eq!(Kind::from_action("sendfax"), None);
    }
}
