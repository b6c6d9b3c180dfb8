//! Per-account channel settings: which fields each provider needs, which are secrets
//! (write-only: stored, never shown), and how a `PUT` merges into what is stored.
//! No SQL, no HTTP.

use crate::error::Error;
use crate::fields::text;
use crate::messages::model::Channel;
use serde_json::{Map, Value, json};

pub struct Field {
    pub name: &'static str,
    pub secret: bool,
    pub required: bool,
}

const fn field(name: &'static str, secret: bool, required: bool) -> Field {
    Field {
        name,
        secret,
        required,
    }
}

pub const MAX_VALUE: usize = 2000;

const WHATSAPP: &[Field] = &[
    field("phoneNumberId", false, true),
    field("accessToken", true, true),
    field("appSecret", true, false),
    field("verifyToken", true, false),
    // The WhatsApp Business Account: its templates are synced, and its template status
    // webhooks applied.
    field("wabaId", false, false),
];
const TELEGRAM: &[Field] = &[
    field("botToken", true, true),
    field("webhookSecret", true, false),
];
const MESSENGER: &[Field] = &[
    field("pageId", false, true),
    field("pageAccessToken", true, true),
    field("appSecret", true, false),
    field("verifyToken", true, false),
];
const INSTAGRAM: &[Field] = &[
    field("accountId", false, true),
    field("pageAccessToken", true, true),
    field("appSecret", true, false),
    field("verifyToken", true, false),
];

/// The settings a channel takes.
pub fn fields(channel: Channel) -> &'static [Field] {
    match channel {
        Channel::WhatsApp => WHATSAPP,
        Channel::Telegram => TELEGRAM,
        Channel::Messenger => MESSENGER,
        Channel::Instagram => INSTAGRAM,
    }
}

/// Applies a `PUT` body to the stored settings: a field given replaces, `null` removes, an
/// absent one stays. Unknown fields are refused; required ones must be set afterwards.
/// `apiBaseUrl`, which older versions stored per account, is refused and dropped.
pub fn merge(
    channel: Channel,
    mut stored: Map<String, Value>,
    body: Map<String, Value>,
) -> Result<Map<String, Value>, Error> {
    stored.retain(|name, _| fields(channel).iter().any(|f| f.name == name));
    for (name, value) in body {
        if name == "apiBaseUrl" {
            return Err(Error::invalid(
                "apiBaseUrl: the provider's address is the server operator's setting \
                 (--provider-url), not an account's",
            ));
        }
        if !fields(channel).iter().any(|f| f.name == name) {
            let names: Vec<&str> = fields(channel).iter().map(|f| f.name).collect();
            return Err(Error::invalid(format!(
                "{name}: not a {} setting (expected {})",
                channel.as_str(),
                names.join(", ")
            )));
        }
        match value {
            Value::Null => {
                stored.remove(&name);
            }
            // An id goes into the provider's URL paths: nothing there may step out of one.
            Value::String(s) if name.ends_with("Id") && !is_id(&s) => {
                return Err(Error::invalid(format!(
                    "{name}: 1 to 64 letters, digits, _ or - (an id as the provider shows it)"
                )));
            }
            Value::String(s) => {
                stored.insert(name.clone(), Value::String(text(&name, &s, MAX_VALUE)?));
            }
            _ => return Err(Error::invalid(format!("{name}: expected a string"))),
        }
    }
    if let Some(missing) = fields(channel)
        .iter()
        .find(|f| f.required && !stored.contains_key(f.name))
    {
        return Err(Error::invalid(format!(
            "{}: required for {}",
            missing.name,
            channel.as_str()
        )));
    }
    Ok(stored)
}

fn is_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The settings as the API shows them: secrets only as `<name>Set: true|false`.
pub fn view(channel: Channel, stored: Option<&Map<String, Value>>) -> Value {
    let empty = Map::new();
    let stored = stored.unwrap_or(&empty);
    let mut view = json!({
        "channel": channel.as_str(),
        "configured": !stored.is_empty(),
        "transport": if stored.is_empty() { "sandbox" } else { "provider" },
    });
    for f in fields(channel) {
        if f.secret {
            view[format!("{}Set", f.name)] = json!(stored.contains_key(f.name));
        } else {
            view[f.name] = stored.get(f.name).cloned().unwrap_or(Value::Null);
        }
    }
    view
}

/// The id our side has at the provider: the WhatsApp phone number id, the Facebook page,
/// the Instagram account. Telegram's bot is named by its token instead.
pub fn sender_id(channel: Channel, stored: &Map<String, Value>) -> Option<&str> {
    match channel {
        Channel::WhatsApp => get(stored, "phoneNumberId"),
        Channel::Messenger => get(stored, "pageId"),
        Channel::Instagram => get(stored, "accountId"),
        Channel::Telegram => None,
    }
}

/// A stored setting as text.
pub fn get<'a>(stored: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    stored.get(name).and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn secrets_are_written_never_shown() {
        let stored = merge(
            Channel::WhatsApp,
            Map::new(),
            map(json!({"phoneNumberId": "1055", "accessToken": "EAAG-secret"})),
        )
        .unwrap();
        let view = view(Channel::WhatsApp, Some(&stored));
        assert_eq!(view["phoneNumberId"], "1055");
        assert_eq!(view["accessTokenSet"], true);
        assert_eq!(view["appSecretSet"], false);
        assert!(!view.to_string().contains("EAAG-secret"));
    }

    #[test]
    fn merges_keep_what_is_absent_and_check_what_is_given() {
        let stored = merge(
            Channel::Telegram,
            Map::new(),
            map(json!({"botToken": "123:abc"})),
        )
        .unwrap();
        let stored = merge(
            Channel::Telegram,
            stored,
            map(json!({"webhookSecret": "s3"})),
        )
        .unwrap();
        assert_eq!(get(&stored, "botToken"), Some("123:abc"));
        for (body, field) in [
            (json!({"botToken": null}), "botToken: required"),
            (json!({"pageId": "1"}), "pageId: not a telegram setting"),
            (json!({"botToken": 5}), "botToken: expected a string"),
            (
                json!({"apiBaseUrl": "http://127.0.0.1:9"}),
                "apiBaseUrl: the provider's address is the server operator's",
            ),
        ] {
            let err = merge(Channel::Telegram, stored.clone(), map(body.clone()))
                .unwrap_err()
                .message;
            assert!(err.starts_with(field), "{body}: {err}");
        }
        assert_eq!(view(Channel::Telegram, None)["transport"], "sandbox");
    }

    #[test]
    fn an_address_stored_by_an_older_version_is_dropped_at_the_next_change() {
        let legacy = map(json!({"botToken": "123:abc", "apiBaseUrl": "http://169.254.169.254"}));
        let stored = merge(
            Channel::Telegram,
            legacy,
            map(json!({"webhookSecret": "s"})),
        )
        .unwrap();
        assert_eq!(
            stored,
            map(json!({"botToken": "123:abc", "webhookSecret": "s"}))
        );
    }
}
