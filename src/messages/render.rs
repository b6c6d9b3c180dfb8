//! Template sends: a WhatsApp template filled with its parameters, Telegram's text with
//! header media and buttons, and the generic template (`elements`) of Instagram and
//! Messenger. Each becomes the [`Content`] the log stores. No SQL, no HTTP.

use super::body::{SendBody, button_options, http_url, mime_type, missing, required_text};
use super::model::Content;
use crate::error::Error;
use crate::fields::text;
use crate::templates::model::Template;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub const MAX_PARAMETER: usize = 1024;
pub const MAX_PARAMETERS: usize = 100;
pub const MAX_TELEGRAM_BUTTONS: usize = 10;
/// Messenger's generic template: at most 10 elements of at most 3 buttons.
pub const MAX_ELEMENTS: usize = 10;
pub const MAX_ELEMENT_BUTTONS: usize = 3;
const MAX_ELEMENT_TEXT: usize = 80;

/// A WhatsApp `sendtemplate` body, checked; rendered by [`TemplateRequest::render`].
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateRequest {
    pub name: String,
    pub language: String,
    pub header: Vec<String>,
    pub body: Vec<String>,
    pub buttons: Vec<String>,
    pub header_media_url: Option<String>,
    pub location: Option<Value>,
    pub flow: Option<Value>,
}

impl TemplateRequest {
    pub fn parse(body: SendBody) -> Result<TemplateRequest, Error> {
        let template = body.template.ok_or_else(|| missing("template"))?;
        let params = |field: &str, values: Option<Vec<String>>| {
            let values = values.unwrap_or_default();
            if values.len() > MAX_PARAMETERS {
                return Err(Error::invalid(format!(
                    "{field}: at most {MAX_PARAMETERS} parameters"
                )));
            }
            values
                .iter()
                .enumerate()
                .map(|(i, v)| text(&format!("{field}[{i}]"), v, MAX_PARAMETER))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(TemplateRequest {
            name: required_text("template.name", template.name, 512)?,
            language: required_text("template.language", template.language, 16)?,
            header: params("headerTextParameters", body.header_text_parameters)?,
            body: params("bodyTextParameters", body.body_text_parameters)?,
            buttons: params("buttonUrlParameters", body.button_url_parameters)?,
            header_media_url: body
                .header_media_url
                .as_deref()
                .map(|u| http_url("headerMediaUrl", u))
                .transpose()?,
            location: body.location_parameters.map(location).transpose()?,
            flow: body.flow_parameters,
        })
    }

    /// Fills the registered template; every part's parameter count must match.
    pub fn render(&self, t: &Template) -> Result<Content, Error> {
        let wanted = t.placeholders();
        let count = |field: &str, got: usize, want: usize| {
            (got == want).then_some(()).ok_or_else(|| {
                Error::invalid(format!(
                    "{field}: template {} ({}) takes {want}, got {got}",
                    t.name, t.language
                ))
            })
        };
        count("headerTextParameters", self.header.len(), wanted.header)?;
        count("bodyTextParameters", self.body.len(), wanted.body)?;
        count(
            "buttonUrlParameters",
            self.buttons.len(),
            wanted.buttons.iter().sum(),
        )?;
        let header_kind = t.header.as_ref().map(|h| h.kind.as_str());
        if matches!(header_kind, Some("IMAGE" | "VIDEO" | "DOCUMENT"))
            && self.header_media_url.is_none()
        {
            return Err(Error::invalid(format!(
                "headerMediaUrl: template {} has a {} header",
                t.name,
                header_kind.unwrap_or_default()
            )));
        }
        if header_kind == Some("LOCATION") && self.location.is_none() {
            return Err(Error::invalid(format!(
                "locationParameters: template {} has a LOCATION header",
                t.name
            )));
        }
        // Which button takes which URL parameter: the Cloud API addresses buttons by index.
        let mut url_buttons = Vec::new();
        let mut next = 0;
        for (index, n) in wanted.buttons.iter().enumerate() {
            for parameter in &self.buttons[next..next + n] {
                url_buttons.push(json!({"index": index, "parameter": parameter}));
            }
            next += n;
        }
        let mut url_params = self.buttons.iter();
        let buttons = t
            .buttons
            .iter()
            .zip(&wanted.buttons)
            .map(|(b, n)| {
                let args: Vec<String> = url_params.by_ref().take(*n).cloned().collect();
                let mut button = json!({"type": b.kind, "text": b.text});
                if let Some(url) = &b.url {
                    button["url"] = json!(fill(url, &args));
                }
                if let Some(phone) = &b.phone_number {
                    button["phoneNumber"] = json!(phone);
                }
                button
            })
            .collect();
        Ok(Content {
            text: Some(fill(&t.body, &self.body)),
            header_text: t
                .header
                .as_ref()
                .and_then(|h| h.text.as_deref())
                .map(|h| fill(h, &self.header)),
            footer_text: t.footer.clone(),
            media_url: self.header_media_url.clone(),
            mime_type: None,
            options: button_options("buttons", buttons),
            payload: Some(json!({
                "template": {"name": t.name, "language": t.language},
                "headerType": header_kind,
                "urlButtons": url_buttons,
                "headerTextParameters": self.header,
                "bodyTextParameters": self.body,
                "buttonUrlParameters": self.buttons,
                "locationParameters": self.location,
                "flowParameters": self.flow,
            })),
        })
    }
}

/// Replaces `{{n}}` by `args[n - 1]`. The template was checked at registration, so every
/// placeholder is a number within the counted range.
fn fill(s: &str, args: &[String]) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start..].find("}}") else {
            break;
        };
        let inside = rest[start + 2..start + end].trim();
        let arg = inside
            .parse::<usize>()
            .ok()
            .and_then(|n| args.get(n.wrapping_sub(1)));
        out.push_str(&rest[..start]);
        match arg {
            Some(arg) => out.push_str(arg),
            None => out.push_str(&rest[start..start + end + 2]),
        }
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

fn location(value: Value) -> Result<Value, Error> {
    let coordinate = |field: &str, limit: f64| {
        value
            .get(field)
            .and_then(Value::as_f64)
            .filter(|v| v.abs() <= limit)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "locationParameters.{field}: a number from -{limit} to {limit}"
                ))
            })
    };
    let latitude = coordinate("latitude", 90.0)?;
    let longitude = coordinate("longitude", 180.0)?;
    let label = |field: &str| {
        value
            .get(field)
            .and_then(Value::as_str)
            .map(|s| text(&format!("locationParameters.{field}"), s, 1000))
            .transpose()
    };
    Ok(json!({
        "latitude": latitude,
        "longitude": longitude,
        "name": label("name")?,
        "address": label("address")?,
    }))
}

/// A button of a Telegram or generic template: `web_url` opens `url`, `postback` sends
/// `payload` back.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Button {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub title: Option<String>,
    pub payload: Option<String>,
    pub url: Option<String>,
}

impl Button {
    /// The checked button as the log's `options.buttons` shows it.
    fn check(&self, place: &str, max_title: usize, max_payload: usize) -> Result<Value, Error> {
        let title = required_text(&format!("{place}.title"), self.title.clone(), max_title)?;
        match self.kind.as_deref().map(str::trim) {
            Some("web_url") => {
                let url = self
                    .url
                    .as_deref()
                    .ok_or_else(|| missing(&format!("{place}.url")))?;
                Ok(
                    json!({"type": "web_url", "text": title, "url": http_url(&format!("{place}.url"), url)?}),
                )
            }
            Some("postback") => {
                let payload = self
                    .payload
                    .as_deref()
                    .ok_or_else(|| missing(&format!("{place}.payload")))?;
                if payload.is_empty() || payload.len() > max_payload {
                    return Err(Error::invalid(format!(
                        "{place}.payload: 1 to {max_payload} bytes"
                    )));
                }
                Ok(json!({"type": "postback", "text": title, "payload": payload}))
            }
            _ => Err(Error::invalid(format!(
                "{place}.type: expected web_url or postback"
            ))),
        }
    }
}

fn buttons(
    field: &str,
    buttons: &[Button],
    max: usize,
    max_title: usize,
    max_payload: usize,
) -> Result<Vec<Value>, Error> {
    if buttons.len() > max {
        return Err(Error::invalid(format!("{field}: at most {max} buttons")));
    }
    buttons
        .iter()
        .enumerate()
        .map(|(i, b)| b.check(&format!("{field}[{i}]"), max_title, max_payload))
        .collect()
}

/// Telegram `sendtemplate`: text, optional header media, inline buttons (callback data is
/// at most 64 bytes in the Bot API).
pub fn telegram(body: SendBody) -> Result<Content, Error> {
    let text_message = required_text("textMessage", body.text_message, super::body::MAX_TEXT)?;
    let (media_url, mime) = match body.header_type.as_deref().map(str::trim) {
        None => (None, None),
        Some(kind) => {
            let kind = kind.to_ascii_uppercase();
            if !["IMAGE", "VIDEO", "DOCUMENT"].contains(&kind.as_str()) {
                return Err(Error::invalid(
                    "headerType: expected IMAGE, VIDEO or DOCUMENT",
                ));
            }
            let url = body
                .media_url
                .as_deref()
                .ok_or_else(|| missing("mediaUrl"))?;
            let mime = body
                .mime_type
                .as_deref()
                .map(|m| mime_type("mimeType", m))
                .transpose()?;
            (Some(http_url("mediaUrl", url)?), mime)
        }
    };
    let buttons = buttons(
        "buttons",
        body.buttons.as_deref().unwrap_or_default(),
        MAX_TELEGRAM_BUTTONS,
        64,
        64,
    )?;
    Ok(Content {
        text: Some(text_message),
        media_url,
        mime_type: mime,
        payload: body
            .header_type
            .map(|h| json!({"headerType": h.trim().to_ascii_uppercase()})),
        options: button_options("buttons", buttons),
        ..Content::default()
    })
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DefaultAction {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub url: Option<String>,
}

/// One card of a generic template, in the Send API's own field names.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Element {
    pub title: Option<String>,
    pub subtitle: Option<String>,
    pub image_url: Option<String>,
    pub default_action: Option<DefaultAction>,
    pub buttons: Option<Vec<Button>>,
}

/// Instagram and Messenger `sendtemplate`: a generic template of 1 to 10 elements.
pub fn generic(body: SendBody) -> Result<Content, Error> {
    let elements = body.elements.ok_or_else(|| missing("elements"))?;
    if elements.is_empty() || elements.len() > MAX_ELEMENTS {
        return Err(Error::invalid(format!(
            "elements: 1 to {MAX_ELEMENTS} elements"
        )));
    }
    let mut checked = Vec::with_capacity(elements.len());
    let mut all_buttons = Vec::new();
    let mut titles = Vec::new();
    for (i, e) in elements.into_iter().enumerate() {
        let place = format!("elements[{i}]");
        let title = required_text(&format!("{place}.title"), e.title, MAX_ELEMENT_TEXT)?;
        let subtitle = e
            .subtitle
            .as_deref()
            .map(|s| text(&format!("{place}.subtitle"), s, MAX_ELEMENT_TEXT))
            .transpose()?;
        let image_url = e
            .image_url
            .as_deref()
            .map(|u| http_url(&format!("{place}.image_url"), u))
            .transpose()?;
        let default_action = e
            .default_action
            .map(|a| {
                let field = format!("{place}.default_action");
                if a.kind.as_deref().is_some_and(|k| k != "web_url") {
                    return Err(Error::invalid(format!("{field}.type: expected web_url")));
                }
                let url = a
                    .url
                    .as_deref()
                    .ok_or_else(|| missing(&format!("{field}.url")))?;
                Ok(json!({"type": "web_url", "url": http_url(&format!("{field}.url"), url)?}))
            })
            .transpose()?;
        let buttons = buttons(
            &format!("{place}.buttons"),
            e.buttons.as_deref().unwrap_or_default(),
            MAX_ELEMENT_BUTTONS,
            20,
            1000,
        )?;
        all_buttons.extend(buttons.iter().cloned());
        titles.push(title.clone());
        checked.push(json!({
            "title": title,
            "subtitle": subtitle,
            "image_url": image_url,
            "default_action": default_action,
            "buttons": buttons,
        }));
    }
    Ok(Content {
        text: Some(titles.join("\n")),
        options: Some(json!({"type": "generic", "buttons": all_buttons})),
        payload: Some(json!({"elements": checked})),
        ..Content::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::templates::model::{Template, TemplateBody};

    fn template(json: &str) -> Template {
        Template::parse(serde_json::from_str::<TemplateBody>(json).unwrap()).unwrap()
    }

    fn request(json: &str) -> Result<TemplateRequest, String> {
        TemplateRequest::parse(serde_json::from_str(json).unwrap()).map_err(|e| e.message)
    }

    #[test]
    fn fills_every_part_of_a_whatsapp_template() {
        let t = template(
            r#"{"name": "order_update", "language": "en_US", "header": {"type": "TEXT", "text": "Hello {{1}}"},
                "body": "Your order {{1}} ships {{2}}. Thanks, {{1}}!", "footer": "Reply STOP to opt out",
                "buttons": [{"type": "URL", "text": "Track", "url": "https://t.example/{{1}}"},
                            {"type": "QUICK_REPLY", "text": "Thanks"}]}"#,
        );
        let r = request(
            r#"{"template": {"name": "order_update", "language": "en_US"}, "headerTextParameters": ["Asha"],
                "bodyTextParameters": ["A-17", "today"], "buttonUrlParameters": ["A-17"]}"#,
        )
        .unwrap();
        let c = r.render(&t).unwrap();
        assert_eq!(
            c.text.as_deref(),
            Some("Your order A-17 ships today. Thanks, A-17!")
        );
        assert_eq!(c.header_text.as_deref(), Some("Hello Asha"));
        assert_eq!(c.footer_text.as_deref(), Some("Reply STOP to opt out"));
        assert_eq!(
            c.options.unwrap()["buttons"],
            json!([{"type": "URL", "text": "Track", "url": "https://t.example/A-17"},
                   {"type": "QUICK_REPLY", "text": "Thanks"}])
        );
    }

    #[test]
    fn parameter_counts_must_match() {
        let t = template(r#"{"name": "n", "language": "en", "body": "Hi {{1}} {{2}}"}"#);
        let r = request(
            r#"{"template": {"name": "n", "language": "en"}, "bodyTextParameters": ["a"]}"#,
        )
        .unwrap();
        let err = r.render(&t).unwrap_err().message;
        assert_eq!(err, "bodyTextParameters: template n (en) takes 2, got 1");
        let r = request(r#"{"template": {"name": "n", "language": "en"}, "bodyTextParameters": ["a", "b"], "headerTextParameters": ["x"]}"#).unwrap();
        assert!(
            r.render(&t)
                .unwrap_err()
                .message
                .starts_with("headerTextParameters:")
        );
        let err = request(r#"{"template": {"name": "n"}}"#).unwrap_err();
        assert_eq!(err, "template.language: required");
        let err = request(
            r#"{"template": {"name": "n", "language": "en"}, "bodyTextParameters": ["a", ""]}"#,
        )
        .unwrap_err();
        assert!(err.starts_with("bodyTextParameters[1]:"), "{err}");
    }

    #[test]
    fn media_and_location_headers_need_their_parameters() {
        let t = template(
            r#"{"name": "n", "language": "en", "header": {"type": "IMAGE"}, "body": "Hi"}"#,
        );
        let r = request(r#"{"template": {"name": "n", "language": "en"}}"#).unwrap();
        assert!(
            r.render(&t)
                .unwrap_err()
                .message
                .starts_with("headerMediaUrl:")
        );
        let t = template(
            r#"{"name": "n", "language": "en", "header": {"type": "LOCATION"}, "body": "Hi"}"#,
        );
        assert!(
            r.render(&t)
                .unwrap_err()
                .message
                .starts_with("locationParameters:")
        );
        let err = request(r#"{"template": {"name": "n", "language": "en"}, "locationParameters": {"latitude": 91, "longitude": 0}}"#).unwrap_err();
        assert!(err.starts_with("locationParameters.latitude:"), "{err}");
    }

    #[test]
    fn fill_leaves_text_without_placeholders_alone() {
        assert_eq!(fill("no placeholders {", &[]), "no placeholders {");
        assert_eq!(fill("{{1}}{{2}}", &["a".into(), "b".into()]), "ab");
    }

    fn body(json: &str) -> SendBody {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn telegram_templates() {
        let c = telegram(body(
            r#"{"headerType": "IMAGE", "mediaUrl": "https://x.example/a.png", "mimeType": "image/png", "textMessage": "Sale",
                "buttons": [{"type": "web_url", "title": "Shop", "url": "https://x.example"}, {"type": "postback", "title": "Later", "payload": "LATER"}]}"#,
        ))
        .unwrap();
        assert_eq!(c.media_url.as_deref(), Some("https://x.example/a.png"));
        assert_eq!(
            c.options.unwrap()["buttons"][1],
            json!({"type": "postback", "text": "Later", "payload": "LATER"})
        );
        for (json, field) in [
            (r#"{"headerType": "IMAGE", "textMessage": "x"}"#, "mediaUrl"),
            (r#"{"headerType": "GIF", "textMessage": "x"}"#, "headerType"),
            (r#"{"buttons": []}"#, "textMessage"),
            (
                r#"{"textMessage": "x", "buttons": [{"type": "web_url", "title": "a"}]}"#,
                "buttons[0].url",
            ),
            (
                r#"{"textMessage": "x", "buttons": [{"type": "call", "title": "a"}]}"#,
                "buttons[0].type",
            ),
            (
                &format!(
                    r#"{{"textMessage": "x", "buttons": [{{"type": "postback", "title": "a", "payload": "{}"}}]}}"#,
                    "p".repeat(65)
                ),
                "buttons[0].payload",
            ),
        ] {
            let err = telegram(body(json)).unwrap_err().message;
            assert!(err.starts_with(field), "{json}: {err}");
        }
    }

    #[test]
    fn generic_templates() {
        let c = generic(body(
            r#"{"elements": [{"title": "Shoes", "subtitle": "New", "image_url": "https://x.example/s.jpg",
                "default_action": {"type": "web_url", "url": "https://x.example/s"},
                "buttons": [{"type": "web_url", "title": "Buy", "url": "https://x.example/buy"}]}]}"#,
        ))
        .unwrap();
        assert_eq!(c.text.as_deref(), Some("Shoes"));
        assert_eq!(c.options.unwrap()["type"], "generic");
        let four = r#"{"type": "postback", "title": "a", "payload": "p"}"#;
        for (json, field) in [
            (r#"{}"#.to_string(), "elements"),
            (r#"{"elements": []}"#.to_string(), "elements"),
            (
                r#"{"elements": [{"subtitle": "x"}]}"#.to_string(),
                "elements[0].title",
            ),
            (
                r#"{"elements": [{"title": "a", "image_url": "file:///etc/passwd"}]}"#.to_string(),
                "elements[0].image_url",
            ),
            (
                format!(
                    r#"{{"elements": [{{"title": "a", "buttons": [{four}, {four}, {four}, {four}]}}]}}"#
                ),
                "elements[0].buttons",
            ),
        ] {
            let err = generic(body(&json)).unwrap_err().message;
            assert!(err.starts_with(field), "{json}: {err}");
        }
    }
}
