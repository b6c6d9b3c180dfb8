//! What Meta's three products share on the way in: the `X-Hub-Signature-256` check, and
//! the Messenger Platform's webhook body, which Messenger (`"object": "page"`) and
//! Instagram (`"object": "instagram"`) both use. WhatsApp's own body is in [`super::whatsapp`].

use super::{Update, Watermark};
use crate::messages::incoming::{Incoming, Sender};
use crate::messages::model::{Channel, Content, Kind, Receipt, Status};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

/// Whether `header` (`X-Hub-Signature-256: sha256=<hex>`) is the HMAC-SHA256 of the raw
/// body under the app secret, compared in constant time.
pub fn signed(app_secret: &str, body: &[u8], header: Option<&str>) -> bool {
    let Some(expected) = header
        .and_then(|h| h.strip_prefix("sha256="))
        .and_then(|h| hex::decode(h).ok())
    else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// Reads a Messenger or Instagram webhook body (`entry[].messaging[]`). Only entries of
/// `own_id` (the page or Instagram account set up for this channel) count: one Meta app
/// may serve several pages from the same callback URL. Echoes of our own sends are skipped.
pub fn parse_messaging(channel: Channel, own_id: &str, body: &Value) -> Update {
    let mut update = Update::default();
    let events = body["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| id_text(&e["id"]).as_deref() == Some(own_id))
        .flat_map(|e| e["messaging"].as_array().into_iter().flatten());
    for event in events {
        let Some(person) = id_text(&event["sender"]["id"]) else {
            continue;
        };
        let message = &event["message"];
        if message.is_object() && message["is_echo"] != true {
            let (kind, content) = incoming_content(message);
            update
                .incoming
                .push(incoming(channel, &person, kind, content, &message["mid"]));
        }
        let postback = &event["postback"];
        if postback.is_object() {
            // A button press comes back as its payload, as Telegram's callback data does.
            let text = postback["payload"].as_str().or(postback["title"].as_str());
            let content = Content {
                text: Some(text.unwrap_or_default().to_string()),
                ..Content::default()
            };
            update.incoming.push(incoming(
                channel,
                &person,
                Kind::Text,
                content,
                &postback["mid"],
            ));
        }
        for (field, status) in [("delivery", Status::Delivered), ("read", Status::Read)] {
            let receipt = &event[field];
            if !receipt.is_object() {
                continue;
            }
            let mids: Vec<String> = receipt["mids"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(receipt.get("mid"))
                .filter_map(|m| m.as_str().map(str::to_string))
                .collect();
            if !mids.is_empty() {
                update
                    .statuses
                    .extend(mids.into_iter().map(|m| Receipt::new(m, status)));
            } else if let Some(ms) = receipt["watermark"].as_i64() {
                update.watermarks.push(Watermark {
                    channel,
                    person: person.clone(),
                    status,
                    // Milliseconds; the log keeps seconds, so a message sent in the
                    // watermark's own second counts as before it.
                    until: ms.div_euclid(1000),
                });
            }
        }
    }
    update
}

/// Ids arrive as strings, though older payloads sent numbers.
fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn incoming(channel: Channel, person: &str, kind: Kind, content: Content, mid: &Value) -> Incoming {
    Incoming {
        channel,
        sender: Sender::Address {
            address: person.to_string(),
            // The webhook carries no name; the profile API would, at a call per person.
            name: None,
        },
        kind,
        content,
        provider_id: mid.as_str().map(str::to_string),
    }
}

/// A message's text, or its first attachment (by URL, which Meta hosts for a while).
fn incoming_content(m: &Value) -> (Kind, Content) {
    let text = m["text"].as_str().map(str::to_string);
    let attachment = &m["attachments"][0];
    let url = attachment["payload"]["url"].as_str();
    match (attachment["type"].as_str(), url) {
        (Some(kind), Some(url)) => (
            Kind::Media,
            Content {
                text: Some(text.unwrap_or_else(|| format!("[{kind}]"))),
                media_url: Some(url.to_string()),
                ..Content::default()
            },
        ),
        (kind, _) => (
            Kind::Text,
            Content {
                text: text.or_else(|| Some(format!("[{}]", kind.unwrap_or("message")))),
                ..Content::default()
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn signatures_are_the_hmac_of_the_raw_body() {
        // HMAC-SHA256("secret", "{}"), as Meta computes it.
        let header = "sha256=ebfcdb1f3e3feb4dbd9b5a6d0a0d6e8e3f9c2d1c3b7c2a5f8f2a0b1e9d8c7b6a";
        assert!(!signed("secret", b"{}", Some(header)), "a wrong digest");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"secret").unwrap();
        mac.update(b"{}");
        let good = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert!(signed("secret", b"{}", Some(&good)));
        assert!(
            !signed("secret", b"{ }", Some(&good)),
            "the raw bytes count"
        );
        assert!(!signed("other", b"{}", Some(&good)));
        assert!(!signed(
            "secret",
            b"{}",
            Some(good.trim_start_matches("sha256="))
        ));
        assert!(!signed("secret", b"{}", Some("sha256=zz")));
        assert!(!signed("secret", b"{}", None));
    }

    #[test]
    fn messenger_bodies() {
        let body = json!({"object": "page", "entry": [
            {"id": "P1", "time": 1, "messaging": [
                {"sender": {"id": "U1"}, "recipient": {"id": "P1"}, "timestamp": 1,
                 "message": {"mid": "m.1", "text": "hello"}},
                {"sender": {"id": "U1"}, "recipient": {"id": "P1"},
                 "message": {"mid": "m.2", "attachments": [{"type": "image", "payload": {"url": "https://cdn.example/i.jpg"}}]}},
                {"sender": {"id": "P1"}, "recipient": {"id": "U1"},
                 "message": {"mid": "m.3", "text": "our own", "is_echo": true}},
                {"sender": {"id": "U1"}, "recipient": {"id": "P1"},
                 "postback": {"mid": "m.4", "title": "Buy", "payload": "BUY"}},
                {"sender": {"id": "U1"}, "recipient": {"id": "P1"},
                 "delivery": {"mids": ["m.out1", "m.out2"], "watermark": 1700000000999_i64}},
                {"sender": {"id": "U1"}, "recipient": {"id": "P1"},
                 "read": {"watermark": 1700000001500_i64}}]},
            {"id": "OTHER", "messaging": [
                {"sender": {"id": "U2"}, "message": {"mid": "m.9", "text": "another page"}}]}]});
        let update = parse_messaging(Channel::Messenger, "P1", &body);
        let texts: Vec<_> = update
            .incoming
            .iter()
            .map(|m| {
                (
                    m.provider_id.as_deref().unwrap(),
                    m.kind,
                    m.content.text.as_deref().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            texts,
            [
                ("m.1", Kind::Text, "hello"),
                ("m.2", Kind::Media, "[image]"),
                ("m.4", Kind::Text, "BUY")
            ]
        );
        assert_eq!(
            update.incoming[1].content.media_url.as_deref(),
            Some("https://cdn.example/i.jpg")
        );
        assert_eq!(
            update.incoming[0].sender,
            Sender::Address {
                address: "U1".into(),
                name: None
            }
        );
        assert_eq!(
            update.statuses,
            [
                Receipt::new("m.out1", Status::Delivered),
                Receipt::new("m.out2", Status::Delivered)
            ]
        );
        assert_eq!(
            update.watermarks,
            [Watermark {
                channel: Channel::Messenger,
                person: "U1".into(),
                status: Status::Read,
                until: 1_700_000_001
            }]
        );
    }

    #[test]
    fn instagram_reads_name_the_message() {
        let body = json!({"object": "instagram", "entry": [{"id": "IG1", "messaging": [
            {"sender": {"id": "S1"}, "recipient": {"id": "IG1"}, "read": {"mid": "m.out"}},
            {"sender": {"id": "S1"}, "recipient": {"id": "IG1"}, "message": {"mid": "m.in", "text": "STOP"}}]}]});
        let update = parse_messaging(Channel::Instagram, "IG1", &body);
        assert_eq!(update.statuses, [Receipt::new("m.out", Status::Read)]);
        assert_eq!(update.incoming.len(), 1);
        assert_eq!(update.incoming[0].channel, Channel::Instagram);
        assert!(update.watermarks.is_empty());
        assert_eq!(
            parse_messaging(Channel::Instagram, "IG2", &body),
            Update::default()
        );
    }
}
