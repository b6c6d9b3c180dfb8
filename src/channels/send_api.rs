//! Messenger and Instagram through Meta's Send API: `POST {apiBaseUrl}/{page or account
//! id}/messages?access_token=…`, the recipient by the id the person has on that channel.

use super::provider;
use crate::delivery::transport::{Outgoing, Refusal};
use crate::delivery::transport::{SendFuture, Transport};
use crate::messages::model::Kind;
use serde_json::{Value, json};

pub struct SendApi {
    pub client: reqwest::Client,
    pub base: String,
    /// The Facebook page id (Messenger) or Instagram account id.
    pub sender_id: String,
    pub token: String,
    /// "Messenger" or "Instagram", for error messages.
    pub name: &'static str,
}

impl Transport for SendApi {
    fn send<'a>(&'a self, message: &'a Outgoing) -> SendFuture<'a> {
        Box::pin(async move {
            let body = request_body(message).map_err(Refusal::permanent)?;
            let mut url = url::Url::parse(&format!("{}/{}/messages", self.base, self.sender_id))
                .map_err(|e| Refusal::permanent(format!("{} settings: {e}", self.name)))?;
            url.query_pairs_mut()
                .append_pair("access_token", &self.token);
            let answer = provider::call(self.name, self.client.post(url).json(&body)).await?;
            if answer.status.is_success() {
                return Ok(answer.body["message_id"].as_str().map(str::to_string));
            }
            let error = &answer.body["error"];
            Err(answer.refusal(self.name, error["message"].as_str(), &error["code"], None))
        })
    }
}

/// The Send API body for a logged message: text, an attachment, or a generic template.
pub fn request_body(m: &Outgoing) -> Result<Value, String> {
    let to =
        m.to.as_deref()
            .ok_or("the person has no id on this channel")?;
    let c = &m.content;
    let message = match m.kind {
        Kind::Text => json!({"text": c.text}),
        Kind::Media => {
            let top = c.mime_type.as_deref().unwrap_or_default().split('/').next();
            let kind = match top.unwrap_or_default() {
                top @ ("image" | "video" | "audio") => top,
                _ => "file",
            };
            json!({"attachment": {"type": kind, "payload": {"url": c.media_url, "is_reusable": true}}})
        }
        Kind::Template => {
            let elements = c
                .payload
                .as_ref()
                .and_then(|p| p["elements"].as_array())
                .ok_or("the template's elements are missing")?;
            let elements: Vec<Value> = elements.iter().map(element).collect();
            json!({"attachment": {"type": "template",
                   "payload": {"template_type": "generic", "elements": elements}}})
        }
    };
    Ok(json!({"recipient": {"id": to}, "messaging_type": "RESPONSE", "message": message}))
}

/// A checked element in the Send API's own shape (buttons carry `title`, absent fields
/// are left out).
fn element(e: &Value) -> Value {
    let mut out = json!({"title": e["title"]});
    for field in ["subtitle", "image_url", "default_action"] {
        if !e[field].is_null() {
            out[field] = e[field].clone();
        }
    }
    let buttons: Vec<Value> = e["buttons"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| match b["type"].as_str() {
            Some("postback") => {
                json!({"type": "postback", "title": b["text"], "payload": b["payload"]})
            }
            _ => json!({"type": "web_url", "title": b["text"], "url": b["url"]}),
        })
        .collect();
    if !buttons.is_empty() {
        out["buttons"] = json!(buttons);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::model::{Channel, Content};

    fn outgoing(kind: Kind, content: Content) -> Outgoing {
        Outgoing::sample(Channel::Messenger, "2481", kind, content)
    }

    #[test]
    fn bodies() {
        let text = request_body(&outgoing(
            Kind::Text,
            Content {
                text: Some("hi".into()),
                ..Content::default()
            },
        ))
        .unwrap();
        assert_eq!(
            text,
            json!({"recipient": {"id": "2481"}, "messaging_type": "RESPONSE", "message": {"text": "hi"}})
        );
        let media = Content {
            media_url: Some("https://x.example/v.mp4".into()),
            mime_type: Some("video/mp4".into()),
            ..Content::default()
        };
        assert_eq!(
            request_body(&outgoing(Kind::Media, media)).unwrap()["message"],
            json!({"attachment": {"type": "video", "payload": {"url": "https://x.example/v.mp4", "is_reusable": true}}})
        );
        let payload = json!({"elements": [{"title": "Shoes", "subtitle": null, "image_url": "https://x.example/s.jpg",
            "default_action": null, "buttons": [{"type": "postback", "text": "Buy", "payload": "BUY"}]}]});
        let card = request_body(&outgoing(
            Kind::Template,
            Content {
                payload: Some(payload),
                ..Content::default()
            },
        ))
        .unwrap();
        assert_eq!(
            card["message"]["attachment"]["payload"],
            json!({"template_type": "generic", "elements": [{"title": "Shoes", "image_url": "https://x.example/s.jpg",
                   "buttons": [{"type": "postback", "title": "Buy", "payload": "BUY"}]}]})
        );
    }
}
