//! Wati's v1 API (`/api/v1`, docs/wati.md): its operations, request bodies and answers.
//! Every refusal is Wati's `{"result": false, "info"}`.

use super::beyond;
use super::inputs::{http_url, mime_type, or_null, text, text_or_null};
use super::paths::{Op, op};
use super::schemas::reference;
use crate::compat::wati::contacts::MAX_FILTER;
use crate::compat::wati::templates::{MAX_BROADCAST_NAME, MAX_RECEIVERS};
use crate::compat::wati::{MAX_PAIR_NAME, MAX_PAIR_TEXT, MAX_PAIRS};
use crate::contacts::model as people;
use crate::fields::MAX_LIMIT;
use crate::messages::body::{MAX_CAPTION, MAX_TEXT, MAX_URL};
use crate::segments::rules;
use serde_json::{Map, Value, json};

/// Every refusal a Wati route may give, in Wati's shape.
const REFUSALS: &[u16] = &[400, 401, 404, 409, 413, 429];

fn wati(method: &'static str, path: &str, summary: &str) -> Op {
    op(method, path, "Wati", summary).wati_refusals(REFUSALS)
}

/// `pageSize` and `pageNumber`: missing or zero is the first page of twenty.
fn paging(op: Op) -> Op {
    let whole = |max: u64| json!({"type": "integer", "minimum": 0, "maximum": max});
    op.query("pageSize", whole(u64::from(u32::MAX)))
        .query("pageNumber", whole(u64::from(u32::MAX)))
        .describe(&format!(
            "pageSize and pageNumber may be missing or 0 (the first page of 20); a pageSize over \
             {MAX_LIMIT} is {MAX_LIMIT}."
        ))
}

fn number() -> Value {
    json!({"type": "string", "pattern": r"^\+?[0-9]{6,15}$",
           "description": "The number with its country code, with or without +."})
}

/// An optional body: JSON here, or the same fields as a form.
fn optional_body(op: Op, schema: &str) -> Op {
    op.json_body(schema).optional_body()
}

/// A kept file's answer: served with its own type, each listed, and octet-stream for client
/// generators that know no other.
fn files() -> Value {
    let binary = json!({"schema": {"type": "string", "format": "binary"}});
    let mut content = Map::new();
    content.insert("application/octet-stream".into(), binary.clone());
    for mime in crate::media::model::mime_types() {
        content.insert(mime.into(), binary.clone());
    }
    Value::Object(content)
}

pub fn operations() -> Vec<Op> {
    vec![
        wati("post", "/api/v1/createCustomSegment", "Create a segment")
            .json_body("WatiSegmentInput")
            .ok_ref("WatiResult")
            .beyond(beyond::WATI_SEGMENT),
        paging(wati("get", "/api/v1/getContacts", "Contacts, oldest first"))
            .query("name", json!({"type": "string", "maxLength": rules::MAX_TEXT}))
            .query(
                "attribute",
                json!({"type": "string", "maxLength": MAX_FILTER,
                "description": "A JSON list of {name, operator, value}."}),
            )
            .query(
                "createdDate",
                json!({"type": "string",
                "pattern": r"^\s*([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{2}/[0-9]{2}/[0-9]{4})?\s*$",
                "description": "Contacts created that day (UTC): YYYY-MM-DD or MM/DD/YYYY; empty is no filter."}),
            )
            .ok_ref("WatiContacts")
            .beyond(beyond::WATI_FILTER),
        optional_body(
            wati(
                "post",
                "/api/v1/addContact/{whatsappNumber}",
                "Add or update the contact with this number",
            )
            .path("whatsappNumber", number()),
            "WatiContactInput",
        )
        .ok_ref("WatiContactAnswer")
        .beyond(beyond::WATI_CONTACT),
        optional_body(
            wati(
                "post",
                "/api/v1/updateContactAttributes/{whatsappNumber}",
                "Merge custom attributes",
            )
            .path("whatsappNumber", number()),
            "WatiAttributesInput",
        )
        .ok_ref("WatiAnswer")
        .describe("An unknown number answers 200 with {result: false, info}.")
        .beyond(beyond::WATI_CONTACT),
        paging(
            wati(
                "get",
                "/api/v1/getMessages/{whatsappNumber}",
                "The contact's messages, newest first",
            )
            .path("whatsappNumber", number()),
        )
        .ok_ref("WatiMessages")
        .beyond(beyond::WATI_NUMBER_ONLY),
        optional_body(
            wati(
                "post",
                "/api/v1/sendSessionMessage/{whatsappNumber}",
                "Send a text within the 24-hour window",
            )
            .path("whatsappNumber", number())
            .query("messageText", text(MAX_TEXT)),
            "WatiSessionInput",
        )
        .ok_ref("WatiMessageAnswer")
        .beyond(beyond::WATI_SESSION),
        optional_body(
            wati("post", "/api/v1/sendSessionFileViaUrl/{whatsappNumber}", "Send a file by its URL within the 24-hour window")
                .path("whatsappNumber", number())
                .query("url", http_url(MAX_URL))
                .query("caption", text(MAX_CAPTION))
                .query("mimeType", mime_type()),
            "WatiFileInput",
        )
        .ok_ref("WatiMessageAnswer")
        .beyond(beyond::WATI_FILE),
        wati("post", "/api/v1/sendSessionFile/{whatsappNumber}", "Upload a file and send it within the 24-hour window")
            .path("whatsappNumber", number())
            .query("caption", text(MAX_CAPTION))
            .multipart_file("The file (a part named file, or the first with a file name). A form field \
                caption may carry the caption instead of the query.")
            .ok_ref("WatiMessageAnswer")
            .beyond(beyond::WATI_UPLOAD),
        wati("get", "/api/v1/getMedia", "A file kept by sendSessionFile, as uploaded")
            .param("query", "fileName", json!({"type": "string", "minLength": 1, "maxLength": 64}), true)
            .answers(200, "The file, with its type and original name", files())
            .beyond(beyond::WATI_MEDIA),
        wati("post", "/api/v1/sendTemplateMessages", "Send a template to a list of numbers, as one broadcast")
            .json_body("WatiTemplatesInput")
            .ok_ref("WatiBroadcastAnswer")
            .beyond(beyond::WATI_TEMPLATES),
        wati("post", "/api/v1/sendTemplateMessageCSV", "Send a template to the numbers of a CSV file, as one broadcast")
            .param("query", "template_name", text(200), true)
            .query("broadcast_name", name_or_blank())
            .multipart_file("A CSV file: a header row, then a row per receiver.")
            .ok_ref("WatiBroadcastAnswer")
            .beyond(beyond::WATI_CSV),
        paging(wati("get", "/api/v1/getMessageTemplates", "Templates")).ok_ref("WatiTemplates"),
        optional_body(
            wati("post", "/api/v1/sendTemplateMessage", "Send a template").param(
                "query",
                "whatsappNumber",
                number(),
                true,
            ),
            "WatiTemplateInput",
        )
        .ok_ref("WatiTemplateAnswer")
        .beyond(beyond::WATI_TEMPLATE),
        optional_body(
            wati(
                "post",
                "/api/v1/sendTemplateMessage/{whatsappNumber}",
                "Send a template",
            )
            .path("whatsappNumber", number()),
            "WatiTemplateInput",
        )
        .ok_ref("WatiTemplateAnswer")
        .beyond(beyond::WATI_TEMPLATE),
    ]
}

fn nullable(kind: &str) -> Value {
    json!({"type": [kind, "null"]})
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "required": required, "properties": properties})
}

/// `customParams` or `parameters`: `{name, value}` pairs, or that list as a JSON string.
fn pairs() -> Value {
    let pair = object(
        &["name"],
        json!({"name": text(MAX_PAIR_NAME),
               "value": {"anyOf": [{"type": "string", "maxLength": MAX_PAIR_TEXT},
                                   {"type": "number"}, {"type": "boolean"}]}}),
    );
    json!({"anyOf": [{"type": "array", "maxItems": MAX_PAIRS, "items": pair},
                     {"type": "string", "description": "The list, JSON-encoded."},
                     {"type": "null"}]})
}

/// A broadcast's name; blank (or null) is none.
fn name_or_blank() -> Value {
    json!({"anyOf": [text(MAX_BROADCAST_NAME), {"type": "string", "pattern": r"^\s*$"}, {"type": "null"}]})
}

fn link() -> Value {
    object(
        &["pageNumber", "pageSize", "total", "prevPage", "nextPage"],
        json!({"pageNumber": {"type": "integer"}, "pageSize": {"type": "integer"},
               "total": {"type": "integer"}, "prevPage": nullable("integer"),
               "nextPage": nullable("integer")}),
    )
}

pub fn schemas() -> Map<String, Value> {
    let schemas = json!({
        "WatiContactInput": {"type": "object", "properties": {
            "name": text_or_null(people::MAX_NAME),
            "customParams": pairs()}},
        "WatiAttributesInput": {"type": "object", "required": ["customParams"], "properties": {
            "customParams": pairs()}},
        "WatiSessionInput": {"type": "object", "properties": {
            "messageText": text_or_null(MAX_TEXT)}},
        "WatiFileInput": {"type": "object", "properties": {
            "url": or_null(http_url(MAX_URL)), "caption": text_or_null(MAX_CAPTION),
            "mimeType": or_null(mime_type())}},
        "WatiTemplateInput": {"type": "object", "required": ["template_name"], "properties": {
            "template_name": text(200), "broadcast_name": name_or_blank(),
            "parameters": pairs()}},
        "WatiTemplatesInput": {"type": "object", "required": ["template_name", "receivers"], "properties": {
            "template_name": text(200), "broadcast_name": name_or_blank(),
            "receivers": {"anyOf": [
                {"type": "array", "minItems": 1, "maxItems": MAX_RECEIVERS, "items": object(&["whatsappNumber"],
                    json!({"whatsappNumber": {"type": "string"}, "customParams": pairs()}))},
                {"type": "string", "description": "The list, JSON-encoded."}]}}},
        "WatiBroadcastAnswer": object(&["result", "errors", "receivers"], json!({
            "result": {"type": "boolean", "description": "Whether any receiver got a message."},
            "errors": {"type": "array", "items": {"type": "string"}},
            "receivers": {"type": "array", "items": object(
                &["waId", "localMessageId", "isValidWhatsAppNumber", "errors"],
                json!({"waId": {"type": "string"}, "localMessageId": nullable("string"),
                       "isValidWhatsAppNumber": {"type": "boolean"},
                       "errors": {"type": "array", "items": {"type": "string"}}}))}})),
        "WatiAnswer": object(&["result"], json!({"result": {"type": "boolean"}, "info": {"type": "string"}})),
        "WatiContact": object(
            &["id", "wAid", "firstName", "fullName", "phone", "contactStatus", "created", "lastUpdated",
              "optedIn", "customParams"],
            json!({"id": {"type": "string"}, "wAid": nullable("string"), "firstName": nullable("string"),
                   "fullName": nullable("string"), "phone": nullable("string"),
                   "contactStatus": {"enum": ["VALID", "INVALID"]}, "source": {"type": "null"},
                   "created": {"type": "string"}, "lastUpdated": {"type": "string"},
                   "optedIn": {"type": "boolean"},
                   "customParams": {"type": "array", "items": object(&["name", "value"],
                       json!({"name": {"type": "string"}, "value": {"type": "string"}}))}})),
        "WatiContacts": object(&["result", "contact_list", "link"], json!({
            "result": {"const": "success"},
            "contact_list": {"type": "array", "items": reference("WatiContact")}, "link": link()})),
        "WatiContactAnswer": object(&["result", "contact"], json!({
            "result": {"const": true}, "contact": reference("WatiContact")})),
        "WatiMessage": object(
            &["id", "created", "text", "type", "owner", "statusString", "eventType", "localMessageId", "data"],
            json!({"id": {"type": "string"}, "created": nullable("string"), "text": nullable("string"),
                   "type": {"type": "string"}, "owner": {"type": "boolean"},
                   "statusString": {"enum": ["SCHEDULED", "PENDING", "SENT", "DELIVERED", "READ", "FAILED",
                                             "RECEIVED", "CANCELLED", "UNKNOWN"]},
                   "eventType": {"enum": ["message", "broadcastMessage"]},
                   "localMessageId": {"type": "string"}, "data": nullable("string")})),
        "WatiMessages": object(&["result", "messages", "link"], json!({
            "result": {"const": "success"},
            "messages": object(&["items", "total"], json!({
                "items": {"type": "array", "items": reference("WatiMessage")}, "total": {"type": "integer"}})),
            "link": link()})),
        "WatiMessageAnswer": object(&["result", "message"], json!({
            "result": {"const": true}, "message": reference("WatiMessage")})),
        "WatiTemplate": object(
            &["id", "elementName", "status", "language", "body", "customParams", "lastModified"],
            json!({"id": {"type": "string"}, "elementName": {"type": "string"}, "category": nullable("string"),
                   "status": {"const": "APPROVED"}, "language": {"type": "string"}, "body": {"type": "string"},
                   "bodyOriginal": {"type": "string"}, "header": {"type": ["object", "null"]},
                   "footer": nullable("string"), "buttons": {"type": "array", "items": {"type": "object"}},
                   "customParams": {"type": "array", "items": object(&["paramName"],
                       json!({"paramName": {"type": "string"}}))},
                   "lastModified": {"type": "string"}})),
        "WatiTemplates": object(&["result", "messageTemplates", "link"], json!({
            "result": {"const": "success"},
            "messageTemplates": {"type": "array", "items": reference("WatiTemplate")}, "link": link()})),
        "WatiTemplateAnswer": object(
            &["result", "phone_number", "template_name", "validWhatsAppNumber", "message"],
            json!({"result": {"const": true}, "phone_number": {"type": "string"},
                   "template_name": {"type": "string"}, "broadcast_name": nullable("string"),
                   "validWhatsAppNumber": {"type": "boolean"}, "message": reference("WatiMessage")})),
    });
    match schemas {
        Value::Object(map) => map,
        _ => unreachable!("a JSON object"),
    }
}
