//! `POST /v1/messages/{channel}/receive` bodies: who wrote and what. No SQL, no HTTP.

use super::body::{MAX_TEXT, http_url, mime_type, missing};
use super::model::{Channel, Content, Kind};
use crate::contacts::model::{MAX_CHANNEL_ID, MAX_NAME, PersonType};
use crate::contacts::phone::PhoneRules;
use crate::error::Error;
use crate::fields::{Ref, text};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SenderBody {
    pub phone_number: Option<String>,
    pub channel_user_id: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiveBody {
    pub contact: Option<Ref>,
    pub client: Option<Ref>,
    pub sender: Option<SenderBody>,
    pub text_message: Option<String>,
    pub media_url: Option<String>,
    pub mime_type: Option<String>,
}

/// Who wrote.
#[derive(Debug, Clone, PartialEq)]
pub enum Sender {
    Person(PersonType, i64),
    /// The phone (WhatsApp) or channel user id; an unknown one becomes a new contact.
    Address {
        address: String,
        name: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    pub channel: Channel,
    pub sender: Sender,
    pub kind: Kind,
    pub content: Content,
    /// The provider's id of the message (webhooks): a redelivery of it is recorded once.
    pub provider_id: Option<String>,
}

impl Incoming {
    pub fn parse(
        channel: Channel,
        body: ReceiveBody,
        phones: &PhoneRules,
    ) -> Result<Incoming, Error> {
        let given = [
            body.contact.is_some(),
            body.client.is_some(),
            body.sender.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            return Err(Error::invalid(
                "sender: give exactly one of contact, client or sender",
            ));
        }
        let sender = match (body.contact, body.client, body.sender) {
            (Some(r), _, _) => Sender::Person(PersonType::Contact, r.id.0),
            (_, Some(r), _) => Sender::Person(PersonType::Client, r.id.0),
            (_, _, Some(s)) => {
                let address = if channel == Channel::WhatsApp {
                    let raw = s
                        .phone_number
                        .as_deref()
                        .ok_or_else(|| missing("sender.phoneNumber"))?;
                    phones
                        .normalize(raw)
                        .map_err(|e| Error::invalid(format!("sender.phoneNumber: {e}")))?
                } else {
                    let raw = s
                        .channel_user_id
                        .as_deref()
                        .ok_or_else(|| missing("sender.channelUserId"))?;
                    text("sender.channelUserId", raw, MAX_CHANNEL_ID)?
                };
                let name = s
                    .name
                    .as_deref()
                    .map(|n| text("sender.name", n, MAX_NAME))
                    .transpose()?;
                Sender::Address { address, name }
            }
            (None, None, None) => unreachable!("one sender was given"),
        };
        let text_message = body
            .text_message
            .as_deref()
            .map(|t| text("textMessage", t, MAX_TEXT))
            .transpose()?;
        let (kind, content) = match body.media_url.as_deref() {
            Some(url) => {
                let mime = body
                    .mime_type
                    .as_deref()
                    .ok_or_else(|| missing("mimeType"))?;
                let content = Content {
                    text: text_message,
                    media_url: Some(http_url("mediaUrl", url)?),
                    mime_type: Some(mime_type("mimeType", mime)?),
                    ..Content::default()
                };
                (Kind::Media, content)
            }
            None => {
                let text = text_message.ok_or_else(|| {
                    Error::invalid("textMessage: required (or mediaUrl and mimeType)")
                })?;
                (
                    Kind::Text,
                    Content {
                        text: Some(text),
                        ..Content::default()
                    },
                )
            }
        };
        Ok(Incoming {
            channel,
            sender,
            kind,
            content,
            provider_id: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(channel: Channel, json: &str) -> Result<Incoming, String> {
        let body: ReceiveBody = serde_json::from_str(json).map_err(|e| e.to_string())?;
        Incoming::parse(channel, body, &PhoneRules::new(Some("IN")).unwrap()).map_err(|e| e.message)
    }

    #[test]
    fn senders_by_channel() {
        let m = parse(
            Channel::WhatsApp,
            r#"{"sender": {"phoneNumber": "098765 43210", "name": "Asha"}, "textMessage": "hi"}"#,
        )
        .unwrap();
        assert_eq!(
            m.sender,
            Sender::Address {
                address: "+919876543210".into(),
                name: Some("Asha".into())
            }
        );
        let m = parse(
            Channel::Telegram,
            r#"{"sender": {"channelUserId": "5512"}, "textMessage": "hi"}"#,
        )
        .unwrap();
        assert_eq!(
            m.sender,
            Sender::Address {
                address: "5512".into(),
                name: None
            }
        );
        let err = parse(
            Channel::Telegram,
            r#"{"sender": {"phoneNumber": "+919876543210"}, "textMessage": "hi"}"#,
        )
        .unwrap_err();
        assert_eq!(err, "sender.channelUserId: required");
        let err = parse(Channel::WhatsApp, r#"{"textMessage": "hi"}"#).unwrap_err();
        assert!(err.starts_with("sender:"), "{err}");
    }

    #[test]
    fn text_or_media() {
        let m = parse(Channel::Messenger, r#"{"contact": {"id": 3}, "mediaUrl": "https://x.example/a.jpg", "mimeType": "image/jpeg"}"#).unwrap();
        assert_eq!(m.kind, Kind::Media);
        let err = parse(Channel::Messenger, r#"{"contact": {"id": 3}}"#).unwrap_err();
        assert!(err.starts_with("textMessage: required"), "{err}");
        let err = parse(
            Channel::Messenger,
            r#"{"contact": {"id": 3}, "mediaUrl": "https://x.example/a.jpg"}"#,
        )
        .unwrap_err();
        assert_eq!(err, "mimeType: required");
    }
}
