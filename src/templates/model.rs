//! A template's shape and validation: names and languages as WhatsApp writes them,
//! placeholders numbered `{{1}}`, `{{2}}`, … without gaps. No SQL, no HTTP.

use crate::error::Error;
use crate::fields::text;
use serde::{Deserialize, Serialize};

pub const MAX_NAME: usize = 512;
pub const MAX_HEADER_TEXT: usize = 60;
pub const MAX_BODY: usize = 1024;
pub const MAX_FOOTER: usize = 60;
pub const MAX_BUTTONS: usize = 10;
pub const MAX_BUTTON_TEXT: usize = 25;
pub const MAX_URL: usize = 2000;

pub const CATEGORIES: [&str; 3] = ["MARKETING", "UTILITY", "AUTHENTICATION"];
pub const HEADER_TYPES: [&str; 5] = ["TEXT", "IMAGE", "VIDEO", "DOCUMENT", "LOCATION"];
pub const BUTTON_TYPES: [&str; 3] = ["URL", "QUICK_REPLY", "PHONE_NUMBER"];

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Header {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Button {
    #[serde(rename = "type")]
    pub kind: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
}

/// A create or update body; on update, what is absent stays as it was.
#[derive(Debug, Default, Deserialize)]
pub struct TemplateBody {
    pub name: Option<String>,
    pub language: Option<String>,
    pub category: Option<String>,
    pub header: Option<Header>,
    pub body: Option<String>,
    pub footer: Option<String>,
    pub buttons: Option<Vec<Button>>,
}

/// A checked template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub name: String,
    pub language: String,
    pub category: Option<String>,
    pub header: Option<Header>,
    pub body: String,
    pub footer: Option<String>,
    pub buttons: Vec<Button>,
}

/// How many parameters each part of a template takes: what a send must supply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placeholders {
    pub header: usize,
    pub body: usize,
    pub buttons: Vec<usize>,
}

impl Template {
    pub fn parse(body: TemplateBody) -> Result<Template, Error> {
        let name = text("name", body.name.as_deref().unwrap_or(""), MAX_NAME)?;
        if !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(Error::invalid(
                "name: use lowercase letters, digits and underscores (as WhatsApp template names are)",
            ));
        }
        let language = text("language", body.language.as_deref().unwrap_or(""), 15)?;
        if !is_language(&language) {
            return Err(Error::invalid(
                "language: expected a language code such as en, en_US or pt_BR",
            ));
        }
        let category = body
            .category
            .map(|c| one_of("category", &c, &CATEGORIES))
            .transpose()?;
        let header = body.header.map(header).transpose()?;
        let text_body = text("body", body.body.as_deref().unwrap_or(""), MAX_BODY)?;
        placeholders("body", &text_body)?;
        let footer = body
            .footer
            .map(|f| text("footer", &f, MAX_FOOTER))
            .transpose()?;
        if let Some(f) = &footer
            && placeholders("footer", f)? > 0
        {
            return Err(Error::invalid("footer: a footer takes no placeholders"));
        }
        let buttons = body.buttons.unwrap_or_default();
        if buttons.len() > MAX_BUTTONS {
            return Err(Error::invalid(format!("buttons: at most {MAX_BUTTONS}")));
        }
        let buttons = buttons
            .into_iter()
            .enumerate()
            .map(|(i, b)| button(i, b))
            .collect::<Result<_, _>>()?;
        Ok(Template {
            name,
            language,
            category,
            header,
            body: text_body,
            footer,
            buttons,
        })
    }

    /// This template changed by an update body: what it sends replaces, the rest stays.
    pub fn updated(self, body: TemplateBody) -> Result<Template, Error> {
        Template::parse(TemplateBody {
            name: Some(body.name.unwrap_or(self.name)),
            language: Some(body.language.unwrap_or(self.language)),
            category: body.category.or(self.category),
            header: body.header.or(self.header),
            body: Some(body.body.unwrap_or(self.body)),
            footer: body.footer.or(self.footer),
            buttons: Some(body.buttons.unwrap_or(self.buttons)),
        })
    }

    pub fn placeholders(&self) -> Placeholders {
        let count = |field: &str, s: &str| placeholders(field, s).unwrap_or(0);
        Placeholders {
            header: self
                .header
                .as_ref()
                .and_then(|h| h.text.as_deref())
                .map_or(0, |t| count("header.text", t)),
            body: count("body", &self.body),
            buttons: self
                .buttons
                .iter()
                .map(|b| b.url.as_deref().map_or(0, |u| count("url", u)))
                .collect(),
        }
    }
}

fn is_language(code: &str) -> bool {
    let (lang, region) = code.split_once('_').unwrap_or((code, ""));
    (2..=3).contains(&lang.len())
        && lang.bytes().all(|b| b.is_ascii_lowercase())
        && (region.is_empty()
            || (region.len() == 2 && region.bytes().all(|b| b.is_ascii_uppercase())))
}

fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<String, Error> {
    let upper = value.trim().to_ascii_uppercase();
    allowed
        .contains(&upper.as_str())
        .then_some(upper)
        .ok_or_else(|| Error::invalid(format!("{field}: expected one of {}", allowed.join(", "))))
}

fn header(h: Header) -> Result<Header, Error> {
    let kind = one_of("header.type", &h.kind, &HEADER_TYPES)?;
    let text = match (kind.as_str(), h.text) {
        ("TEXT", Some(t)) => {
            let t = text("header.text", &t, MAX_HEADER_TEXT)?;
            if placeholders("header.text", &t)? > 1 {
                return Err(Error::invalid(
                    "header.text: a header takes at most one placeholder",
                ));
            }
            Some(t)
        }
        ("TEXT", None) => {
            return Err(Error::invalid("header.text: a TEXT header needs its text"));
        }
        (_, _) => None, // media headers take their media when sent
    };
    Ok(Header { kind, text })
}

fn button(i: usize, b: Button) -> Result<Button, Error> {
    let place = format!("buttons[{i}]");
    let kind = one_of(&format!("{place}.type"), &b.kind, &BUTTON_TYPES)?;
    let label = text(&format!("{place}.text"), &b.text, MAX_BUTTON_TEXT)?;
    let url = match (kind.as_str(), b.url) {
        ("URL", Some(url)) => {
            let url = text(&format!("{place}.url"), &url, MAX_URL)?;
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(Error::invalid(format!(
                    "{place}.url: must start with http:// or https://"
                )));
            }
            if placeholders(&format!("{place}.url"), &url)? > 1 {
                return Err(Error::invalid(format!(
                    "{place}.url: a URL takes at most one placeholder"
                )));
            }
            Some(url)
        }
        ("URL", None) => {
            return Err(Error::invalid(format!(
                "{place}.url: a URL button needs its url"
            )));
        }
        _ => None,
    };
    let phone_number = match (kind.as_str(), b.phone_number) {
        ("PHONE_NUMBER", Some(p)) => Some(text(&format!("{place}.phoneNumber"), &p, 20)?),
        ("PHONE_NUMBER", None) => {
            return Err(Error::invalid(format!(
                "{place}.phoneNumber: a PHONE_NUMBER button needs its number"
            )));
        }
        _ => None,
    };
    Ok(Button {
        kind,
        text: label,
        url,
        phone_number,
    })
}

/// The number of distinct placeholders in `s`, which must be `{{1}}` … `{{n}}` without gaps.
pub fn placeholders(field: &str, s: &str) -> Result<usize, Error> {
    let mut seen = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| {
            Error::invalid(format!(
                "{field}: a placeholder opened with {{{{ is not closed"
            ))
        })?;
        let inside = after[..end].trim();
        let n: usize = inside.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
            Error::invalid(format!(
                "{field}: placeholder {{{{{inside}}}}} must be a number from 1, like {{{{1}}}}"
            ))
        })?;
        if !seen.contains(&n) {
            seen.push(n);
        }
        rest = &after[end + 2..];
    }
    seen.sort_unstable();
    if seen.iter().enumerate().any(|(i, n)| *n != i + 1) {
        return Err(Error::invalid(format!(
            "{field}: placeholders must be numbered {{{{1}}}}, {{{{2}}}}, … without gaps"
        )));
    }
    Ok(seen.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_counted_and_must_run_from_one() {
        assert_eq!(
            placeholders("body", "Hi {{1}}, your order {{2}} ships today").unwrap(),
            2
        );
        assert_eq!(
            placeholders("body", "{{1}} and {{1}} again, {{ 2 }}").unwrap(),
            2
        );
        assert_eq!(
            placeholders("body", "no placeholders, {single} braces").unwrap(),
            0
        );
        for (bad, expected) in [
            ("{{2}} only", "without gaps"),
            ("{{1}} {{3}}", "without gaps"),
            ("{{name}}", "must be a number"),
            ("{{0}}", "must be a number"),
            ("open {{1", "not closed"),
        ] {
            let err = placeholders("body", bad).unwrap_err().message;
            assert!(
                err.starts_with("body: ") && err.contains(expected),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn the_contract_example_parses() {
        let body: TemplateBody = serde_json::from_value(serde_json::json!({
            "name": "order_update", "language": "en_US", "category": "utility",
            "header": {"type": "TEXT", "text": "Order {{1}}"},
            "body": "Hi {{1}}, your order {{2}} ships today", "footer": "Thanks",
            "buttons": [{"type": "URL", "text": "Track", "url": "https://example.com/t/{{1}}"},
                        {"type": "QUICK_REPLY", "text": "Stop"}]
        }))
        .unwrap();
        let t = Template::parse(body).unwrap();
        assert_eq!(t.category.as_deref(), Some("UTILITY"));
        assert_eq!(
            t.placeholders(),
            Placeholders {
                header: 1,
                body: 2,
                buttons: vec![1, 0]
            }
        );
    }

    #[test]
    fn names_languages_and_parts_are_checked() {
        let base = || serde_json::json!({"name": "hello", "language": "en", "body": "Hi"});
        let cases = [
            (
                serde_json::json!({"name": "Hello World"}),
                "name: use lowercase",
            ),
            (serde_json::json!({"language": "english"}), "language:"),
            (serde_json::json!({"language": "en_us"}), "language:"),
            (
                serde_json::json!({"category": "spam"}),
                "category: expected one of",
            ),
            (
                serde_json::json!({"header": {"type": "AUDIO"}}),
                "header.type:",
            ),
            (
                serde_json::json!({"header": {"type": "TEXT"}}),
                "header.text: a TEXT header needs",
            ),
            (
                serde_json::json!({"header": {"type": "TEXT", "text": "{{1}} {{2}}"}}),
                "header.text: a header takes at most one",
            ),
            (serde_json::json!({"body": ""}), "body: must not be empty"),
            (
                serde_json::json!({"body": "x".repeat(MAX_BODY + 1)}),
                "body: must be at most",
            ),
            (
                serde_json::json!({"footer": "Bye {{1}}"}),
                "footer: a footer takes no placeholders",
            ),
            (
                serde_json::json!({"buttons": [{"type": "URL", "text": "Go"}]}),
                "buttons[0].url: a URL button needs",
            ),
            (
                serde_json::json!({"buttons": [{"type": "URL", "text": "Go", "url": "ftp://x"}]}),
                "buttons[0].url: must start with",
            ),
            (
                serde_json::json!({"buttons": [{"type": "CALL", "text": "Go"}]}),
                "buttons[0].type:",
            ),
            (
                serde_json::json!({"buttons": [{"type": "PHONE_NUMBER", "text": "Call"}]}),
                "buttons[0].phoneNumber:",
            ),
        ];
        for (patch, expected) in cases {
            let mut body = base();
            for (k, v) in patch.as_object().unwrap() {
                body[k] = v.clone();
            }
            let err = Template::parse(serde_json::from_value(body.clone()).unwrap())
                .unwrap_err()
                .message;
            assert!(err.starts_with(expected), "{body}: {err}");
        }
    }
}
