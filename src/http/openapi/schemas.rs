//! The shapes of bodies, as JSON Schema (OpenAPI 3.1). Request schemas are as strict as the
//! server is and no stricter: whatever breaks them is refused with a 4xx, which the
//! schemathesis run in CI checks. Rules only code can judge (a possible phone number, a
//! template's placeholder count) are said in descriptions.

use serde_json::{Value, json};

pub fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn nullable(kind: &str) -> Value {
    json!({"type": [kind, "null"]})
}

fn strings() -> Value {
    json!({"type": "array", "items": {"type": "string"}})
}

/// Ids in bodies: a positive integer or its digits as a string.
fn id_input() -> Value {
    json!({"type": ["integer", "string"], "minimum": 1, "pattern": "^\\s*[0-9]+\\s*$"})
}

fn id_ref() -> Value {
    json!({"type": "object", "required": ["id"], "properties": {"id": id_input()}})
}

/// `{"id": …}` or `null`.
fn optional_ref() -> Value {
    json!({"type": ["object", "null"], "required": ["id"], "properties": {"id": id_input()}})
}

fn time() -> Value {
    json!({"type": ["string", "null"], "format": "date-time"})
}

pub fn all() -> Value {
    json!({
        "Error": {
            "type": "object", "required": ["statusCode", "error", "message"],
            "properties": {"statusCode": {"type": "integer"}, "error": {"type": "string"},
                           "message": {"type": "string", "description": "What is wrong, naming the field."}}
        },
        "Success": {"type": "object", "required": ["success"], "properties": {"success": {"const": true}}},
        "IdRef": id_ref(),
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
        "PersonInput": {
            "type": "object",
            "description": "Every field is optional; on PUT only the fields sent change, and null clears one. \
                phoneNumber is normalised to E.164 (an impossible number is 400); attributes merge, null removes one.",
            "properties": {
                "name": nullable("string"), "firstName": nullable("string"), "lastName": nullable("string"),
                "phoneNumber": nullable("string"), "email": nullable("string"), "externalId": nullable("string"),
                "gender": nullable("string"), "birthDate": nullable("string"),
                "contactStage": nullable("string"), "channel": nullable("string"),
                "channelIds": {"type": ["object", "null"], "properties": {
                    "telegram": nullable("string"), "instagram": nullable("string"), "messenger": nullable("string")}},
                "location": optional_ref(),
                "tags": {"type": ["array", "null"], "items": {"type": "string"}},
                "attributes": {"type": ["object", "null"],
                    "additionalProperties": {"type": ["string", "number", "boolean", "null"]}},
                "optedOut": {"type": ["boolean", "null"]}
            }
        },
        "Tags": {"type": "object", "required": ["tags"], "properties": {"tags": strings()}},
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
        "LocationInput": {"type": "object", "required": ["title"], "properties": {"title": {"type": "string"}}},
        "Segment": {
            "type": "object", "required": ["id", "name", "type", "refresh", "memberCount"],
            "properties": {
                "id": {"type": "string"}, "name": {"type": "string"}, "description": nullable("string"),
                "type": {"enum": ["contact", "client"]}, "refresh": {"enum": ["dynamic", "static"]},
                "criteria": {"type": ["object", "null"]}, "groups": {"type": ["array", "null"]},
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
        "SegmentInput": {
            "type": "object",
            "description": "criteria (Whautomate's: tags, exclusionTags, gender, numberOfDaysLastActivity, ageFrom, ageTo, \
                contactStage, primaryLocations) and/or groups of conditions {attribute, operator, value} make a dynamic \
                segment; contactIds a static one. A rule is checked before it is saved: 400 names the place.",
            "properties": {
                "name": {"type": ["string", "null"]}, "description": {"type": ["string", "null"]},
                "type": {"type": ["string", "null"]},
                "criteria": {"type": ["object", "null"]}, "groups": {"type": ["array", "null"]},
                "groupLogic": {"type": ["string", "null"]},
                "contactIds": {"type": ["array", "null"], "items": id_input()},
                "location": optional_ref()
            }
        },
        "Members": {"type": "object", "required": ["contactIds"],
                    "properties": {"contactIds": {"type": "array", "items": id_input()}}},
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
                "buttons": {"type": ["array", "null"]}, "status": {"type": "string"},
                "placeholders": {"type": "object"}, "createdAt": time(), "updatedAt": time()
            }
        },
        "TemplateInput": {
            "type": "object",
            "properties": {
                "name": nullable("string"), "language": nullable("string"), "category": nullable("string"),
                "header": {"type": ["object", "null"], "required": ["type"],
                           "properties": {"type": {"type": "string"}, "text": nullable("string")}},
                "body": nullable("string"), "footer": nullable("string"),
                "buttons": {"type": ["array", "null"], "items": {"type": "object", "required": ["type", "text"],
                    "properties": {"type": {"type": "string"}, "text": {"type": "string"},
                                   "url": nullable("string"), "phoneNumber": nullable("string")}}}
            }
        },
        "Recipient": {"type": ["object", "null"], "properties": {
            "phoneNumber": nullable("string"), "name": nullable("string")}},
        "SendInput": {
            "type": "object",
            "description": "Give exactly one of contact, client or recepient (recipient is accepted too). sendtext takes \
                textMessage; sendmedia mediaUrl and mimeType; sendtemplate on WhatsApp a registered template and its \
                parameters, on Telegram textMessage with headerType and buttons, on Instagram and Messenger elements.",
            "properties": {
                "contact": optional_ref(),
                "client": optional_ref(),
                "recepient": reference("Recipient"), "recipient": reference("Recipient"),
                "scheduleDateTime": nullable("string"),
                "location": optional_ref(),
                "textMessage": nullable("string"), "mediaUrl": nullable("string"), "mimeType": nullable("string"),
                "template": {"type": ["object", "null"], "properties": {
                    "name": nullable("string"), "language": nullable("string")}},
                "headerMediaUrl": nullable("string"),
                "headerTextParameters": {"type": ["array", "null"], "items": {"type": "string"}},
                "bodyTextParameters": {"type": ["array", "null"], "items": {"type": "string"}},
                "buttonUrlParameters": {"type": ["array", "null"], "items": {"type": "string"}},
                "locationParameters": {}, "flowParameters": {},
                "headerType": nullable("string"),
                "buttons": {"type": ["array", "null"], "items": {"type": "object"}},
                "elements": {"type": ["array", "null"], "items": {"type": "object"}}
            }
        },
        "ReceiveInput": {
            "type": "object",
            "description": "Exactly one of contact, client or sender; textMessage, or mediaUrl with mimeType.",
            "properties": {
                "contact": optional_ref(),
                "client": optional_ref(),
                "sender": {"type": ["object", "null"], "properties": {
                    "phoneNumber": nullable("string"), "channelUserId": nullable("string"), "name": nullable("string")}},
                "textMessage": nullable("string"), "mediaUrl": nullable("string"), "mimeType": nullable("string")
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
                    stored_data_unreadable, no_address, interrupted."},
                "errorMessage": nullable("string"), "text": nullable("string"),
                "headerText": nullable("string"), "footerText": nullable("string"),
                "mediaUrl": nullable("string"), "mimeType": nullable("string"),
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
            "additionalProperties": {"type": ["string", "boolean", "null", "array"]}
        },
        "ChannelInput": {
            "type": "object",
            "description": "WhatsApp: phoneNumberId, accessToken, appSecret, verifyToken. Telegram: botToken, \
                webhookSecret. Messenger: pageId, pageAccessToken, appSecret, verifyToken. Instagram: accountId, \
                pageAccessToken, appSecret, verifyToken. A field given replaces, null removes; unknown fields \
                are 400. The provider's address is the operator's setting (--provider-url): apiBaseUrl is 400.",
            "additionalProperties": {"type": ["string", "null"]}
        },
        "Broadcast": {
            "type": "object", "required": ["id", "name", "status", "channel", "stats"],
            "properties": {
                "id": {"type": "string"}, "name": {"type": "string"},
                "status": {"enum": ["scheduled", "running", "paused", "completed", "cancelled"]},
                "channel": {"type": "string"}, "segment": {"type": "object"},
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
        "BroadcastInput": {
            "type": "object",
            "description": "A WhatsApp template (with parameters, which may hold {{firstName}}, {{attributes.x}}, \
                {{x|default}}) or, on the other channels, textMessage.",
            "properties": {
                "name": nullable("string"), "segment": optional_ref(),
                "channel": nullable("string"),
                "template": {"type": ["object", "null"], "properties": {
                    "name": nullable("string"), "language": nullable("string")}},
                "headerTextParameters": {"type": ["array", "null"], "items": {"type": "string"}},
                "bodyTextParameters": {"type": ["array", "null"], "items": {"type": "string"}},
                "buttonUrlParameters": {"type": ["array", "null"], "items": {"type": "string"}},
                "headerMediaUrl": nullable("string"), "textMessage": nullable("string"),
                "scheduleDateTime": nullable("string")
            }
        },
        "WatiSegmentInput": {
            "type": "object",
            "properties": {
                "name": nullable("string"), "refreshType": {},
                "groups": {}, "contactIds": {"type": ["array", "null"], "items": id_input()},
                "useUploadedContact": {"type": ["boolean", "null"]}
            }
        },
        "WatiResult": {
            "type": "object", "required": ["result", "info"],
            "properties": {"result": {"type": "boolean"},
                           "info": {"anyOf": [{"type": "string"}, {"type": "object"}]}}
        },
        "SegmenterInput": {
            "type": "object",
            "properties": {
                "name": nullable("string"), "description": nullable("string"),
                "broadcastMediumId": {}, "segmentType": {}, "TagId": {}, "filters": {},
                "persons": {"type": ["array", "null"]}
            }
        },
        "SegmenterResult": {
            "type": "object", "required": ["data", "errorMessage"],
            "properties": {"data": {"type": "object"}, "errorMessage": {"type": "string"}}
        },
        "Credentials": {"type": "object", "required": ["email", "password"],
                        "properties": {"email": {"type": "string"}, "password": {"type": "string"}}},
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
        "NewKeyInput": {"type": "object", "properties": {"name": nullable("string")}},
        "JsonValue": {"description": "Any JSON: the provider's own body."},
        "Health": {"type": "object", "required": ["status", "version"],
                   "properties": {"status": {"const": "ok"}, "version": {"type": "string"}}}
    })
}
