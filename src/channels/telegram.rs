//! The Telegram Bot API: the transport (`{apiBaseUrl}/bot{token}/sendMessage`, `sendPhoto`,
//! … with buttons as an inline keyboard) and the webhook's updates.

use super::provider;
use crate::delivery::transport::{Outgoing, Refusal};
use crate::delivery::transport::{SendFuture, Transport};
use crate::messages::incoming::{Incoming, Sender};
use crate::messages::model::{Channel, Content, Kind};
use serde_json::{Value, json};
use std::time::Duration;

pub struct Telegram {
    pub client: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Transport for Telegram {
    fn send<'a>(&'a self, message: &'a Outgoing) -> SendFuture<'a> {
        Box::pin(async move {
            let (method, body) = request(message).map_err(Refusal::permanent)?;
            // The token is part of the URL; provider::call reports errors without it.
            let url = format!("{}/bot{}/{method}", self.base, self.token);
            let answer = provider::call("Telegram", self.client.post(&url).json(&body)).await?;
            let chat = body["chat_id"].as_str().unwrap_or_default();
            if answer.body["ok"] == true {
                let id = &answer.body["result"]["message_id"];
                return Ok((!id.is_null()).then(|| format!("{chat}:{id}")));
            }
            // The Bot API says how long to wait in its body rather than a header.
            let wait = answer.body["parameters"]["retry_after"]
                .as_u64()
                .map(Duration::from_secs);
            let said = answer.body["description"].as_str();
            Err(answer.refusal("Telegram", said, &answer.body["error_code"], wait))
        })
    }
}

/// The Bot API method and body for a logged message.
pub fn request(m: &Outgoing) -> Result<(&'static str, Value), String> {
    let chat = m.to.as_deref().ok_or("the person has no Telegram id")?;
    let c = &m.content;
    let keyboard = keyboard(c);
    let media = match (m.kind, c.media_url.as_deref()) {
        (Kind::Media | Kind::Template, Some(url)) => Some(url),
        _ => None,
    };
    let (method, mut body) = match media {
        Some(url) => {
            let (method, field) = match c.mime_type.as_deref().unwrap_or_default().split('/').next()
            {
                Some("image") => ("sendPhoto", "photo"),
                Some("video") => ("sendVideo", "video"),
                Some("audio") => ("sendAudio", "audio"),
                _ => match c.payload.as_ref().and_then(|p| p["headerType"].as_str()) {
                    Some("IMAGE") => ("sendPhoto", "photo"),
                    Some("VIDEO") => ("sendVideo", "video"),
                    _ => ("sendDocument", "document"),
                },
            };
            let mut body = json!({"chat_id": chat, field: url});
            if let Some(caption) = &c.text {
                body["caption"] = json!(caption);
            }
            (method, body)
        }
        None => ("sendMessage", json!({"chat_id": chat, "text": c.text})),
    };
    if let Some(keyboard) = keyboard {
        body["reply_markup"] = keyboard;
    }
    Ok((method, body))
}

/// Buttons as an inline keyboard, one per row: links open, postbacks come back as
/// `callback_data`.
fn keyboard(c: &Content) -> Option<Value> {
    let buttons = c.options.as_ref()?["buttons"].as_array()?;
    let rows: Vec<Value> = buttons
        .iter()
        .map(|b| match b["type"].as_str() {
            Some("postback") => json!([{"text": b["text"], "callback_data": b["payload"]}]),
            _ => json!([{"text": b["text"], "url": b["url"]}]),
        })
        .collect();
    (!rows.is_empty()).then(|| json!({"inline_keyboard": rows}))
}

/// Reads one webhook update: a message, or a button press (as its callback data).
pub fn parse_update(update: &Value) -> Option<Incoming> {
    let update_id = update["update_id"].as_i64()?;
    let (from, content) = if let Some(m) = update.get("message").or(update.get("edited_message")) {
        let text = m["text"].as_str().or(m["caption"].as_str());
        let kind = ["photo", "document", "video", "audio", "voice", "sticker"]
            .into_iter()
            .find(|k| m.get(*k).is_some());
        let text = match (text, kind) {
            (Some(t), _) => t.to_string(),
            (None, Some(k)) => format!("[{k}]"),
            (None, None) => "[message]".to_string(),
        };
        (&m["from"], text)
    } else if let Some(q) = update.get("callback_query") {
        (
            &q["from"],
            q["data"].as_str().unwrap_or_default().to_string(),
        )
    } else {
        return None;
    };
    let id = from["id"].as_i64()?;
    let name = [from["first_name"].as_str(), from["last_name"].as_str()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    Some(Incoming {
        channel: Channel::Telegram,
        sender: Sender::Address {
            address: id.to_string(),
            name: (!name.is_empty()).then_some(name),
        },
        kind: Kind::Text,
        content: Content {
            text: Some(content),
            ..Content::default()
        },
        provider_id: Some(format!("update:{update_id}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outgoing(kind: Kind, content: Content) -> Outgoing {
        Outgoing::sample(Channel::Telegram, "5512", kind, content)
    }

    #[test]
    fn methods_and_keyboards() {
        let (method, body) = request(&outgoing(
            Kind::Text,
            Content {
                text: Some("hi".into()),
                ..Content::default()
            },
        ))
        .unwrap();
        assert_eq!(
            (method, body),
            ("sendMessage", json!({"chat_id": "5512", "text": "hi"}))
        );
        let template = Content {
            text: Some("Sale".into()),
            media_url: Some("https://x.example/a.png".into()),
            payload: Some(json!({"headerType": "IMAGE"})),
            options: Some(json!({"type": "buttons", "buttons": [
                {"type": "web_url", "text": "Shop", "url": "https://x.example"},
                {"type": "postback", "text": "Later", "payload": "LATER"}]})),
            ..Content::default()
        };
        let (method, body) = request(&outgoing(Kind::Template, template)).unwrap();
        assert_eq!(method, "sendPhoto");
        assert_eq!(
            body,
            json!({"chat_id": "5512", "photo": "https://x.example/a.png", "caption": "Sale", "reply_markup": {"inline_keyboard": [
                [{"text": "Shop", "url": "https://x.example"}], [{"text": "Later", "callback_data": "LATER"}]]}})
        );
        let pdf = Content {
            media_url: Some("https://x.example/a.pdf".into()),
            mime_type: Some("application/pdf".into()),
            ..Content::default()
        };
        assert_eq!(
            request(&outgoing(Kind::Media, pdf)).unwrap().0,
            "sendDocument"
        );
    }

    #[test]
    fn updates() {
        let m = parse_update(&json!({"update_id": 7, "message": {"message_id": 3, "from": {"id": 5512, "first_name": "Asha", "last_name": "Rao"},
            "chat": {"id": 5512}, "text": "STOP"}}))
        .unwrap();
        assert_eq!(
            m.sender,
            Sender::Address {
                address: "5512".into(),
                name: Some("Asha Rao".into())
            }
        );
        assert_eq!(m.content.text.as_deref(), Some("STOP"));
        assert_eq!(m.provider_id.as_deref(), Some("update:7"));
        let press = parse_update(&json!({"update_id": 8, "callback_query": {"id": "q", "from": {"id": 5512}, "data": "LATER"}})).unwrap();
        assert_eq!(press.content.text.as_deref(), Some("LATER"));
        assert_eq!(parse_update(&json!({"update_id": 9, "poll": {}})), None);
    }
}
