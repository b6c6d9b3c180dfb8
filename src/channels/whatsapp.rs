//! The WhatsApp Cloud API transport: `POST {apiBaseUrl}/{phone-number-id}/messages` with
//! the access token as a bearer token, one request per message.

use crate::messages::delivery::{SendFuture, Transport};
use crate::messages::model::Kind;
use crate::messages::outbox::Outgoing;
use serde_json::{Value, json};

pub struct WhatsApp {
    pub client: reqwest::Client,
    pub base: String,
    pub phone_number_id: String,
    pub token: String,
}

impl Transport for WhatsApp {
    fn send<'a>(&'a self, message: &'a Outgoing) -> SendFuture<'a> {
        Box::pin(async move {
            let body = request_body(message)?;
            let url = format!("{}/{}/messages", self.base, self.phone_number_id);
            let res = self
                .client
                .post(&url)
                .bearer_auth(&self.token)
                .json(&body)
                .send()
                .await
                .map_err(|e| format!("WhatsApp could not be reached: {}", e.without_url()))?;
            let status = res.status();
            let answer: Value = res.json().await.unwrap_or(Value::Null);
            if status.is_success() {
                return Ok(answer["messages"][0]["id"].as_str().map(str::to_string));
            }
            Err(match answer["error"]["message"].as_str() {
                Some(reason) => format!("WhatsApp refused the message ({status}): {reason}"),
                None => format!("WhatsApp refused the message ({status})"),
            })
        })
    }
}

/// The Cloud API's message object for a logged message.
pub fn request_body(m: &Outgoing) -> Result<Value, String> {
    let to =
        m.to.as_deref()
            .ok_or("the person has no phone number")?
            .trim_start_matches('+');
    let c = &m.content;
    let mut body =
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to});
    match m.kind {
        Kind::Text => {
            body["type"] = json!("text");
            body["text"] = json!({"preview_url": false, "body": c.text});
        }
        Kind::Media => {
            let mime = c.mime_type.as_deref().unwrap_or_default();
            let kind = match mime.split('/').next().unwrap_or_default() {
                top @ ("image" | "video" | "audio") => top,
                _ => "document",
            };
            body["type"] = json!(kind);
            body[kind] = json!({"link": c.media_url});
        }
        Kind::Template => {
            let p = c
                .payload
                .as_ref()
                .ok_or("the template's parameters are missing")?;
            body["type"] = json!("template");
            body["template"] = json!({
                "name": p["template"]["name"],
                "language": {"code": p["template"]["language"]},
                "components": components(p, c.media_url.as_deref()),
            });
        }
    }
    Ok(body)
}

fn texts(values: &Value) -> Vec<Value> {
    values
        .as_array()
        .map(|v| {
            v.iter()
                .map(|t| json!({"type": "text", "text": t}))
                .collect()
        })
        .unwrap_or_default()
}

fn components(p: &Value, header_media: Option<&str>) -> Vec<Value> {
    let mut out = Vec::new();
    let header = match p["headerType"].as_str() {
        Some("TEXT") => texts(&p["headerTextParameters"]),
        Some(media @ ("IMAGE" | "VIDEO" | "DOCUMENT")) => {
            let kind = media.to_ascii_lowercase();
            vec![json!({"type": kind, kind.clone(): {"link": header_media}})]
        }
        Some("LOCATION") => vec![json!({"type": "location", "location": p["locationParameters"]})],
        _ => Vec::new(),
    };
    if !header.is_empty() {
        out.push(json!({"type": "header", "parameters": header}));
    }
    let body = texts(&p["bodyTextParameters"]);
    if !body.is_empty() {
        out.push(json!({"type": "body", "parameters": body}));
    }
    for button in p["urlButtons"].as_array().into_iter().flatten() {
        out.push(json!({
            "type": "button", "sub_type": "url", "index": button["index"].to_string(),
            "parameters": [{"type": "text", "text": button["parameter"]}],
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::model::{Channel, Content};

    fn outgoing(kind: Kind, content: Content) -> Outgoing {
        Outgoing {
            id: 1,
            account_id: 1,
            channel: Channel::WhatsApp,
            kind,
            to: Some("+919876543210".into()),
            content,
        }
    }

    #[test]
    fn text_and_media_bodies() {
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
            json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "919876543210",
                   "type": "text", "text": {"preview_url": false, "body": "hi"}})
        );
        let pdf = request_body(&outgoing(
            Kind::Media,
            Content {
                media_url: Some("https://x.example/a.pdf".into()),
                mime_type: Some("application/pdf".into()),
                ..Content::default()
            },
        ))
        .unwrap();
        assert_eq!(pdf["type"], "document");
        assert_eq!(pdf["document"], json!({"link": "https://x.example/a.pdf"}));
    }

    #[test]
    fn template_components_follow_the_template() {
        let payload = json!({"template": {"name": "order_update", "language": "en_US"}, "headerType": "TEXT",
            "headerTextParameters": ["A-17"], "bodyTextParameters": ["Asha", "A-17"],
            "urlButtons": [{"index": 0, "parameter": "A-17"}]});
        let body = request_body(&outgoing(
            Kind::Template,
            Content {
                payload: Some(payload),
                ..Content::default()
            },
        ))
        .unwrap();
        assert_eq!(
            body["template"],
            json!({"name": "order_update", "language": {"code": "en_US"}, "components": [
                {"type": "header", "parameters": [{"type": "text", "text": "A-17"}]},
                {"type": "body", "parameters": [{"type": "text", "text": "Asha"}, {"type": "text", "text": "A-17"}]},
                {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "A-17"}]}]})
        );
    }
}
