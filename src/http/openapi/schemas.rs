//! The answers' bodies, as JSON Schema (OpenAPI 3.1). Request bodies are in `inputs.rs`.

use serde_json::{Map, Value, json};

pub fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn nullable(kind: &str) -> Value {
    json!({"type": [kind, "null"]})
}

fn strings() -> Value {
    json!({"type": "array", "items": {"type": "string"}})
}

fn objects() -> Value {
    json!({"type": ["array", "null"], "items": {"type": "object"}})
}

/// An event webhook as answers show it; `with_secret` for the answers that show its secret.
fn webhook(with_secret: bool) -> Value {
    let mut required = vec!["id", "url", "events", "enabled", "createdAt"];
    let mut properties = json!({
        "id": {"type": "string"}, "url": {"type": "string"}, "events": strings(),
        "description": nullable("string"), "enabled": {"type": "boolean"},
        "disabledReason": {"type": ["string", "null"], "description": "Why it was disabled: by the account, \
            a 410 Gone from the receiver, or every delivery failing for 5 days."},
        "failingSince": time(), "createdAt": time(), "updatedAt": time()
    });
    if with_secret {
        required.push("secret");
        properties["secret"] = json!({"type": "string", "description": "whsec_ and base64 of 32 random bytes: \
            shown only in this answer."});
        properties["previousSecretExpiresAt"] = time();
    }
    json!({"type": "object", "required": required, "properties": properties})
}

fn time() -> Value {
    json!({"type": ["string", "null"], "format": "date-time"})
}

/// Every schema: the answers' and the request bodies'.
pub fn all() -> Value {
    let mut schemas = answers();
    schemas.extend(super::inputs::all());
    schemas.extend(super::wati::schemas());
    Value::Object(schemas)
}

fn answers() -> Map<String, Value> {
    let schemas = json!({
        "Error": {
            "type": "object", "required": ["statusCode", "error", "message"],
            "properties": {"statusCode": {"type": "integer"}, "error": {"type": "string"},
                           "message": {"type": "string", "description": "What is wrong, naming the field."}}
        },
        "Channel": {"type": "string", "enum": crate::contacts::model::CHANNELS},
        "SendAction": {"type": "string", "enum": ["sendtext", "sendmedia", "sendtemplate"]},
        "Success": {"type": "object", "required": ["success"], "properties": {"success": {"const": true}}},
        "Account": {
            "type": "object", "required": ["id", "email", "plan", "limits", "usage"],
            "properties": {
                "id": {"type": "string"}, "email": {"type": "string"},
                "plan": {"enum": ["trial", "subscribed", "unlimited"]},
                "limits": {"type": "object", "description": "null is no limit. contacts and messages are storage \
                    quotas: past them a create, import, send or broadcast is 403 and nothing is stored.", "properties": {
                    "perMinute": nullable("integer"), "perDay": nullable("integer"), "segments": nullable("integer"),
                    "contacts": nullable("integer"), "messages": nullable("integer")}},
                "usage": {"type": "object", "properties": {"today": {"type": "integer"}, "thisMinute": {"type": "integer"},
                    "contacts": {"type": "integer"}, "messages": {"type": "integer"}}},
                "createdAt": time()
            }
        },
        "Person": {
            "type": "object", "required": ["id", "type", "tags", "attributes", "channelIds", "optedOut"],
            "properties": {
                "id": {"type": "string"}, "type": {"enum": ["contact", "client"]},
                "name": nullable("string"), "firstName": nullable("string"), "lastName": nullable("string"),
                "phoneNumber": nullable("string"), "email": nullable("string"), "externalId": nullable("string"),
                "gender": {"enum": ["Male", "Female", "Other", null]},
                "birthDate": {"type": ["string", "null"], "format": "date"},
                "contactStage": nullable("string"), "channel": nullable("string"),
                "channelIds": {"type": "object", "additionalProperties": {"type": "string"}},
                "location": {"anyOf": [{"type": "null"},
                    {"type": "object", "properties": {"id": {"type": "string"}}}]},
                "tags": strings(),
                "attributes": {"type": "object",
                    "additionalProperties": {"type": ["string", "number", "boolean"]}},
                "optedOut": {"type": "boolean"},
                "lastActivityAt": time(), "createdAt": time(), "updatedAt": time()
            }
        },
        "Tag": {"type": "object", "required": ["name", "count"],
                "properties": {"name": {"type": "string"}, "count": {"type": "integer"}}},
        "ImportResult": {
            "type": "object", "required": ["created", "updated", "failed", "failedCount"],
            "properties": {"created": {"type": "integer"}, "updated": {"type": "integer"},
                "failedCount": {"type": "integer", "description": "Rows that failed, all of them."},
                "failed": {"type": "array", "maxItems": 1000, "description": "The first 1,000 failed rows, by row.",
                    "items": {"type": "object", "required": ["row", "message"],
                    "properties": {"row": {"type": "integer"}, "message": {"type": "string"}}}}}
        },
        "Location": {
            "type": "object", "required": ["id", "title"],
            "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                           "createdAt": time(), "updatedAt": time()}
        },
        "Segment": {
            "type": "object", "required": ["id", "name", "type", "refresh", "memberCount"],
            "properties": {
                "id": {"type": "string"}, "name": {"type": "string"}, "description": nullable("string"),
                "type": {"enum": ["contact", "client"]}, "refresh": {"enum": ["dynamic", "static"]},
                "criteria": {"type": ["object", "null"]}, "groups": objects(),
                "groupLogic": {"enum": ["and", "or", null]},
                "location": {"anyOf": [{"type": "null"}, {"type": "object", "properties": {"id": {"type": "string"}}}]},
                "memberCount": {"type": ["integer", "null"], "description": "Exact at the time of the read; \
                    null when the segment cannot be evaluated (see problem)."},
                "problem": {"type": ["string", "null"], "description": "Why the members cannot be known: the stored \
                    rule does not read, or no longer fits the account's attributes. Counting, listing members, \
                    exporting and broadcasting to it are 409 until it is changed."},
                "createdAt": time(), "updatedAt": time()
            }
        },
        "Count": {"type": "object", "required": ["count"], "properties": {"count": {"type": "integer"}}},
        "Preview": {"type": "object", "required": ["count", "sample"],
                    "properties": {"count": {"type": "integer"},
                                   "sample": {"type": "array", "items": reference("Person")}}},
        "Template": {
            "type": "object", "required": ["id", "name", "language", "body", "status"],
            "properties": {
                "id": {"type": "string"}, "name": {"type": "string"}, "language": {"type": "string"},
                "category": nullable("string"), "header": {"type": ["object", "null"]},
                "body": {"type": "string"}, "footer": nullable("string"),
                "buttons": objects(),
                "status": {"enum": ["APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED"], "description": "As WhatsApp \
                    reports it (a sync, or its status webhook); a template made here is APPROVED. Only an APPROVED \
                    template starts a WhatsApp broadcast."},
                "statusReason": nullable("string"),
                "placeholders": {"type": "object"}, "createdAt": time(), "updatedAt": time()
            }
        },
        "Accepted": {
            "type": "object", "required": ["success", "id", "status"],
            "properties": {"success": {"const": true}, "id": {"type": "string"},
                           "status": {"type": "string"}, "contactId": {"type": "string"}}
        },
        "Message": {
            "type": "object", "required": ["id", "channel", "isIncoming", "type", "status"],
            "properties": {
                "id": {"type": "string"},
                "contact": {"type": "object", "properties": {"id": {"type": "string"},
                    "channel": nullable("string"), "phoneNumber": nullable("string")}},
                "channel": {"enum": ["whatsapp", "telegram", "instagram", "messenger"]},
                "isIncoming": {"type": "boolean"}, "type": {"enum": ["text", "media", "template"]},
                "sentBy": nullable("string"),
                "status": {"enum": ["scheduled", "queued", "sent", "delivered", "read", "failed", "cancelled", "received"]},
                "errorCode": {"type": ["string", "null"], "description": "Why it failed, as a code: the provider's own \
                    error code, or outcome_unknown (the provider may have sent it; never resent automatically), \
                    unreachable, rate_limited, provider_unavailable, settings_unavailable, settings_unreadable, \
                    stored_data_unreadable, no_address, interrupted; for a kept file, file_unavailable, \
                    file_missing, upload_failed."},
                "errorMessage": nullable("string"), "text": nullable("string"),
                "pricing": {"type": ["object", "null"], "description": "How the provider priced it (WhatsApp's \
                    status callbacks): category marketing, utility, authentication or service; billable.",
                    "properties": {"category": {"type": "string"}, "billable": {"type": "boolean"}}},
                "headerText": nullable("string"), "footerText": nullable("string"),
                "mediaUrl": nullable("string"), "mimeType": nullable("string"),
                "mediaFile": {"type": ["string", "null"], "description": "The kept file a media message \
                    sends instead of a mediaUrl (Wati's sendSessionFile): GET /api/v1/getMedia?fileName= returns it."},
                "options": {"type": ["object", "null"]}, "providerMessageId": nullable("string"),
                "createdAt": time(), "scheduledAt": time(), "sentAt": time()
            }
        },
        "ChannelSettings": {
            "type": "object", "required": ["channel", "configured", "transport"],
            "description": "The fields of the channel; secrets only as <name>Set.",
            "properties": {
                "channel": {"enum": ["whatsapp", "telegram", "instagram", "messenger"]},
                "configured": {"type": "boolean"}, "transport": {"enum": ["sandbox", "provider"]},
                "problem": {"type": "string", "description": "Present when the stored settings no longer read: \
                    messages on the channel fail until it is set up again (PUT) or forgotten (DELETE)."}
            },
            "additionalProperties": {"anyOf": [{"type": ["string", "boolean", "null"]}, strings()]}
        },
        "Broadcast": {
            "type": "object", "required": ["id", "name", "status", "channel", "stats"],
            "properties": {
                "id": {"type": "string"}, "name": {"type": "string"},
                "status": {"enum": ["scheduled", "running", "paused", "completed", "cancelled"]},
                "channel": {"type": "string"},
                "segment": {"type": ["object", "null"], "description": "null for a broadcast to a list (Wati's sendTemplateMessages)."},
                "template": {"type": ["object", "null"]}, "textMessage": nullable("string"),
                "pausedReason": nullable("string"),
                "stats": {"type": "object", "required": ["total", "queued", "sent", "delivered", "read", "failed", "skipped"],
                    "properties": {"total": {"type": "integer"}, "queued": {"type": "integer"},
                        "sent": {"type": "integer"}, "delivered": {"type": "integer"}, "read": {"type": "integer"},
                        "failed": {"type": "integer"}, "cancelled": {"type": "integer"}, "skipped": {"type": "integer"},
                        "skippedReasons": {"type": "object"}}},
                "createdAt": time(), "scheduledAt": time(), "startedAt": time(), "completedAt": time()
            }
        },
        "BroadcastReport": {
            "type": "object", "required": ["broadcast", "audience", "funnel", "failures", "cost", "timeline", "replyWindowHours"],
            "description": "Read from counters the broadcast's messages keep as they move: a few rows whatever its size.",
            "properties": {
                "broadcast": {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                    "status": {"type": "string"}, "startedAt": time(), "completedAt": time()}},
                "audience": {"type": "object", "required": ["members", "skipped", "messages"], "properties": {
                    "members": {"type": "integer", "description": "The segment's (or list's) members when it fanned out."},
                    "skipped": {"type": "object", "properties": {"optedOut": {"type": "integer"}, "unreachable": {"type": "integer"}}},
                    "messages": {"type": "integer"}}},
                "funnel": {"type": "object", "description": "Each count is of messages that ever reached the step: a read \
                    without a delivered counts as both. Rates are null until their base is above 0.",
                    "required": ["queued", "pending", "sent", "delivered", "read", "replied", "failed", "cancelled"],
                    "properties": {"queued": {"type": "integer"}, "pending": {"type": "integer"}, "sent": {"type": "integer"},
                        "delivered": {"type": "integer"}, "read": {"type": "integer"},
                        "replied": {"type": "integer", "description": "Recipients who wrote within the reply window after their message."},
                        "failed": {"type": "integer"}, "cancelled": {"type": "integer"},
                        "deliveryRate": {"type": ["number", "null"], "description": "delivered / sent"},
                        "readRate": {"type": ["number", "null"], "description": "read / delivered"},
                        "replyRate": {"type": ["number", "null"], "description": "replied / delivered"}}},
                "failures": {"type": "array", "items": {"type": "object", "properties": {"errorCode": {"type": "string"},
                    "errorMessage": nullable("string"), "count": {"type": "integer"}}}},
                "cost": {"type": "object", "properties": {
                    "byCategory": {"type": "object", "additionalProperties": {"type": "integer"},
                        "description": "Messages per pricing category the provider named."},
                    "billable": {"type": "integer"}}},
                "timeline": {"type": "array", "description": "Minutes of the first 24 hours with a change, in order.",
                    "items": {"type": "object", "properties": {"minute": {"type": "string", "format": "date-time"},
                        "sent": {"type": "integer"}, "delivered": {"type": "integer"}, "read": {"type": "integer"}}}},
                "replyWindowHours": {"type": "integer"}
            }
        },
        "Recipients": {
            "type": "object", "required": ["data", "next"],
            "properties": {
                "data": {"type": "array", "items": {"type": "object", "properties": {
                    "contactId": {"type": "string"}, "name": nullable("string"), "phoneNumber": nullable("string"),
                    "status": {"type": "string"}, "errorCode": nullable("string"), "errorMessage": nullable("string"),
                    "queuedAt": {"type": "string", "format": "date-time"}, "sentAt": time(),
                    "updatedAt": {"type": "string", "format": "date-time"}, "repliedAt": time()}}},
                "next": {"type": ["string", "null"], "description": "Pass as after for the next page; null at the end."}
            }
        },
        "WatiResult": {
            "type": "object", "required": ["result", "info"],
            "properties": {"result": {"type": "boolean"},
                           "info": {"anyOf": [{"type": "string"}, {"type": "object"}]}}
        },
        "SegmenterResult": {
            "type": "object", "required": ["data", "errorMessage"],
            "properties": {"data": {"type": "object"}, "errorMessage": {"type": "string"}}
        },
        "ApiKey": {
            "type": "object", "required": ["id", "name", "prefix"],
            "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "prefix": {"type": "string"},
                           "createdAt": time(), "lastUsedAt": time(), "revokedAt": time()}
        },
        "NewApiKey": {
            "type": "object", "required": ["id", "name", "prefix", "key"],
            "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "prefix": {"type": "string"},
                           "key": {"type": "string", "description": "Shown this once; only a digest is stored."}}
        },
        "Webhook": webhook(false),
        "NewWebhook": webhook(true),
        "WebhookDelivery": {
            "type": "object", "required": ["id", "eventId", "type", "attempt", "status"],
            "properties": {"id": {"type": "string"}, "eventId": {"type": "string"}, "type": {"type": "string"},
                "attempt": {"type": "integer"}, "status": {"enum": ["pending", "succeeded", "failed"]},
                "httpStatus": nullable("integer"), "durationMs": nullable("integer"), "error": nullable("string"),
                "nextAttemptAt": time(), "createdAt": time(), "updatedAt": time()}
        },
        "WebhookAttempt": {
            "type": "object", "required": ["eventId", "type", "attempt", "status"],
            "properties": {"eventId": {"type": "string"}, "type": {"const": "webhook.test"},
                "attempt": {"type": "integer"}, "status": {"enum": ["succeeded", "failed"]},
                "httpStatus": nullable("integer"), "durationMs": {"type": "integer"}, "error": nullable("string")}
        },
        "JsonValue": {"description": "Any JSON: the provider's own body."},
        "Health": {"type": "object", "required": ["status", "version"],
                   "properties": {"status": {"const": "ok"}, "version": {"type": "string"}}}
    });
    match schemas {
        Value::Object(map) => map,
        _ => unreachable!("an object literal"),
    }
}
