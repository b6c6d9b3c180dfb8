//! Broadcasts as values: the create body and its checks, statuses, and per-recipient
//! personalisation. No SQL, no HTTP.

use crate::clock::Timestamp;
use crate::contacts::model::Person;
use crate::error::Error;
use crate::fields::{Ref, text};
use crate::messages::body::{MAX_TEXT, MAX_URL, SendBody, TemplateName, schedule};
use crate::messages::model::{Channel, Kind};
use crate::messages::render::TemplateRequest;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const MAX_NAME: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Scheduled = 0,
    Running = 1,
    Paused = 2,
    Completed = 3,
    Cancelled = 4,
}

impl Status {
    pub fn code(self) -> i64 {
        self as i64
    }

    pub fn from_code(code: i64) -> Status {
        match code {
            0 => Status::Scheduled,
            1 => Status::Running,
            2 => Status::Paused,
            3 => Status::Completed,
            _ => Status::Cancelled,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Scheduled => "scheduled",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Completed => "completed",
            Status::Cancelled => "cancelled",
        }
    }

    /// What `pause`, `resume` and `cancel` may do from here.
    pub fn can_become(self, next: Status) -> bool {
        matches!(
            (self, next),
            (Status::Running, Status::Paused)
                | (Status::Paused, Status::Running)
                | (
                    Status::Scheduled | Status::Running | Status::Paused,
                    Status::Cancelled
                )
        )
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BroadcastBody {
    pub name: Option<String>,
    pub segment: Option<Ref>,
    pub channel: Option<String>,
    pub template: Option<TemplateName>,
    pub header_text_parameters: Option<Vec<String>>,
    pub body_text_parameters: Option<Vec<String>>,
    pub button_url_parameters: Option<Vec<String>>,
    pub header_media_url: Option<String>,
    pub text_message: Option<String>,
    pub schedule_date_time: Option<String>,
}

/// What each recipient is sent, before personalisation; stored with the broadcast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<StoredTemplate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_message: Option<String>,
}

impl Request {
    /// The kind of message each recipient gets.
    pub fn kind(&self) -> Kind {
        match self.template {
            Some(_) => Kind::Template,
            None => Kind::Text,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredTemplate {
    pub name: String,
    pub language: String,
    pub header_text_parameters: Vec<String>,
    pub body_text_parameters: Vec<String>,
    pub button_url_parameters: Vec<String>,
    pub header_media_url: Option<String>,
}

impl StoredTemplate {
    /// The WhatsApp template send for one recipient, parameters filled from their record.
    pub fn for_person(&self, person: &Person) -> TemplateRequest {
        let fill = |params: &[String]| params.iter().map(|p| personalize(p, person)).collect();
        TemplateRequest {
            name: self.name.clone(),
            language: self.language.clone(),
            header: fill(&self.header_text_parameters),
            body: fill(&self.body_text_parameters),
            buttons: fill(&self.button_url_parameters),
            header_media_url: self
                .header_media_url
                .as_deref()
                .map(|u| personalize(u, person)),
            location: None,
            flow: None,
        }
    }
}

/// The segment id of a broadcast to a list of people (`broadcast_recipients`), each with
/// parameters of their own, rather than to a segment.
pub const LIST: i64 = 0;

/// One recipient's template parameters in a broadcast to a list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Parameters {
    pub header: Vec<String>,
    pub body: Vec<String>,
}

impl StoredTemplate {
    /// The WhatsApp template send for a recipient of a list, with their own parameters.
    pub fn with(&self, own: &Parameters) -> TemplateRequest {
        TemplateRequest {
            name: self.name.clone(),
            language: self.language.clone(),
            header: own.header.clone(),
            body: own.body.clone(),
            buttons: Vec::new(),
            header_media_url: self.header_media_url.clone(),
            location: None,
            flow: None,
        }
    }
}

/// A checked create request.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBroadcast {
    pub name: String,
    pub segment_id: i64,
    pub channel: Channel,
    pub request: Request,
    pub scheduled_at: Option<Timestamp>,
}

impl NewBroadcast {
    pub fn parse(body: BroadcastBody, now: Timestamp) -> Result<NewBroadcast, Error> {
        let name = text("name", body.name.as_deref().unwrap_or(""), MAX_NAME)?;
        let segment_id = body
            .segment
            .ok_or_else(|| Error::invalid("segment.id: required"))?
            .id
            .0;
        let channel_name = body
            .channel
            .as_deref()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let channel = Channel::parse(&channel_name).ok_or_else(|| {
            Error::invalid("channel: expected whatsapp, telegram, instagram or messenger")
        })?;
        let request = match (channel, body.template, body.text_message) {
            (_, Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "template: give a template or a textMessage, not both",
                ));
            }
            (Channel::WhatsApp, None, _) => {
                return Err(Error::invalid(
                    "template: WhatsApp broadcasts must use a template (free text only reaches \
                     people who wrote in the last 24 hours)",
                ));
            }
            (Channel::WhatsApp, Some(template), None) => {
                // The template send checks names and parameters as a single send would.
                let checked = TemplateRequest::parse(SendBody {
                    template: Some(template),
                    header_text_parameters: body.header_text_parameters,
                    body_text_parameters: body.body_text_parameters,
                    button_url_parameters: body.button_url_parameters,
                    ..SendBody::default()
                })?;
                let header_media_url = body
                    .header_media_url
                    .map(|u| {
                        // It may hold placeholders, so only its shape is checked here.
                        let u = text("headerMediaUrl", &u, MAX_URL)?;
                        if u.starts_with("https://") || u.starts_with("http://") {
                            Ok(u)
                        } else {
                            Err(Error::invalid(
                                "headerMediaUrl: must be an http:// or https:// URL",
                            ))
                        }
                    })
                    .transpose()?;
                Request {
                    template: Some(StoredTemplate {
                        name: checked.name,
                        language: checked.language,
                        header_text_parameters: checked.header,
                        body_text_parameters: checked.body,
                        button_url_parameters: checked.buttons,
                        header_media_url,
                    }),
                    text_message: None,
                }
            }
            (_, Some(_), None) => {
                return Err(Error::invalid(
                    "template: only WhatsApp broadcasts use registered templates; send a textMessage",
                ));
            }
            (_, None, text_message) => Request {
                template: None,
                text_message: Some(text(
                    "textMessage",
                    text_message.as_deref().unwrap_or(""),
                    MAX_TEXT,
                )?),
            },
        };
        let scheduled_at = body
            .schedule_date_time
            .as_deref()
            .map(|s| schedule(s, now))
            .transpose()?
            .flatten();
        Ok(NewBroadcast {
            name,
            segment_id,
            channel,
            request,
            scheduled_at,
        })
    }
}

/// Fills `{{firstName}}`, `{{lastName}}`, `{{name}}`, `{{phoneNumber}}`, `{{email}}`,
/// `{{externalId}}` and `{{attributes.x}}` from the person; `{{field|default}}` gives the
/// text used when the person has no such value. An unknown or missing field becomes the
/// default or an empty string, never the raw placeholder.
pub fn personalize(s: &str, person: &Person) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else {
            break;
        };
        let inside = &rest[start + 2..start + 2 + len];
        let (field, default) = match inside.split_once('|') {
            Some((f, d)) => (f.trim(), d.trim()),
            None => (inside.trim(), ""),
        };
        out.push_str(&rest[..start]);
        match value_of(field, person).filter(|v| !v.is_empty()) {
            Some(v) => out.push_str(&v),
            None => out.push_str(default),
        }
        rest = &rest[start + 2 + len + 2..];
    }
    out.push_str(rest);
    out
}

fn value_of(field: &str, p: &Person) -> Option<String> {
    if let Some(name) = field.strip_prefix("attributes.") {
        let value = p
            .attributes
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)?;
        return match value {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        };
    }
    let found = match field {
        "firstName" => &p.first_name,
        "lastName" => &p.last_name,
        "name" => &p.name,
        "phoneNumber" | "phone" => &p.phone_number,
        "email" => &p.email,
        "externalId" => &p.external_id,
        _ => return None,
    };
    found.clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    fn asha() -> Person {
        let mut attributes = Map::new();
        attributes.insert("City".into(), json!("Pune"));
        attributes.insert("orders".into(), json!(7));
        Person {
            id: "1".into(),
            kind: "contact",
            name: Some("Asha Rao".into()),
            first_name: Some("Asha".into()),
            last_name: None,
            phone_number: Some("+919876543210".into()),
            email: None,
            external_id: None,
            gender: None,
            birth_date: None,
            contact_stage: None,
            channel: None,
            channel_ids: Map::new(),
            location: None,
            tags: vec![],
            attributes,
            opted_out: false,
            last_activity_at: None,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn placeholders_are_filled_from_the_person() {
        let p = asha();
        assert_eq!(
            personalize("Hi {{firstName}} ({{name}})", &p),
            "Hi Asha (Asha Rao)"
        );
        assert_eq!(personalize("{{phoneNumber}}", &p), "+919876543210");
        assert_eq!(
            personalize("See you in {{attributes.city}}", &p),
            "See you in Pune"
        );
        assert_eq!(personalize("{{attributes.orders}} orders", &p), "7 orders");
        assert_eq!(personalize("Dear {{lastName}}!", &p), "Dear !");
        assert_eq!(personalize("Hi {{lastName|friend}}", &p), "Hi friend");
        assert_eq!(
            personalize("In {{ attributes.country | your country }}", &p),
            "In your country"
        );
        assert_eq!(personalize("{{unknown}}x{{", &p), "x{{");
        assert_eq!(personalize("no placeholders", &p), "no placeholders");
    }

    fn parse(json: Value) -> Result<NewBroadcast, String> {
        NewBroadcast::parse(serde_json::from_value(json).unwrap(), 1_795_341_600)
            .map_err(|e| e.message)
    }

    #[test]
    fn bodies_are_checked() {
        let ok = parse(json!({"name": "Sale", "segment": {"id": "3"}, "channel": "whatsapp",
            "template": {"name": "promo", "language": "en"}, "bodyTextParameters": ["{{firstName}}", "FREESHIP"]}))
        .unwrap();
        assert_eq!(ok.segment_id, 3);
        assert_eq!(
            ok.request.template.unwrap().body_text_parameters,
            ["{{firstName}}", "FREESHIP"]
        );
        for (body, field) in [
            (
                json!({"segment": {"id": 1}, "channel": "telegram", "textMessage": "x"}),
                "name",
            ),
            (
                json!({"name": "a", "channel": "telegram", "textMessage": "x"}),
                "segment.id",
            ),
            (
                json!({"name": "a", "segment": {"id": 1}, "channel": "sms", "textMessage": "x"}),
                "channel",
            ),
            (
                json!({"name": "a", "segment": {"id": 1}, "channel": "whatsapp", "textMessage": "x"}),
                "template",
            ),
            (
                json!({"name": "a", "segment": {"id": 1}, "channel": "telegram"}),
                "textMessage",
            ),
            (
                json!({"name": "a", "segment": {"id": 1}, "channel": "telegram", "template": {"name": "p", "language": "en"}}),
                "template",
            ),
            (
                json!({"name": "a", "segment": {"id": 1}, "channel": "telegram", "textMessage": "x", "scheduleDateTime": "later"}),
                "scheduleDateTime",
            ),
        ] {
            let err = parse(body.clone()).unwrap_err();
            assert!(err.starts_with(field), "{body}: {err}");
        }
    }

    #[test]
    fn statuses() {
        assert!(Status::Running.can_become(Status::Paused));
        assert!(Status::Paused.can_become(Status::Running));
        assert!(Status::Scheduled.can_become(Status::Cancelled));
        assert!(!Status::Completed.can_become(Status::Cancelled));
        assert!(!Status::Scheduled.can_become(Status::Paused));
        assert!(!Status::Cancelled.can_become(Status::Running));
    }
}
