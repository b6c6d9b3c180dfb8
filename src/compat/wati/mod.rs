//! Wati's v1 API (`/api/v1`, docs/wati.md): each route's request shapes mapped onto the
//! core's types, and the core's answers rendered in Wati's shapes. Liberal in what it reads
//! (query or body, numbers with or without `+`, lists sent as JSON strings, missing or zero
//! paging), exact in what it writes. Pure: no SQL, no HTTP; the handlers are in
//! `http::api::wati`.
//!
//! * `createCustomSegment` in [`segments`];
//! * `getContacts`, `addContact` and `updateContactAttributes` in [`contacts`];
//! * `getMessages` and `sendSessionMessage` in [`messages`];
//! * `getMessageTemplates` and `sendTemplateMessage` in [`templates`].

pub mod contacts;
pub mod messages;
pub mod segments;
pub mod templates;

use crate::error::Error;
use crate::fields::{DEFAULT_LIMIT, MAX_LIMIT, Page};
use serde::Deserialize;
use serde_json::{Value, json};

/// Every failure, in Wati's shape.
pub fn refused(message: &str) -> Value {
    json!({"result": false, "info": message})
}

/// A `whatsappNumber` as the core reads a phone: Wati's numbers carry their country code,
/// with or without `+`.
pub fn phone(raw: &str) -> String {
    let raw = raw.trim();
    match raw.strip_prefix('+') {
        Some(_) => raw.to_string(),
        None => format!("+{raw}"),
    }
}

/// A phone as Wati shows it (`wAid`, `phone`): digits only, country code first.
pub fn wa_id(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

/// Wati's paging, from the query or the body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Paging {
    page_size: Option<Value>,
    page_number: Option<Value>,
}

/// A page as asked: its size and number (from 1), and the core's page.
#[derive(Debug, Clone, Copy)]
pub struct Asked {
    pub size: u32,
    pub number: u32,
    pub page: Page,
}

impl Paging {
    /// Missing or zero is the first page of twenty; a size over the core's cap is the cap.
    pub fn asked(&self) -> Result<Asked, Error> {
        let size = whole("pageSize", self.page_size.as_ref())?
            .map_or(DEFAULT_LIMIT, |n| n.clamp(1, MAX_LIMIT));
        let number = whole("pageNumber", self.page_number.as_ref())?.map_or(1, |n| n.max(1));
        Ok(Asked {
            size,
            number,
            page: Page::new(Some(size), Some(number))?,
        })
    }
}

/// A whole number sent as a number or a string; empty or zero is none.
fn whole(field: &str, value: Option<&Value>) -> Result<Option<u32>, Error> {
    let n = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
        Some(_) => None,
    };
    let n = n.and_then(|n| u32::try_from(n).ok()).ok_or_else(|| {
        Error::invalid(format!(
            "{field}: expected a whole number up to {}",
            u32::MAX
        ))
    })?;
    Ok((n > 0).then_some(n))
}

/// The `link` of a page: where it is and where the next and previous are (page numbers,
/// null at either end).
pub fn link(asked: Asked, total: i64) -> Value {
    let last = (total.max(0) as u64).div_ceil(u64::from(asked.size)).max(1);
    let number = u64::from(asked.number);
    json!({
        "pageNumber": asked.number,
        "pageSize": asked.size,
        "total": total,
        "prevPage": (number > 1).then(|| (number - 1).min(last)),
        "nextPage": (number < last).then_some(number + 1),
    })
}

/// A list sent as a JSON array, or as a string holding one (as some clients send
/// `customParams` and `parameters`).
pub fn list(field: &str, value: Option<Value>) -> Result<Vec<Value>, Error> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(Vec::new()),
        Some(Value::String(s)) => match serde_json::from_str(&s) {
            Ok(Value::Array(items)) => Ok(items),
            _ => Err(Error::invalid(format!(
                "{field}: expected a list (or a string holding a JSON list)"
            ))),
        },
        Some(_) => Err(Error::invalid(format!("{field}: expected a list"))),
    }
}

/// Pairs one list may hold, and the longest name and text value of a pair (those of a
/// custom attribute).
pub const MAX_PAIRS: usize = 64;
pub const MAX_PAIR_NAME: usize = crate::contacts::model::MAX_ATTRIBUTE_NAME;
pub const MAX_PAIR_TEXT: usize = crate::contacts::model::MAX_ATTRIBUTE_TEXT;

/// `customParams` or `parameters`: `{name, value}` pairs, at most [`MAX_PAIRS`], each value
/// text, a number or true/false (left out, it is none).
pub fn pairs(field: &str, value: Option<Value>) -> Result<Vec<(String, Value)>, Error> {
    let items = list(field, value)?;
    if items.len() > MAX_PAIRS {
        return Err(Error::invalid(format!(
            "{field}: at most {MAX_PAIRS} pairs"
        )));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let bad =
                |what: &str, why: String| Error::invalid(format!("{field}[{i}]{what}: {why}"));
            if !item.is_object() {
                return Err(bad("", "expected an object {name, value}".into()));
            }
            let name = item
                .get("name")
                .or_else(|| item.get("paramName"))
                .and_then(Value::as_str)
                .ok_or_else(|| bad(".name", "required".into()))?;
            let name = crate::fields::text(&format!("{field}[{i}].name"), name, MAX_PAIR_NAME)?;
            let value = match item.get("value") {
                None => Value::Null,
                Some(Value::String(s)) if s.chars().count() > MAX_PAIR_TEXT => {
                    return Err(bad(".value", format!("at most {MAX_PAIR_TEXT} characters")));
                }
                Some(v @ (Value::String(_) | Value::Number(_) | Value::Bool(_))) => v.clone(),
                Some(_) => {
                    return Err(bad(
                        ".value",
                        "expected text, a number or true/false".into(),
                    ));
                }
            };
            Ok((name, value))
        })
        .collect()
}

/// A value as Wati shows it: text.
pub fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(size: Value, number: Value) -> Result<Asked, Error> {
        Paging {
            page_size: Some(size),
            page_number: Some(number),
        }
        .asked()
    }

    #[test]
    fn paging_is_liberal_and_the_link_exact() {
        let first = asked(json!(0), json!("")).unwrap();
        assert_eq!((first.size, first.number), (DEFAULT_LIMIT, 1));
        let capped = asked(json!("100000"), json!("3")).unwrap();
        assert_eq!((capped.size, capped.number), (MAX_LIMIT, 3));
        for wrong in [json!("ten"), json!(4_294_967_296_u64), json!(-1)] {
            let err = asked(wrong, json!(1)).unwrap_err();
            assert!(err.message.starts_with("pageSize:"), "{}", err.message);
        }
        let second = asked(json!(10), json!(2)).unwrap();
        assert_eq!(second.page.offset, 10);
        assert_eq!(
            link(second, 25),
            json!({"pageNumber": 2, "pageSize": 10, "total": 25, "prevPage": 1, "nextPage": 3})
        );
        assert_eq!(link(second, 15)["nextPage"], Value::Null);
        assert_eq!(link(first, 0)["prevPage"], Value::Null);
    }

    #[test]
    fn numbers_lists_and_pairs_are_read_liberally() {
        assert_eq!(phone("919876543210"), "+919876543210");
        assert_eq!(phone(" +919876543210 "), "+919876543210");
        assert_eq!(wa_id("+91 98765 43210"), "919876543210");
        let sent = json!([{"name": "city", "value": "Pune"}]);
        let encoded = Value::String(sent.to_string());
        for value in [sent, encoded] {
            assert_eq!(
                pairs("customParams", Some(value)).unwrap(),
                [("city".to_string(), json!("Pune"))]
            );
        }
        for (wrong, field) in [
            (json!([{"value": "x"}]), "customParams[0].name: required"),
            (json!([[null, null]]), "customParams[0]: expected an object"),
            (
                json!([{"name": "n", "value": null}]),
                "customParams[0].value: expected",
            ),
            (
                json!([{"name": "x".repeat(65), "value": 1}]),
                "customParams[0].name: must be at most",
            ),
            (
                json!([{"name": " ", "value": 1}]),
                "customParams[0].name: must not be empty",
            ),
            (
                json!(vec![json!({"name": "n"}); MAX_PAIRS + 1]),
                "customParams: at most",
            ),
        ] {
            let err = pairs("customParams", Some(wrong)).unwrap_err();
            assert!(err.message.starts_with(field), "{}", err.message);
        }
        assert!(
            list("customParams", Some(json!("{")))
                .unwrap_err()
                .message
                .starts_with("customParams: expected a list")
        );
        assert_eq!(shown(&json!(7)), "7");
    }
}
