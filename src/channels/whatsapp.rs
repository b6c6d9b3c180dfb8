//! The WhatsApp Cloud API: the transport (`POST {apiBaseUrl}/{phone-number-id}/messages`
//! with the access token as a bearer token, after `/media` for a kept file) and the
//! webhook's signature and body.

use super::Update;
use super::provider;
use crate::contacts::phone::PhoneRules;
use crate::db::Pool;
use crate::delivery::transport::{Outgoing, Refusal, codes};
use crate::delivery::transport::{SendFuture, Transport};
use crate::media::store as media;
use crate::messages::incoming::{Incoming, Sender};
use crate::messages::model::{Channel, Content, Kind, Pricing, ProviderError, Receipt, Status};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

pub struct WhatsApp {
    pub client: reqwest::Client,
    pub base: String,
    pub phone_number_id: String,
    pub token: String,
    /// Where kept files are read from, to upload one before its message.
    pub pool: Pool,
}

impl Transport for WhatsApp {
    fn send<'a>(&'a self, message: &'a Outgoing) -> SendFuture<'a> {
        Box::pin(async move {
            let uploaded = match message.content.file() {
                Some(name) => Some(self.upload(message.account_id, name).await?),
                None => None,
            };
            let body = request_body(message, uploaded.as_ref()).map_err(Refusal::permanent)?;
            let url = format!("{}/{}/messages", self.base, self.phone_number_id);
            let request = self.client.post(&url).bearer_auth(&self.token).json(&body);
            let answer = provider::call("WhatsApp", request).await?;
            if answer.status.is_success() {
                return Ok(answer.body["messages"][0]["id"]
                    .as_str()
                    .map(str::to_string));
            }
            let error = &answer.body["error"];
            Err(answer.refusal("WhatsApp", error["message"].as_str(), &error["code"], None))
        })
    }
}

/// A kept file as the Cloud API knows it after an upload: its media id, and the name a
/// document shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Uploaded {
    pub id: String,
    pub filename: String,
}

impl WhatsApp {
    /// Uploads the account's kept file `name` (`POST /{phone-number-id}/media`). Nothing
    /// has gone to the person yet, so a failure the provider did not name is worth another
    /// try rather than an unknown outcome.
    async fn upload(&self, account_id: i64, name: &str) -> Result<Uploaded, Refusal> {
        let file = media::load(&self.pool, account_id, name)
            .await
            .map_err(|e| {
                log::error!("delivery: account {account_id}: cannot read file {name}: {e}");
                Refusal::transient("the file could not be read just now", None)
                    .with_code(codes::FILE_UNAVAILABLE)
            })?
            .ok_or_else(|| {
                Refusal::permanent(format!("the file {name} is no longer kept"))
                    .with_code(codes::FILE_MISSING)
            })?;
        let part = Part::bytes(file.bytes)
            .file_name(file.original.clone())
            .mime_str(&file.mime)
            .map_err(|e| Refusal::permanent(format!("the file's type does not read: {e}")))?;
        let form = Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", file.mime)
            .part("file", part);
        let url = format!("{}/{}/media", self.base, self.phone_number_id);
        let request = self
            .client
            .post(&url)
            .bearer_auth(&self.token)
            .multipart(form);
        let answer = provider::call("WhatsApp", request)
            .await
            .map_err(nothing_sent)?;
        match answer.body["id"].as_str() {
            Some(id) if answer.status.is_success() => Ok(Uploaded {
                id: id.to_string(),
                filename: file.original,
            }),
            _ => {
                let error = &answer.body["error"];
                let said = error["message"]
                    .as_str()
                    .or(Some("no media id in its answer"));
                Err(nothing_sent(answer.refusal(
                    "WhatsApp",
                    said,
                    &error["code"],
                    None,
                )))
            }
        }
    }
}

/// A failed upload: the message itself was never handed over.
fn nothing_sent(refusal: Refusal) -> Refusal {
    if refusal.code.as_deref() == Some(codes::OUTCOME_UNKNOWN) {
        return Refusal::transient(
            "uploading the file to WhatsApp failed before the message was sent",
            None,
        )
        .with_code(codes::UPLOAD_FAILED);
    }
    Refusal {
        reason: format!("uploading the file: {}", refusal.reason),
        ..refusal
    }
}

/// The Cloud API's message object for a logged message; a kept file goes by the media id
/// of its `uploaded` copy.
pub fn request_body(m: &Outgoing, uploaded: Option<&Uploaded>) -> Result<Value, String> {
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
            body[kind] = match (uploaded, c.file()) {
                (Some(file), _) if kind == "document" => {
                    json!({"id": file.id, "filename": file.filename})
                }
                (Some(file), _) => json!({"id": file.id}),
                (None, Some(_)) => return Err("the kept file was not uploaded".into()),
                (None, None) => json!({"link": c.media_url}),
            };
            // WhatsApp takes no caption on audio.
            if let Some(caption) = c.text.as_ref().filter(|_| kind != "audio") {
                body[kind]["caption"] = json!(caption);
            }
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

/// Reads a Cloud API webhook body (`entry[].changes[].value`), keeping only the changes
/// addressed to `own_id`, the account's phone number id: one Meta app may serve several
/// accounts, and each must record only its own messages, statuses and opt-outs.
pub fn parse_webhook(body: &Value, own_id: &str, phones: &PhoneRules) -> Update {
    let mut update = Update::default();
    let values = body["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|e| e["changes"].as_array().into_iter().flatten())
        .map(|c| &c["value"])
        .filter(|v| !own_id.is_empty() && v["metadata"]["phone_number_id"] == own_id);
    for value in values {
        let name_of = |wa_id: &str| {
            value["contacts"]
                .as_array()?
                .iter()
                .find(|c| c["wa_id"] == wa_id)
                .and_then(|c| c["profile"]["name"].as_str())
                .map(str::to_string)
        };
        for m in value["messages"].as_array().into_iter().flatten() {
            let Some(from) = m["from"].as_str() else {
                continue;
            };
            let Ok(phone) = phones.normalize(&format!("+{from}")) else {
                log::warn!("WhatsApp webhook: a message from an unusable number was skipped");
                continue;
            };
            let kind_name = m["type"].as_str().unwrap_or("unknown");
            let (kind, content) = incoming_content(kind_name, m);
            update.incoming.push(Incoming {
                channel: Channel::WhatsApp,
                sender: Sender::Address {
                    address: phone,
                    name: name_of(from),
                },
                kind,
                content,
                provider_id: m["id"].as_str().map(str::to_string),
            });
        }
        for s in value["statuses"].as_array().into_iter().flatten() {
            let status = match s["status"].as_str() {
                Some("sent") => Status::Sent,
                Some("delivered") => Status::Delivered,
                Some("read") => Status::Read,
                Some("failed") => Status::Failed,
                _ => continue,
            };
            let Some(id) = s["id"].as_str() else { continue };
            update.statuses.push(Receipt {
                error: error(&s["errors"][0]),
                pricing: pricing(&s["pricing"]),
                ..Receipt::new(id, status)
            });
        }
    }
    update
}

/// A status's first error: its code, and its words (the details, else the message, else
/// the title), bounded.
fn error(e: &Value) -> Option<ProviderError> {
    let code = match &e["code"] {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.chars().take(64).collect()),
        _ => None,
    };
    let words = [&e["error_data"]["details"], &e["message"], &e["title"]]
        .into_iter()
        .find_map(|w| w.as_str().filter(|w| !w.trim().is_empty()));
    if code.is_none() && words.is_none() {
        return None;
    }
    let message = words
        .unwrap_or("no reason given")
        .chars()
        .take(300)
        .collect();
    Some(ProviderError { code, message })
}

/// A status's pricing: its category (bounded) and whether it is billed.
fn pricing(p: &Value) -> Option<Pricing> {
    let category = p["category"].as_str().filter(|c| !c.is_empty())?;
    Some(Pricing {
        category: category
            .chars()
            .take(32)
            .collect::<String>()
            .to_ascii_lowercase(),
        billable: p["billable"].as_bool().unwrap_or(true),
    })
}

/// The log's kind and content of an incoming message. Media arrive as ids to fetch from the
/// Graph API, not URLs: the log keeps their type, MIME type and caption.
fn incoming_content(kind: &str, m: &Value) -> (Kind, Content) {
    let text = |t: Option<&str>| Content {
        text: t.map(str::to_string),
        ..Content::default()
    };
    match kind {
        "text" => (Kind::Text, text(m["text"]["body"].as_str())),
        "button" => (Kind::Text, text(m["button"]["text"].as_str())),
        "interactive" => {
            let reply = &m["interactive"];
            let title = reply["button_reply"]["title"]
                .as_str()
                .or(reply["list_reply"]["title"].as_str());
            (Kind::Text, text(title))
        }
        "image" | "video" | "audio" | "document" | "sticker" => {
            let media = &m[kind];
            (
                Kind::Media,
                Content {
                    text: Some(
                        media["caption"]
                            .as_str()
                            .map_or_else(|| format!("[{kind}]"), str::to_string),
                    ),
                    mime_type: media["mime_type"].as_str().map(str::to_string),
                    ..Content::default()
                },
            )
        }
        other => (Kind::Text, text(Some(&format!("[{other}]")))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outgoing(kind: Kind, content: Content) -> Outgoing {
        Outgoing::sample(Channel::WhatsApp, "+919876543210", kind, content)
    }

    #[test]
    fn webhook_bodies() {
        let phones = PhoneRules::new(None).unwrap();
        let body = json!({"entry": [{"changes": [{"value": {
            "metadata": {"phone_number_id": "1055"},
            "contacts": [{"profile": {"name": "Asha"}, "wa_id": "919876543210"}],
            "messages": [
                {"from": "919876543210", "id": "wamid.A", "type": "image", "image": {"id": "m1", "mime_type": "image/jpeg", "caption": "receipt"}},
                {"from": "919876543210", "id": "wamid.B", "type": "interactive", "interactive": {"button_reply": {"id": "y", "title": "Yes"}}}],
            "statuses": [{"id": "wamid.C", "status": "failed", "errors": [{"code": 131047, "title": "Re-engagement message"}]},
                         {"id": "wamid.D", "status": "deleted"}]}}]}]});
        let update = parse_webhook(&body, "1055", &phones);
        assert_eq!(update.incoming.len(), 2);
        assert_eq!(update.incoming[0].kind, Kind::Media);
        assert_eq!(update.incoming[0].content.text.as_deref(), Some("receipt"));
        assert_eq!(update.incoming[1].content.text.as_deref(), Some("Yes"));
        assert_eq!(
            update.incoming[1].sender,
            Sender::Address {
                address: "+919876543210".into(),
                name: Some("Asha".into())
            }
        );
        assert_eq!(
            update.statuses,
            [Receipt {
                error: Some(ProviderError {
                    code: Some("131047".into()),
                    message: "Re-engagement message".into()
                }),
                ..Receipt::new("wamid.C", Status::Failed)
            }]
        );
    }

    /// One Meta app may send one account's changes to another's webhook: only those
    /// addressed to the account's own number are read.
    #[test]
    fn changes_for_another_phone_number_are_left_alone() {
        let phones = PhoneRules::new(None).unwrap();
        let change = |id: &str| {
            json!({"value": {"metadata": {"phone_number_id": id},
                "messages": [{"from": "919876543210", "id": format!("wamid.{id}"), "type": "text", "text": {"body": "STOP"}}],
                "statuses": [{"id": format!("wamid.s{id}"), "status": "read"}]}})
        };
        let body = json!({"entry": [{"changes": [change("2000"), change("1055")]}, {"changes": [change("3000")]}]});
        let update = parse_webhook(&body, "1055", &phones);
        let ids: Vec<_> = update
            .incoming
            .iter()
            .map(|m| m.provider_id.clone().unwrap())
            .collect();
        assert_eq!(ids, ["wamid.1055"]);
        assert_eq!(update.statuses.len(), 1);
        assert_eq!(update.statuses[0].provider_id, "wamid.s1055");
        assert!(parse_webhook(&body, "", &phones).incoming.is_empty());
        let bare = json!({"entry": [{"changes": [{"value": {"messages": [{"from": "919876543210", "id": "x", "type": "text"}]}}]}]});
        assert!(
            parse_webhook(&bare, "1055", &phones).incoming.is_empty(),
            "no metadata, no claim"
        );
    }

    #[test]
    fn text_and_media_bodies() {
        let text = request_body(
            &outgoing(
                Kind::Text,
                Content {
                    text: Some("hi".into()),
                    ..Content::default()
                },
            ),
            None,
        )
        .unwrap();
        assert_eq!(
            text,
            json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "919876543210",
                   "type": "text", "text": {"preview_url": false, "body": "hi"}})
        );
        let pdf = request_body(
            &outgoing(
                Kind::Media,
                Content {
                    media_url: Some("https://x.example/a.pdf".into()),
                    mime_type: Some("application/pdf".into()),
                    ..Content::default()
                },
            ),
            None,
        )
        .unwrap();
        assert_eq!(pdf["type"], "document");
        assert_eq!(pdf["document"], json!({"link": "https://x.example/a.pdf"}));
        let captioned = |mime: &str| {
            request_body(
                &outgoing(
                    Kind::Media,
                    Content {
                        media_url: Some("https://x.example/f".into()),
                        mime_type: Some(mime.into()),
                        text: Some("Your receipt".into()),
                        ..Content::default()
                    },
                ),
                None,
            )
            .unwrap()
        };
        assert_eq!(captioned("image/png")["image"]["caption"], "Your receipt");
        assert_eq!(captioned("audio/ogg")["audio"].get("caption"), None);
        let kept = outgoing(
            Kind::Media,
            Content {
                mime_type: Some("application/pdf".into()),
                payload: Some(json!({"file": "3f.pdf"})),
                ..Content::default()
            },
        );
        let uploaded = Uploaded {
            id: "media-7".into(),
            filename: "terms.pdf".into(),
        };
        assert_eq!(
            request_body(&kept, Some(&uploaded)).unwrap()["document"],
            json!({"id": "media-7", "filename": "terms.pdf"})
        );
        assert!(
            request_body(&kept, None).is_err(),
            "a kept file never goes as a null link"
        );
    }

    #[test]
    fn template_components_follow_the_template() {
        let payload = json!({"template": {"name": "order_update", "language": "en_US"}, "headerType": "TEXT",
            "headerTextParameters": ["A-17"], "bodyTextParameters": ["Asha", "A-17"],
            "urlButtons": [{"index": 0, "parameter": "A-17"}]});
        let body = request_body(
            &outgoing(
                Kind::Template,
                Content {
                    payload: Some(payload),
                    ..Content::default()
                },
            ),
            None,
        )
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
