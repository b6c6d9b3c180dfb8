//! `getMessages` and `sendSessionMessage`: the message log as Wati's items, and a session
//! text onto the core's send body (the core applies the 24-hour rule and the opt-out).

use super::phone;
use crate::error::Error;
use crate::messages::body::{RecipientBody, SendBody};
use serde::Deserialize;
use serde_json::{Value, json};

/// `messageText`, from the query, a form or a JSON body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionText {
    pub message_text: Option<String>,
}

impl SessionText {
    /// The first of these that carries a text.
    pub fn first(candidates: impl IntoIterator<Item = SessionText>) -> SessionText {
        candidates
            .into_iter()
            .find(|t| {
                t.message_text
                    .as_deref()
                    .is_some_and(|m| !m.trim().is_empty())
            })
            .unwrap_or_default()
    }

    /// The core's text send to `number`.
    pub fn to_core(self, number: &str) -> Result<SendBody, Error> {
        let text = self
            .message_text
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| Error::invalid("messageText: required"))?;
        Ok(SendBody {
            recipient: Some(to(number)),
            text_message: Some(text),
            ..SendBody::default()
        })
    }
}

/// The recipient of a send to a `whatsappNumber`: the account's contact with that phone,
/// created if new, as the core's `recepient` does.
pub fn to(number: &str) -> RecipientBody {
    RecipientBody {
        phone_number: Some(phone(number)),
        name: None,
    }
}

/// A log entry (as the native API shows it) as Wati's message item.
pub fn item(m: &Value) -> Value {
    let incoming = m["isIncoming"].as_bool().unwrap_or(false);
    let broadcast = m["sentBy"].as_str() == Some("broadcast");
    json!({
        "id": m["id"],
        "created": m["createdAt"],
        "text": m["text"],
        "type": kind(m),
        "owner": !incoming,
        "statusString": status(m["status"].as_str().unwrap_or_default()),
        "eventType": if broadcast { "broadcastMessage" } else { "message" },
        "localMessageId": m["id"],
        "data": m["mediaUrl"],
    })
}

/// Wati's message types: media by the kind of its file.
fn kind(m: &Value) -> &str {
    match m["type"].as_str().unwrap_or("text") {
        "media" => match m["mimeType"].as_str().and_then(|t| t.split_once('/')) {
            Some(("image", _)) => "image",
            Some(("video", _)) => "video",
            Some(("audio", _)) => "audio",
            _ => "document",
        },
        other => other,
    }
}

/// Wati's status words.
fn status(ours: &str) -> &'static str {
    match ours {
        "scheduled" => "SCHEDULED",
        "queued" | "sending" => "PENDING",
        "sent" => "SENT",
        "delivered" => "DELIVERED",
        "read" => "READ",
        "failed" => "FAILED",
        "received" => "RECEIVED",
        "cancelled" => "CANCELLED",
        _ => "UNKNOWN",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_text_comes_from_the_first_place_that_has_one() {
        let t = |s: Option<&str>| SessionText {
            message_text: s.map(str::to_string),
        };
        let chosen = SessionText::first([t(None), t(Some(" ")), t(Some("hi")), t(Some("no"))]);
        let body = chosen.to_core("919876543210").unwrap();
        assert_eq!(body.text_message.as_deref(), Some("hi"));
        assert_eq!(
            body.recipient.unwrap().phone_number.as_deref(),
            Some("+919876543210")
        );
        let err = SessionText::first([t(None)]).to_core("1").unwrap_err();
        assert_eq!(err.message, "messageText: required");
    }

    #[test]
    fn log_entries_become_wati_items() {
        let ours = json!({"id": "9", "createdAt": "2026-12-02T10:00:00Z", "text": null,
            "type": "media", "mimeType": "image/png", "mediaUrl": "https://x.test/a.png",
            "isIncoming": false, "sentBy": "broadcast", "status": "delivered"});
        assert_eq!(
            item(&ours),
            json!({"id": "9", "created": "2026-12-02T10:00:00Z", "text": null, "type": "image",
                "owner": true, "statusString": "DELIVERED", "eventType": "broadcastMessage",
                "localMessageId": "9", "data": "https://x.test/a.png"})
        );
        let incoming = json!({"id": "3", "type": "text", "isIncoming": true, "status": "received"});
        assert_eq!(item(&incoming)["owner"], false);
        assert_eq!(item(&incoming)["statusString"], "RECEIVED");
    }
}
