//! The send bodies of seed 004, one struct for all twelve endpoints, and their checks.
//! What a body may hold depends on the channel and action; [`Draft::parse`] says which
//! field is wrong. No SQL, no HTTP.

use super::model::{Channel, Content, Kind};
use super::render::{self, Button, Element, TemplateRequest};
use crate::clock::Timestamp;
use crate::contacts::model::{MAX_NAME, PersonType};
use crate::contacts::phone::PhoneRules;
use crate::error::Error;
use crate::fields::{Ref, text};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub const MAX_TEXT: usize = 4096;
pub const MAX_URL: usize = 2000;
/// WhatsApp's limit for a media caption.
pub const MAX_CAPTION: usize = 1024;
/// How far ahead a message may be scheduled.
pub const MAX_SCHEDULE_AHEAD: i64 = 366 * 86_400;

#[derive(Debug, Deserialize)]
pub struct RecipientBody {
    #[serde(rename = "phoneNumber")]
    pub phone_number: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct TemplateName {
    pub name: Option<String>,
    pub language: Option<String>,
}

/// Every field any send endpoint takes; unknown fields are ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendBody {
    pub client: Option<Ref>,
    pub contact: Option<Ref>,
    pub recepient: Option<RecipientBody>,
    pub recipient: Option<RecipientBody>,
    pub schedule_date_time: Option<String>,
    pub location: Option<Ref>,
    pub text_message: Option<String>,
    pub media_url: Option<String>,
    pub mime_type: Option<String>,
    /// A media message's caption (an extension of the seed's `sendmedia`).
    pub caption: Option<String>,
    /// A file kept here (`media`) to send instead of a `mediaUrl`: set by a dialect that
    /// takes uploads, never read from a body.
    #[serde(skip)]
    pub media_file: Option<FileRef>,
    // WhatsApp templates
    pub template: Option<TemplateName>,
    pub header_media_url: Option<String>,
    pub header_text_parameters: Option<Vec<String>>,
    pub body_text_parameters: Option<Vec<String>>,
    pub button_url_parameters: Option<Vec<String>>,
    pub location_parameters: Option<Value>,
    pub flow_parameters: Option<Value>,
    // Telegram templates
    pub header_type: Option<String>,
    pub buttons: Option<Vec<Button>>,
    // Instagram and Messenger templates
    pub elements: Option<Vec<Element>>,
}

/// A kept file by its name (`getMedia?fileName=`) and type.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRef {
    pub name: String,
    pub mime: String,
}

/// Who a send is for.
#[derive(Debug, Clone, PartialEq)]
pub enum Recipient {
    Person(PersonType, i64),
    /// `recepient`: the account's contact with this (normalised) phone, created if new.
    Phone {
        phone: String,
        name: Option<String>,
    },
}

/// What a checked body asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Ask {
    /// Ready to store as it is.
    Content(Content),
    /// A WhatsApp template, rendered once the registered template is loaded.
    Template(TemplateRequest),
}

/// A checked send request.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub channel: Channel,
    pub kind: Kind,
    pub recipient: Recipient,
    pub ask: Ask,
    /// Set when the message is to go out later than now.
    pub scheduled_at: Option<Timestamp>,
    pub location_id: Option<i64>,
}

impl Draft {
    pub fn parse(
        channel: Channel,
        kind: Kind,
        body: SendBody,
        phones: &PhoneRules,
        now: Timestamp,
    ) -> Result<Draft, Error> {
        let recipient = recipient(channel, &body, phones)?;
        let location_id = body.location.map(|l| l.id.0);
        let scheduled_at = body
            .schedule_date_time
            .as_deref()
            .map(|s| schedule(s, now))
            .transpose()?
            .flatten();
        let ask = match (kind, channel) {
            (Kind::Text, _) => Ask::Content(Content {
                text: Some(required_text("textMessage", body.text_message, MAX_TEXT)?),
                ..Content::default()
            }),
            (Kind::Media, _) => {
                let caption = body
                    .caption
                    .as_deref()
                    .map(|c| text("caption", c, MAX_CAPTION))
                    .transpose()?;
                Ask::Content(match body.media_file {
                    // The transport reads the file by name when it sends.
                    Some(file) => Content {
                        mime_type: Some(file.mime),
                        text: caption,
                        payload: Some(json!({"file": file.name})),
                        ..Content::default()
                    },
                    None => Content {
                        media_url: Some(http_url(
                            "mediaUrl",
                            body.media_url
                                .as_deref()
                                .ok_or_else(|| missing("mediaUrl"))?,
                        )?),
                        mime_type: Some(mime_type(
                            "mimeType",
                            body.mime_type
                                .as_deref()
                                .ok_or_else(|| missing("mimeType"))?,
                        )?),
                        text: caption,
                        ..Content::default()
                    },
                })
            }
            (Kind::Template, Channel::WhatsApp) => Ask::Template(TemplateRequest::parse(body)?),
            (Kind::Template, Channel::Telegram) => Ask::Content(render::telegram(body)?),
            (Kind::Template, Channel::Instagram | Channel::Messenger) => {
                Ask::Content(render::generic(body)?)
            }
        };
        Ok(Draft {
            channel,
            kind,
            recipient,
            ask,
            scheduled_at,
            location_id,
        })
    }
}

pub fn missing(field: &str) -> Error {
    Error::invalid(format!("{field}: required"))
}

pub fn required_text(field: &str, value: Option<String>, max: usize) -> Result<String, Error> {
    text(field, value.as_deref().ok_or_else(|| missing(field))?, max)
}

fn recipient(channel: Channel, body: &SendBody, phones: &PhoneRules) -> Result<Recipient, Error> {
    let by_phone = match (&body.recepient, &body.recipient) {
        (Some(r), None) => Some(("recepient", r)),
        (None, Some(r)) => Some(("recipient", r)),
        (Some(_), Some(_)) => {
            return Err(Error::invalid(
                "recipient: give recepient or recipient, not both",
            ));
        }
        (None, None) => None,
    };
    let given = [
        body.client.is_some(),
        body.contact.is_some(),
        by_phone.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(Error::invalid(
            "recipient: give exactly one of contact, client or recepient",
        ));
    }
    if let Some(client) = body.client {
        return Ok(Recipient::Person(PersonType::Client, client.id.0));
    }
    if let Some(contact) = body.contact {
        return Ok(Recipient::Person(PersonType::Contact, contact.id.0));
    }
    let (field, r) = by_phone.expect("one recipient was given");
    if channel != Channel::WhatsApp {
        return Err(Error::invalid(format!(
            "{field}: only WhatsApp sends can address a phone number; give contact or client"
        )));
    }
    let raw = r
        .phone_number
        .as_deref()
        .ok_or_else(|| missing(&format!("{field}.phoneNumber")))?;
    let phone = phones
        .normalize(raw)
        .map_err(|e| Error::invalid(format!("{field}.phoneNumber: {e}")))?;
    let name = r
        .name
        .as_deref()
        .map(|n| text(&format!("{field}.name"), n, MAX_NAME))
        .transpose()?;
    Ok(Recipient::Phone { phone, name })
}

/// `scheduleDateTime`: `None` when the time has come already (the message goes now).
pub fn schedule(raw: &str, now: Timestamp) -> Result<Option<Timestamp>, Error> {
    let at = OffsetDateTime::parse(raw.trim(), &Rfc3339)
        .map_err(|_| {
            Error::invalid(format!(
                "scheduleDateTime: {raw:?} is not an RFC 3339 time like 2026-11-22T10:00:00Z"
            ))
        })?
        .unix_timestamp();
    if at - now > MAX_SCHEDULE_AHEAD {
        return Err(Error::invalid(
            "scheduleDateTime: must be within 366 days from now",
        ));
    }
    Ok((at > now).then_some(at))
}

/// An absolute http(s) URL with a host.
pub fn http_url(field: &str, raw: &str) -> Result<String, Error> {
    let raw = raw.trim();
    if raw.len() > MAX_URL {
        return Err(Error::invalid(format!(
            "{field}: must be at most {MAX_URL} characters"
        )));
    }
    let bad = || Error::invalid(format!("{field}: must be an http:// or https:// URL"));
    let url = url::Url::parse(raw).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(bad());
    }
    Ok(url.to_string())
}

/// `type/subtype` with a registered top-level type (RFC 6838 names).
pub fn mime_type(field: &str, raw: &str) -> Result<String, Error> {
    const TYPES: [&str; 9] = [
        "application",
        "audio",
        "font",
        "image",
        "message",
        "model",
        "multipart",
        "text",
        "video",
    ];
    let raw = raw.trim().to_ascii_lowercase();
    let restricted = |s: &str| {
        !s.is_empty()
            && s.len() <= 127
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    match raw.split_once('/') {
        Some((top, sub)) if TYPES.contains(&top) && restricted(sub) => Ok(raw),
        _ => Err(Error::invalid(format!(
            "{field}: must be a MIME type like image/jpeg or application/pdf"
        ))),
    }
}

/// The log's `options` for a list of buttons.
pub fn button_options(kind: &str, buttons: Vec<Value>) -> Option<Value> {
    (!buttons.is_empty()).then(|| json!({"type": kind, "buttons": buttons}))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = 1_795_341_600; // 2026-11-22T10:00:00Z

    fn parse(channel: Channel, kind: Kind, body: &str) -> Result<Draft, String> {
        let body: SendBody = serde_json::from_str(body).map_err(|e| e.to_string())?;
        Draft::parse(
            channel,
            kind,
            body,
            &PhoneRules::new(Some("IN")).unwrap(),
            NOW,
        )
        .map_err(|e| e.message)
    }

    #[test]
    fn recipients() {
        let d = parse(
            Channel::WhatsApp,
            Kind::Text,
            r#"{"client": {"id": "7"}, "textMessage": "hi"}"#,
        )
        .unwrap();
        assert_eq!(d.recipient, Recipient::Person(PersonType::Client, 7));
        let d = parse(
            Channel::WhatsApp,
            Kind::Text,
            r#"{"recepient": {"phoneNumber": "98765 43210", "name": "Asha"}, "textMessage": "hi"}"#,
        )
        .unwrap();
        assert_eq!(
            d.recipient,
            Recipient::Phone {
                phone: "+919876543210".into(),
                name: Some("Asha".into())
            }
        );
        let err = parse(Channel::WhatsApp, Kind::Text, r#"{"textMessage": "hi"}"#).unwrap_err();
        assert!(err.starts_with("recipient:"), "{err}");
        let err = parse(
            Channel::WhatsApp,
            Kind::Text,
            r#"{"contact": {"id": 1}, "client": {"id": 2}, "textMessage": "hi"}"#,
        )
        .unwrap_err();
        assert!(err.contains("exactly one"), "{err}");
        let err = parse(
            Channel::Telegram,
            Kind::Text,
            r#"{"recipient": {"phoneNumber": "+919876543210"}, "textMessage": "hi"}"#,
        )
        .unwrap_err();
        assert!(err.starts_with("recipient: only WhatsApp"), "{err}");
        let err = parse(
            Channel::WhatsApp,
            Kind::Text,
            r#"{"recepient": {"phoneNumber": "12"}, "textMessage": "hi"}"#,
        )
        .unwrap_err();
        assert!(err.starts_with("recepient.phoneNumber:"), "{err}");
    }

    #[test]
    fn schedules() {
        let body = |at: &str| {
            format!(
                r#"{{"contact": {{"id": 1}}, "textMessage": "hi", "scheduleDateTime": "{at}"}}"#
            )
        };
        let d = parse(
            Channel::Telegram,
            Kind::Text,
            &body("2026-11-22T12:30:00+02:00"),
        )
        .unwrap();
        assert_eq!(d.scheduled_at, Some(NOW + 1800));
        let d = parse(Channel::Telegram, Kind::Text, &body("2026-11-22T09:00:00Z")).unwrap();
        assert_eq!(d.scheduled_at, None, "a time already past sends now");
        for bad in ["tomorrow", "2026-11-22 12:00", "2030-01-01T00:00:00Z"] {
            let err = parse(Channel::Telegram, Kind::Text, &body(bad)).unwrap_err();
            assert!(err.starts_with("scheduleDateTime:"), "{bad}: {err}");
        }
    }

    #[test]
    fn media_urls_and_types() {
        let body = |url: &str, mime: &str| {
            format!(r#"{{"contact": {{"id": 1}}, "mediaUrl": "{url}", "mimeType": "{mime}"}}"#)
        };
        let d = parse(
            Channel::Instagram,
            Kind::Media,
            &body("https://cdn.example.com/a.jpg", "image/JPEG"),
        )
        .unwrap();
        let Ask::Content(c) = d.ask else { panic!() };
        assert_eq!(c.mime_type.as_deref(), Some("image/jpeg"));
        for (url, mime, field) in [
            ("ftp://example.com/a.jpg", "image/jpeg", "mediaUrl"),
            ("https://", "image/jpeg", "mediaUrl"),
            ("not a url", "image/jpeg", "mediaUrl"),
            ("https://example.com/a", "jpeg", "mimeType"),
            ("https://example.com/a", "picture/jpeg", "mimeType"),
            ("https://example.com/a", "image/", "mimeType"),
        ] {
            let err = parse(Channel::Messenger, Kind::Media, &body(url, mime)).unwrap_err();
            assert!(err.starts_with(field), "{url} {mime}: {err}");
        }
        let err = parse(
            Channel::Messenger,
            Kind::Media,
            r#"{"contact": {"id": 1}, "mimeType": "image/png"}"#,
        )
        .unwrap_err();
        assert_eq!(err, "mediaUrl: required");
    }

    #[test]
    fn text_is_required_and_bounded() {
        let err = parse(Channel::WhatsApp, Kind::Text, r#"{"contact": {"id": 1}}"#).unwrap_err();
        assert_eq!(err, "textMessage: required");
        let long = "x".repeat(MAX_TEXT + 1);
        let err = parse(
            Channel::WhatsApp,
            Kind::Text,
            &format!(r#"{{"contact": {{"id": 1}}, "textMessage": "{long}"}}"#),
        )
        .unwrap_err();
        assert!(err.starts_with("textMessage: must be at most"), "{err}");
    }
}
