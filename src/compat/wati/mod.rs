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

/// A `{name, value}` pair of `customParams` or `parameters`; a value that is not text is
/// kept as it came.
pub fn pairs(field: &str, value: Option<Value>) -> Result<Vec<(String, Value)>, Error> {
    list(field, value)?
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let name = item
                .get("name")
                .or_else(|| item.get("paramName"))
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .ok_or_else(|| Error::invalid(format!("{field}[{i}].name: required")))?;
            let value = item.get("value").cloned().unwrap_or(Value::Null);
            Ok((name.to_string(), value))
        })
        .collect()
}

/// A value as Wati shows it: text.
pub fn text(value: &Value) -> String {
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
        assert!(
            pairs("customParams", Some(json!([{"value": "x"}])))
                .unwrap_err()
                .message
                .starts_with("customParams[0].name")
        );
        assert!(
            list("customParams", Some(json!("{")))
                .unwrap_err()
                .message
                .starts_with("customParams: expected a list")
        );
        assert_eq!(text(&json!(7)), "7");
    }
}
