//! The request bodies, as JSON Schema (OpenAPI 3.1), as strict as the server is: a body
//! these admit is accepted unless it breaks a rule its operation lists under
//! `x-rules-beyond-schema` (see `paths.rs`). Bounds come from the constants the checks use,
//! so the two cannot drift apart. The schemathesis run in CI checks both directions.

use super::beyond;
use crate::accounts::model::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
use crate::contacts::model as people;
use crate::fields::MAX_ID_DIGITS;
use crate::messages::{body as send, render};
use crate::segments::model as segments;
use crate::segments::rules;
use crate::templates::model as templates;
use crate::webhooks::model as webhooks;
use serde_json::{Map, Value, json};

/// One character of a text field: anything but a control character (tab and newline
/// are allowed), as [`crate::fields::text`] checks.
const PRINTABLE: &str = r"[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]";
/// One character that is neither a control character nor white space.
const VISIBLE: &str = r"[^\s\u0000-\u001F\u007F-\u009F]";

/// Text as [`crate::fields::text`] takes it: at least one visible character, no control
/// characters, at most `max` characters.
pub fn text(max: usize) -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": max,
           "pattern": format!("^{PRINTABLE}*{VISIBLE}{PRINTABLE}*$")})
}

/// [`text`], or `null`.
pub fn text_or_null(max: usize) -> Value {
    or_null(text(max))
}

pub fn or_null(mut schema: Value) -> Value {
    let kind = schema["type"].as_str().expect("a single type").to_string();
    schema["type"] = json!([kind, "null"]);
    schema
}

/// One of `words`, in any case, with white space around it allowed.
fn any_case(words: &[&str]) -> Value {
    let alternatives: Vec<String> = words
        .iter()
        .map(|w| {
            w.chars()
                .map(|c| match (c.to_ascii_lowercase(), c.to_ascii_uppercase()) {
                    (l, u) if l != u => format!("[{u}{l}]"),
                    _ => regex_escape(c),
                })
                .collect()
        })
        .collect();
    json!({"type": "string", "pattern": format!(r"^\s*(?:{})\s*$", alternatives.join("|")),
           "description": format!("One of {}, in any case.", words.join(", "))})
}

fn regex_escape(c: char) -> String {
    if c.is_ascii_alphanumeric() || c == '_' {
        c.to_string()
    } else {
        format!("\\{c}")
    }
}

/// Ids in bodies: a positive integer, or its digits as a string.
pub fn id() -> Value {
    let more = MAX_ID_DIGITS - 1;
    json!({"type": ["integer", "string"], "minimum": 1, "maximum": i64::MAX,
           "pattern": format!(r"^\s*\+?0*[1-9][0-9]{{0,{more}}}\s*$")})
}

/// `{"id": …}`.
pub fn id_ref() -> Value {
    json!({"type": "object", "required": ["id"], "properties": {"id": id()}})
}

/// `{"id": …}` or `null`.
fn id_ref_or_null() -> Value {
    json!({"type": ["object", "null"], "required": ["id"], "properties": {"id": id()}})
}

fn list_of(items: Value, max: usize) -> Value {
    json!({"type": "array", "items": items, "maxItems": max})
}

fn list_or_null(items: Value, max: usize) -> Value {
    or_null(list_of(items, max))
}

/// An http(s) URL, as `messages::body::http_url` reads one.
pub fn http_url(max: usize) -> Value {
    let mut schema = text(max);
    schema["pattern"] = json!(format!(r"^\s*[Hh][Tt][Tt][Pp][Ss]?://{PRINTABLE}*$"));
    schema
}

fn url_or_null(max: usize) -> Value {
    or_null(http_url(max))
}

/// A MIME type, as `messages::body::mime_type` reads one.
pub fn mime_type() -> Value {
    json!({"type": "string", "pattern":
        r"^\s*(?:[Aa][Pp][Pp][Ll][Ii][Cc][Aa][Tt][Ii][Oo][Nn]|[Aa][Uu][Dd][Ii][Oo]|[Ff][Oo][Nn][Tt]|[Ii][Mm][Aa][Gg][Ee]|[Mm][Ee][Ss][Ss][Aa][Gg][Ee]|[Mm][Oo][Dd][Ee][Ll]|[Mm][Uu][Ll][Tt][Ii][Pp][Aa][Rr][Tt]|[Tt][Ee][Xx][Tt]|[Vv][Ii][Dd][Ee][Oo])/[A-Za-z0-9!#$&^_.+-]{1,127}\s*$"})
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "required": required, "properties": properties})
}

/// Event types to send, or `["*"]` for all.
fn events() -> Value {
    let mut names: Vec<&str> = webhooks::EVENT_TYPES.to_vec();
    names.push(webhooks::ALL);
    json!({"type": "array", "minItems": 1, "items": {"enum": names},
           "description": "Event types, or [\"*\"] alone for every one."})
}

/// A custom attribute's value; `null` removes it.
fn attribute_value() -> Value {
    json!({"anyOf": [
        {"type": "string", "maxLength": people::MAX_ATTRIBUTE_TEXT},
        {"type": "number"}, {"type": "boolean"}, {"type": "null"}]})
}

fn person_input() -> Value {
    let name = || text_or_null(people::MAX_NAME);
    let channel_id = || text_or_null(people::MAX_CHANNEL_ID);
    json!({
        "type": "object",
        "description": "Every field is optional; on PUT only the fields sent change, and null clears one. \
            phoneNumber is normalised to E.164; attributes merge, and null removes one.",
        "properties": {
            "name": name(), "firstName": name(), "lastName": name(),
            "phoneNumber": {"type": ["string", "null"], "maxLength": 64},
            "email": {"type": ["string", "null"], "maxLength": people::MAX_EMAIL, "format": "email"},
            "externalId": text_or_null(people::MAX_EXTERNAL_ID),
            "gender": or_null(any_case(&["Male", "Female", "Other"])),
            "birthDate": {"type": ["string", "null"], "pattern": r"^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}\s*$",
                          "description": "YYYY-MM-DD, between 1900-01-01 and today."},
            "contactStage": text_or_null(people::MAX_STAGE),
            "channel": or_null(any_case(&people::CHANNELS)),
            "channelIds": {"type": ["object", "null"], "properties": {
                "telegram": channel_id(), "instagram": channel_id(), "messenger": channel_id()}},
            "location": id_ref_or_null(),
            "tags": list_or_null(text(people::MAX_TAG), people::MAX_TAGS),
            "attributes": {"type": ["object", "null"],
                "propertyNames": text(people::MAX_ATTRIBUTE_NAME),
                "additionalProperties": attribute_value()},
            "optedOut": {"type": ["boolean", "null"]}
        }
    })
}

fn segment_input(name_required: bool) -> Value {
    let name = if name_required {
        text(segments::MAX_NAME)
    } else {
        text_or_null(segments::MAX_NAME)
    };
    let required: &[&str] = if name_required { &["name"] } else { &[] };
    let mut schema = object(
        required,
        json!({
            "name": name,
            "description": text_or_null(segments::MAX_DESCRIPTION),
            "type": or_null(any_case(&["contact", "client"])),
            "criteria": {"type": ["object", "null"], "description": "Whautomate's criteria: tags, exclusionTags, \
                gender, numberOfDaysLastActivity, ageFrom, ageTo, contactStage, primaryLocations."},
            "groups": groups(),
            "groupLogic": or_null(any_case(&["and", "or"])),
            "contactIds": list_or_null(id(), segments::MAX_CONTACT_IDS),
            "location": id_ref_or_null()
        }),
    );
    schema["description"] = json!(
        "criteria and/or groups make a dynamic segment, contactIds a static one. A rule is checked \
         before it is saved: a 400 names the place."
    );
    schema
}

/// Rule groups: each holds conditions `{attribute, operator, value}` and nested groups.
fn groups() -> Value {
    let group = json!({"type": "object", "required": ["conditions"], "properties": {
        "logic": or_null(any_case(&["and", "or"])),
        "conditions": {"type": "array", "minItems": 1, "maxItems": rules::MAX_CONDITIONS,
            "items": {"type": "object", "description":
                "A condition {attribute, operator, value}, or a nested group {logic, conditions}."}}}});
    let mut schema = list_or_null(group, rules::MAX_CONDITIONS);
    schema["minItems"] = json!(1);
    schema["description"] = json!(format!(
        "At most {} conditions in all, nested at most {} deep.",
        rules::MAX_CONDITIONS,
        rules::MAX_DEPTH
    ));
    schema
}

/// Wati's groups: an empty list is as good as none.
fn wati_groups() -> Value {
    let mut schema = groups();
    schema
        .as_object_mut()
        .expect("an object")
        .remove("minItems");
    schema
}

fn template_input(new: bool) -> Value {
    let must = |schema: Value| if new { schema } else { or_null(schema) };
    let mut name = text(templates::MAX_NAME);
    name["pattern"] = json!(r"^\s*[a-z0-9_]+\s*$");
    let language = json!({"type": "string", "maxLength": 15,
                          "pattern": r"^\s*[a-z]{2,3}(?:_[A-Z]{2})?\s*$"});
    let required: &[&str] = if new {
        &["name", "language", "body"]
    } else {
        &[]
    };
    object(
        required,
        json!({
            "name": must(name), "language": must(language),
            "category": or_null(any_case(&templates::CATEGORIES)),
            "header": {"type": ["object", "null"], "required": ["type"], "properties": {
                "type": any_case(&templates::HEADER_TYPES),
                "text": {"type": ["string", "null"]}}},
            "body": must(text(templates::MAX_BODY)),
            "footer": text_or_null(templates::MAX_FOOTER),
            "buttons": list_or_null(object(&["type", "text"], json!({
                "type": any_case(&templates::BUTTON_TYPES), "text": text(templates::MAX_BUTTON_TEXT),
                "url": {"type": ["string", "null"]}, "phoneNumber": {"type": ["string", "null"]}})),
                templates::MAX_BUTTONS)
        }),
    )
}

fn parameters() -> Value {
    list_or_null(text(render::MAX_PARAMETER), render::MAX_PARAMETERS)
}

fn template_name() -> Value {
    json!({"type": ["object", "null"], "properties": {
        "name": text_or_null(512), "language": text_or_null(16)}})
}

fn recipient() -> Value {
    json!({"type": ["object", "null"], "properties": {
        "phoneNumber": {"type": ["string", "null"]}, "name": text_or_null(people::MAX_NAME)}})
}

fn send_input() -> Value {
    let button = json!({"type": "object", "properties": {
        "type": {"type": ["string", "null"]}, "title": {"type": ["string", "null"]},
        "payload": {"type": ["string", "null"]}, "url": {"type": ["string", "null"]}}});
    json!({
        "type": "object",
        "description": "Give exactly one of contact, client or recepient (recipient is accepted too). sendtext \
            takes textMessage; sendmedia mediaUrl, mimeType and a caption (not on audio); sendtemplate on WhatsApp a registered template \
            and its parameters, on Telegram textMessage with headerType and buttons, on Instagram and \
            Messenger elements.",
        "properties": {
            "contact": id_ref_or_null(), "client": id_ref_or_null(),
            "recepient": recipient(), "recipient": recipient(),
            "scheduleDateTime": {"type": ["string", "null"], "format": "date-time"},
            "location": id_ref_or_null(),
            "textMessage": text_or_null(send::MAX_TEXT),
            "mediaUrl": url_or_null(send::MAX_URL),
            "mimeType": or_null(mime_type()),
            "caption": text_or_null(send::MAX_CAPTION),
            "template": template_name(),
            "headerMediaUrl": url_or_null(send::MAX_URL),
            "headerTextParameters": parameters(), "bodyTextParameters": parameters(),
            "buttonUrlParameters": parameters(),
            "locationParameters": {"type": ["object", "null"]}, "flowParameters": {},
            "headerType": {"type": ["string", "null"]},
            "buttons": list_or_null(button.clone(), render::MAX_TELEGRAM_BUTTONS),
            "elements": list_or_null(json!({"type": "object", "properties": {
                "title": {"type": ["string", "null"]}, "subtitle": {"type": ["string", "null"]},
                "image_url": {"type": ["string", "null"]}, "default_action": {"type": ["object", "null"]},
                "buttons": list_or_null(button, render::MAX_ELEMENT_BUTTONS)}}), render::MAX_ELEMENTS)
        }
    })
}

fn receive_input() -> Value {
    json!({
        "type": "object",
        "description": "Exactly one of contact, client or sender; textMessage, or mediaUrl with mimeType.",
        "properties": {
            "contact": id_ref_or_null(), "client": id_ref_or_null(),
            "sender": {"type": ["object", "null"], "properties": {
                "phoneNumber": {"type": ["string", "null"]},
                "channelUserId": text_or_null(people::MAX_CHANNEL_ID),
                "name": text_or_null(people::MAX_NAME)}},
            "textMessage": text_or_null(send::MAX_TEXT),
            "mediaUrl": url_or_null(send::MAX_URL),
            "mimeType": {"type": ["string", "null"]}
        }
    })
}

fn broadcast_input() -> Value {
    object(
        &["name", "segment", "channel"],
        json!({
            "name": text(crate::broadcasts::model::MAX_NAME),
            "segment": id_ref(),
            "channel": any_case(&people::CHANNELS),
            "template": template_name(),
            "headerTextParameters": parameters(), "bodyTextParameters": parameters(),
            "buttonUrlParameters": parameters(),
            "headerMediaUrl": url_or_null(send::MAX_URL),
            "textMessage": text_or_null(send::MAX_TEXT),
            "scheduleDateTime": {"type": ["string", "null"], "format": "date-time"}
        }),
    )
}

fn segmenter_input(new: bool) -> Value {
    let (name, required): (Value, &[&str]) = if new {
        (text(segments::MAX_NAME), &["name"])
    } else {
        (text_or_null(segments::MAX_NAME), &[])
    };
    let person = json!({"type": "object", "properties": {
        "externalId": text_or_null(people::MAX_EXTERNAL_ID),
        "firstName": text_or_null(people::MAX_NAME), "lastName": text_or_null(people::MAX_NAME),
        "phone": {"type": ["string", "null"]}, "phoneNumber": {"type": ["string", "null"]},
        "email": {"type": ["string", "null"]},
        "substitutionTags": {"type": "array", "items": object(&["tag", "value"], json!({
            "tag": text(people::MAX_ATTRIBUTE_NAME),
            "value": attribute_value()}))}}});
    object(
        required,
        json!({
            "name": name,
            "description": text_or_null(segments::MAX_DESCRIPTION),
            "broadcastMediumId": {}, "segmentType": {},
            "TagId": {"type": ["string", "number", "null"]},
            "filters": {"type": ["array", "null"], "items": {"type": "object"}},
            "persons": list_or_null(person, segments::MAX_CONTACT_IDS)
        }),
    )
}

pub fn all() -> Map<String, Value> {
    let schemas = json!({
        "PersonInput": person_input(),
        "Tags": object(&["tags"], json!({"tags": list_of(text(people::MAX_TAG), people::MAX_TAGS)})),
        "LocationInput": object(&["title"], json!({"title": text(crate::locations::MAX_TITLE)})),
        "SegmentInput": segment_input(true),
        "SegmentChanges": segment_input(false),
        "Members": object(&["contactIds"], json!({"contactIds": list_of(id(), segments::MAX_CONTACT_IDS)})),
        "TemplateInput": template_input(true),
        "TemplateChanges": template_input(false),
        "SendInput": send_input(),
        "ReceiveInput": receive_input(),
        "BroadcastInput": broadcast_input(),
        "ChannelInput": {
            "type": "object",
            "properties": beyond::CHANNEL_SETTINGS.iter()
                .map(|(name, _)| (name.to_string(), match name.ends_with("Id") {
                    // Ids go into the provider's URL paths.
                    true => json!({"type": ["string", "null"], "pattern": "^[A-Za-z0-9_-]{1,64}$"}),
                    false => text_or_null(crate::channels::model::MAX_VALUE),
                }))
                .collect::<Map<String, Value>>(),
            "additionalProperties": false,
            "description": "WhatsApp: phoneNumberId, accessToken, appSecret, verifyToken, wabaId. Telegram: botToken, \
                webhookSecret. Messenger: pageId, pageAccessToken, appSecret, verifyToken. Instagram: accountId, \
                pageAccessToken, appSecret, verifyToken. A field given replaces, null removes. The provider's \
                address is the operator's setting (--provider-url)."
        },
        "WatiSegmentInput": object(&["name", "refreshType"], json!({
            "name": text(segments::MAX_NAME),
            "refreshType": {"enum": [1, 2], "description": "1: static, 2: dynamic."},
            "groups": wati_groups(),
            "contactIds": list_or_null(id(), segments::MAX_CONTACT_IDS),
            "useUploadedContact": {"type": ["boolean", "null"]}
        })),
        "SegmenterInput": segmenter_input(true),
        "SegmenterChanges": segmenter_input(false),
        "WebhookInput": object(&["url", "events"], json!({
            "url": text(webhooks::MAX_URL), "events": events(),
            "description": text_or_null(webhooks::MAX_DESCRIPTION)})),
        "WebhookChanges": object(&[], json!({
            "url": text_or_null(webhooks::MAX_URL), "events": or_null(events()),
            "description": text_or_null(webhooks::MAX_DESCRIPTION),
            "enabled": {"type": ["boolean", "null"]}})),
        "ReplayInput": object(&["since"], json!({"since": {"type": "string", "format": "date-time"}})),
        "Credentials": object(&["email", "password"], json!({
            "email": {"type": "string", "maxLength": people::MAX_EMAIL},
            "password": {"type": "string", "maxLength": MAX_PASSWORD_CHARS}})),
        "NewAccount": object(&["email", "password"], json!({
            "email": {"type": "string", "minLength": 1, "maxLength": people::MAX_EMAIL, "format": "email"},
            "password": {"type": "string", "minLength": MIN_PASSWORD_CHARS, "maxLength": MAX_PASSWORD_CHARS}})),
        "NewKeyInput": object(&[], json!({"name": {"type": ["string", "null"],
            "maxLength": crate::auth::keys::MAX_NAME_CHARS}}))
    });
    match schemas {
        Value::Object(map) => map,
        _ => unreachable!("an object literal"),
    }
}
