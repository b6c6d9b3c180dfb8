//! `getMessages`, `sendSessionMessage`, `sendSessionFile` and `sendSessionFileViaUrl`: the
//! message log as Wati's items, and a session text or file onto the core's send body (the
//! core applies the 24-hour rule).

use super::phone;
use crate::error::Error;
use crate::media::model::{File, mime_of_url};
use crate::messages::body::{FileRef, RecipientBody, SendBody};
use serde::Deserialize;
use serde_json::{Value, json};

/// `messageText`, from the query, a form or a JSON body: the first place that has one.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionText {
    pub message_text: Option<String>,
}

impl SessionText {
    /// The first of these that has a `messageText`, even an empty one.
    pub fn first(candidates: impl IntoIterator<Item = SessionText>) -> SessionText {
        candidates
            .into_iter()
            .find(|t| t.message_text.is_some())
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

/// `sendSessionFileViaUrl`'s fields, from the query or a body: the file's URL, a caption,
/// and (an extension) its MIME type, for a URL whose name does not tell it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileViaUrl {
    pub url: Option<String>,
    pub caption: Option<String>,
    pub mime_type: Option<String>,
}

impl FileViaUrl {
    /// Each field from `self`, else from `other`.
    pub fn or(self, other: FileViaUrl) -> FileViaUrl {
        FileViaUrl {
            url: self.url.or(other.url),
            caption: self.caption.or(other.caption),
            mime_type: self.mime_type.or(other.mime_type),
        }
    }

    /// The core's media send to `number`.
    pub fn to_core(self, number: &str) -> Result<SendBody, Error> {
        let url = self
            .url
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty())
            .ok_or_else(|| Error::invalid("url: required"))?;
        let mime = match self.mime_type {
            Some(mime) => mime,
            None => mime_of_url(&url).map(str::to_string).ok_or_else(|| {
                Error::invalid(
                    "url: its name does not tell the file's type (.jpg, .pdf, …): give mimeType",
                )
            })?,
        };
        Ok(SendBody {
            recipient: Some(to(number)),
            media_url: Some(url),
            mime_type: Some(mime),
            caption: self.caption,
            ..SendBody::default()
        })
    }
}

/// `sendSessionFile`'s caption, from the query or (as Wati's clients also send it) a form
/// field beside the file.
#[derive(Debug, Default, Deserialize)]
pub struct FileCaption {
    pub caption: Option<String>,
}

impl FileCaption {
    /// The core's send of the kept `file` to `number`.
    pub fn to_core(self, number: &str, file: &File) -> SendBody {
        SendBody {
            recipient: Some(to(number)),
            media_file: Some(FileRef {
                name: file.name.clone(),
                mime: file.mime.clone(),
            }),
            caption: self.caption.filter(|c| !c.trim().is_empty()),
            ..SendBody::default()
        }
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
        "data": if m["mediaFile"].is_string() { &m["mediaFile"] } else { &m["mediaUrl"] },
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
        let chosen = SessionText::first([t(None), t(Some("hi")), t(Some("no"))]);
        let body = chosen.to_core("919876543210").unwrap();
        assert_eq!(body.text_message.as_deref(), Some("hi"));
        let blank = SessionText::first([t(Some(" ")), t(Some("hi"))]).to_core("1");
        assert_eq!(blank.unwrap_err().message, "messageText: required");
        assert_eq!(
            body.recipient.unwrap().phone_number.as_deref(),
            Some("+919876543210")
        );
        let err = SessionText::first([t(None)]).to_core("1").unwrap_err();
        assert_eq!(err.message, "messageText: required");
    }

    #[test]
    fn a_file_by_url_takes_its_type_from_its_name_unless_given() {
        let file = |url: &str, mime: Option<&str>| FileViaUrl {
            url: Some(url.into()),
            caption: Some("Receipt".into()),
            mime_type: mime.map(str::to_string),
        };
        let body = file("https://x.test/r/receipt.PDF?sig=1", None)
            .to_core("919876543210")
            .unwrap();
        assert_eq!(body.mime_type.as_deref(), Some("application/pdf"));
        assert_eq!(body.caption.as_deref(), Some("Receipt"));
        let given = file("https://x.test/blob", Some("image/png"))
            .to_core("1")
            .unwrap();
        assert_eq!(given.mime_type.as_deref(), Some("image/png"));
        let err = file("https://x.test/blob", None).to_core("1").unwrap_err();
        assert!(err.message.starts_with("url: its name"), "{}", err.message);
        let merged = FileViaUrl::default().or(file("https://x.test/a.jpg", None));
        assert_eq!(merged.url.as_deref(), Some("https://x.test/a.jpg"));
        assert_eq!(
            FileViaUrl::default().to_core("1").unwrap_err().message,
            "url: required"
        );
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
        let kept = json!({"id": "4", "type": "media", "mimeType": "application/pdf",
            "mediaUrl": null, "mediaFile": "3f.pdf", "status": "queued"});
        assert_eq!(
            (item(&kept)["data"].as_str(), item(&kept)["type"].as_str()),
            (Some("3f.pdf"), Some("document"))
        );
    }
}
