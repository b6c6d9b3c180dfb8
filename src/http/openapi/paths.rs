//! Every operation: its parameters, body and answers. [`crate::http::routes::table`] is the list
//! this must match; a test checks both ways.

use super::beyond::{self, Rule};
use super::schemas::reference;
use crate::fields::MAX_LIMIT;
use crate::messages::model::Status as MessageStatus;
use serde_json::{Map, Value, json};

/// How an operation is authorised.
#[derive(Clone, Copy)]
enum Auth {
    ApiKey,
    Session,
    None,
}

/// One operation under construction.
pub(super) struct Op {
    method: &'static str,
    path: String,
    auth: Auth,
    body: Value,
    rules: Vec<Rule>,
}

pub(super) fn op(method: &'static str, path: impl Into<String>, tag: &str, summary: &str) -> Op {
    Op {
        method,
        path: path.into(),
        auth: Auth::ApiKey,
        body: json!({"tags": [tag], "summary": summary, "parameters": [], "responses": {}}),
        rules: Vec::new(),
    }
}

fn error_response(description: &str) -> Value {
    json!({"description": description,
           "content": {"application/json": {"schema": reference("Error")}}})
}

fn meaning(status: u16) -> &'static str {
    match status {
        400 => "The request is malformed; the message names the field.",
        401 => "No valid credentials.",
        403 => "Not allowed.",
        404 => "Nothing with that id in this account.",
        409 => {
            "A conflict: a duplicate, or a state that does not allow it (a segment that cannot be evaluated)."
        }
        413 => "The body is over its limit.",
        415 => "The body must be JSON.",
        422 => "The idempotency key was used with another body.",
        429 => "A quota ran out; Retry-After says when to come back.",
        _ => "An error.",
    }
}

impl Op {
    fn public(mut self) -> Op {
        self.auth = Auth::None;
        self
    }

    fn session(mut self) -> Op {
        self.auth = Auth::Session;
        self
    }

    pub(super) fn describe(mut self, text: &str) -> Op {
        self.body["description"] = json!(text);
        self
    }

    /// Rules of this operation that JSON Schema cannot state (see [`beyond`]).
    pub(super) fn beyond(mut self, rules: &[Rule]) -> Op {
        self.rules.extend_from_slice(rules);
        self
    }

    pub(super) fn param(mut self, place: &str, name: &str, schema: Value, required: bool) -> Op {
        let params = self.body["parameters"].as_array_mut().expect("an array");
        params.push(json!({"name": name, "in": place, "required": required, "schema": schema}));
        self
    }

    /// Path parameters: `{id}`-like ones are integers, the others as given.
    pub(super) fn path(self, name: &str, schema: Value) -> Op {
        self.param("path", name, schema, true)
    }

    fn id(mut self, name: &str) -> Op {
        self = self.path(
            name,
            json!({"type": "integer", "format": "int64", "minimum": 1}),
        );
        let params = self.body["parameters"].as_array_mut().expect("an array");
        params.last_mut().expect("just added")["example"] = json!(1);
        self
    }

    pub(super) fn query(self, name: &str, schema: Value) -> Op {
        self.param("query", name, schema, false)
    }

    fn paged(self) -> Op {
        self.query(
            "limit",
            json!({"type": "integer", "minimum": 1, "maximum": 500}),
        )
        .query(
            "page",
            json!({"type": "integer", "minimum": 1, "maximum": 4_294_967_295_u64}),
        )
    }

    pub(super) fn json_body(self, schema: &str) -> Op {
        self.json_body_inline(reference(schema))
    }

    /// The body may be left out.
    pub(super) fn optional_body(mut self) -> Op {
        self.body["requestBody"]["required"] = json!(false);
        self
    }

    pub(super) fn json_body_inline(mut self, schema: Value) -> Op {
        self.body["requestBody"] = json!({"required": true,
            "content": {"application/json": {"schema": schema}}});
        self
    }

    pub(super) fn answers(mut self, status: u16, description: &str, content: Value) -> Op {
        let mut response = json!({"description": description});
        if !content.is_null() {
            response["content"] = content;
        }
        self.body["responses"][status.to_string()] = response;
        self
    }

    pub(super) fn ok(self, schema: Value) -> Op {
        self.answers(200, "OK", json!({"application/json": {"schema": schema}}))
    }

    pub(super) fn ok_ref(self, name: &str) -> Op {
        self.ok(reference(name))
    }

    /// A list: the bare array, the total in `X-Total-Count`.
    fn list(mut self, item: &str) -> Op {
        self = self.ok(json!({"type": "array", "items": reference(item)}));
        self.body["responses"]["200"]["headers"] = json!({"X-Total-Count": {
            "description": "How many there are in all.", "schema": {"type": "integer"}}});
        self
    }

    /// Refusals past the key check, in Wati's shape `{"result": false, "info": reason}`.
    pub(super) fn wati_refusals(mut self, statuses: &[u16]) -> Op {
        for &s in statuses {
            self = self.answers(
                s,
                meaning(s),
                json!({"application/json": {"schema": reference("WatiResult")}}),
            );
        }
        self
    }

    pub(super) fn errors(mut self, statuses: &[u16]) -> Op {
        for &s in statuses {
            self.body["responses"][s.to_string()] = error_response(meaning(s));
        }
        self
    }

    fn finish(mut self) -> (String, &'static str, Value) {
        // What any call may meet: a malformed request, and for keyed routes the key and
        // the quotas; a body may be too large or not JSON.
        let mut common = vec![400, 404, 413];
        match self.auth {
            Auth::ApiKey => {
                common.extend([401, 429]);
                self.body["security"] = json!([{"apiKey": []}, {"bearer": []}]);
            }
            Auth::Session => {
                common.extend([401, 415]);
                self.body["security"] = json!([{"session": []}]);
            }
            Auth::None => self.body["security"] = json!([]),
        }
        let missing: Vec<u16> = common
            .into_iter()
            .filter(|s| self.body["responses"].get(s.to_string()).is_none())
            .collect();
        self = self.errors(&missing);
        self.body["operationId"] = json!(operation_id(self.method, &self.path));
        if !self.rules.is_empty() {
            let said: Vec<String> = self
                .rules
                .iter()
                .map(|(f, r)| format!("{f}: {r}"))
                .collect();
            let before = self.body["description"].as_str().unwrap_or("");
            let text = format!("{before}\n\nRules beyond the schema: {}.", said.join("; "));
            self.body["description"] = json!(text.trim_start());
            self.body["x-rules-beyond-schema"] = self
                .rules
                .iter()
                .map(|(field, rule)| json!({"field": field, "rule": rule}))
                .collect();
        }
        (self.path, self.method, self.body)
    }
}

/// `getSegmentsByIdContacts` for `GET /v1/segments/{id}/contacts`: what generated clients
/// name their functions after. Version segments (`v1`, `api`) say nothing and are left out.
fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_string();
    let words = path
        .split(['/', '.', '-', '_'])
        .filter(|w| !w.is_empty() && !matches!(*w, "v1" | "api"));
    for word in words {
        let (by, word) = match word.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
            Some(name) => ("By", name),
            None => ("", word),
        };
        let mut chars = word.chars();
        let first = chars.next().map(|c| c.to_ascii_uppercase());
        id.push_str(by);
        id.extend(first.into_iter().chain(chars));
    }
    if path.ends_with('/') {
        id.push_str("Index");
    }
    id
}

fn channel() -> Value {
    reference("Channel")
}

fn text() -> Value {
    json!({"type": "string"})
}

fn people(prefix: &str, tag: &str) -> Vec<Op> {
    let path = |rest: &str| format!("{prefix}{rest}");
    vec![
        op("post", path("/import"), tag, "Import people from CSV or a JSON array")
            .describe("CSV with a header row naming the fields (other columns become attributes; tags split on ';'), \
                or a JSON array of people as POST takes them (Content-Type: application/json; PersonInput each). Upserts by externalId, then phoneNumber. Good rows are \
                stored even when others fail; failedCount counts the failed rows and the first 1,000 are listed with \
                their numbers. Up to 128 MiB. One import at a time per account (429 with Retry-After).")
            .answers(200, "What was created, updated and refused", json!({"application/json": {"schema": reference("ImportResult")}}))
            .csv_body()
            .errors(&[415, 429])
            .beyond(beyond::IMPORT),
        op("get", path("/export"), tag, "Export people as CSV, streamed")
            .query("segmentId", text())
            .errors(&[409])
            .answers(200, "CSV in the columns an import reads back", json!({"text/csv": {"schema": {"type": "string"}}})),
        op("post", path(""), tag, "Create a person").json_body("PersonInput").ok_ref("Person").errors(&[409])
            .beyond(beyond::PERSON).beyond(beyond::NEW_PERSON),
        op("get", path(""), tag, "List people")
            .paged()
            .query("searchText", text())
            .query("tag", text())
            .query("contactStage", text())
            .query("locationId", json!({"type": "integer", "format": "int64"}))
            .list("Person"),
        op("get", path("/{id}"), tag, "Get a person").id("id").ok_ref("Person"),
        op("put", path("/{id}"), tag, "Change the fields sent").id("id").json_body("PersonInput")
            .ok_ref("Person").errors(&[409]).beyond(beyond::PERSON),
        op("delete", path("/{id}"), tag, "Delete a person, with their message log").id("id").ok_ref("Success"),
        op("post", path("/{id}/tags"), tag, "Add tags").id("id").json_body("Tags").ok_ref("Person"),
        op("delete", path("/{id}/tags"), tag, "Remove tags").id("id").json_body("Tags").ok_ref("Person"),
    ]
}

impl Op {
    /// A multipart form with a file.
    pub(super) fn multipart_file(mut self, description: &str) -> Op {
        self.body["requestBody"] = json!({"required": true, "content": {
            "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary",
                    "description": description}}}}}});
        self
    }

    /// The import's body, as described: CSV. The server also takes a JSON array of people
    /// (`application/json`), said in the description only: common client generators cannot
    /// build a call whose body has two types.
    fn csv_body(mut self) -> Op {
        // Rows are judged one by one: a bad row is listed in `failed`, never the whole body.
        self.body["requestBody"] = json!({"required": true, "content": {
            "text/csv": {"schema": {"type": "string", "format": "binary",
                "description": "CSV text; the header row names the fields."}}}});
        self
    }
}

fn operations() -> Vec<Op> {
    let mut ops = vec![
        op("get", "/health", "Service", "Whether the server and its database answer")
            .public()
            .ok_ref("Health"),
        op("get", "/", "Service", "Redirects to the admin page")
            .public()
            .answers(302, "To /admin", Value::Null),
        op("get", "/openapi.json", "Service", "This description")
            .public()
            .ok(json!({"type": "object"})),
        op("get", "/docs", "Service", "This description as a page")
            .public()
            .answers(200, "HTML", json!({"text/html": {"schema": text()}})),
        op("get", "/docs/docs.js", "Service", "The docs page's script")
            .public()
            .answers(200, "JavaScript", json!({"text/javascript": {"schema": text()}})),
        // The admin page and its API.
        op("get", "/admin", "Admin", "The admin page")
            .public()
            .answers(200, "HTML", json!({"text/html": {"schema": text()}})),
        op("get", "/admin/", "Admin", "The admin page")
            .public()
            .answers(200, "HTML", json!({"text/html": {"schema": text()}})),
        op("get", "/admin/admin.js", "Admin", "The admin page's script")
            .public()
            .answers(200, "JavaScript", json!({"text/javascript": {"schema": text()}})),
        op("get", "/admin/webhooks.js", "Admin", "The admin page's Webhooks section")
            .public()
            .answers(200, "JavaScript", json!({"text/javascript": {"schema": text()}})),
        op("get", "/admin/broadcasts.js", "Admin", "The admin page's Templates and Broadcasts sections")
            .public()
            .answers(200, "JavaScript", json!({"text/javascript": {"schema": text()}})),
        op("get", "/admin/admin.css", "Admin", "The admin page's style")
            .public()
            .answers(200, "CSS", json!({"text/css": {"schema": text()}})),
        op("get", "/admin/api/setup", "Admin", "Whether the server has its owner yet, and whether sign-up is open")
            .public()
            .ok(json!({"type": "object", "required": ["hasOwner", "openSignup"],
                       "properties": {"hasOwner": {"type": "boolean"}, "openSignup": {"type": "boolean"}}})),
        op("post", "/admin/api/signup", "Admin", "Create the account and sign in")
            .public()
            .describe("Allowed while no account exists, or when sign-up is open. Sets the session cookie.")
            .json_body("NewAccount")
            .ok(json!({"type": "object", "required": ["id", "email", "plan"]}))
            .errors(&[403, 409, 415, 429])
            .beyond(beyond::SIGNUP),
        op("post", "/admin/api/login", "Admin", "Sign in")
            .public()
            .json_body("Credentials")
            .ok(json!({"type": "object", "required": ["id", "email", "plan"]}))
            .errors(&[401, 415, 429]),
        op("post", "/admin/api/logout", "Admin", "End the session")
            .public()
            .describe("The body is any JSON object ({}): a JSON body is what no other site's form can send.")
            .json_body_inline(json!({"type": "object"}))
            .ok_ref("Success")
            .errors(&[415]),
        op("get", "/admin/api/me", "Admin", "The signed-in account").session().ok_ref("Account"),
        op("get", "/admin/api/keys", "Admin", "The account's API keys").session()
            .ok(json!({"type": "array", "items": reference("ApiKey")})),
        op("post", "/admin/api/keys", "Admin", "Create an API key").session()
            .json_body("NewKeyInput").ok_ref("NewApiKey"),
        op("delete", "/admin/api/keys/{id}", "Admin", "Revoke an API key").session().id("id").ok_ref("Success"),
        op("get", "/admin/api/channels", "Admin", "Every channel's settings, with the fields of its form").session()
            .ok(json!({"type": "array", "items": reference("ChannelSettings")})),
        op("put", "/admin/api/channels/{channel}", "Admin", "Change a channel's settings").session()
            .path("channel", channel()).json_body("ChannelInput").ok_ref("ChannelSettings")
            .beyond(beyond::CHANNEL_SETTINGS),
        op("delete", "/admin/api/channels/{channel}", "Admin", "Forget a channel's settings: back to the sandbox")
            .session().path("channel", channel()).ok_ref("ChannelSettings"),
        op("get", "/admin/api/webhooks", "Admin", "The account's event webhooks").session()
            .ok(json!({"type": "array", "items": reference("Webhook")})),
        op("post", "/admin/api/webhooks", "Admin", "Add an event webhook").session()
            .json_body("WebhookInput")
            .answers(201, "Created, with its secret", json!({"application/json": {"schema": reference("NewWebhook")}}))
            .errors(&[409]).beyond(beyond::WEBHOOK),
        op("put", "/admin/api/webhooks/{id}", "Admin", "Change an event webhook").session().id("id")
            .json_body("WebhookChanges").ok_ref("Webhook").beyond(beyond::WEBHOOK),
        op("delete", "/admin/api/webhooks/{id}", "Admin", "Delete an event webhook").session().id("id")
            .ok_ref("Success"),
        op("post", "/admin/api/webhooks/{id}/test", "Admin", "Send a test event").session().id("id")
            .describe("The body is any JSON object ({}), as every admin POST is JSON.")
            .json_body_inline(json!({"type": "object"}))
            .ok_ref("WebhookAttempt"),
        op("get", "/admin/api/webhooks/{id}/deliveries", "Admin", "An event webhook's recent deliveries")
            .session().id("id")
            .query("status", json!({"type": "string", "enum": ["", "pending", "succeeded", "failed"]}))
            .query("limit", json!({"type": "integer", "minimum": 1, "maximum": 500}))
            .query("after", json!({"type": "integer", "format": "int64"}))
            .ok(json!({"type": "array", "items": reference("WebhookDelivery")})),
        op("get", "/admin/api/templates", "Admin", "The account's templates, with their approval").session()
            .paged().list("Template"),
        op("post", "/admin/api/templates/sync", "Admin", "Read the templates of the WhatsApp Business Account")
            .session()
            .describe("As POST /v1/templates/sync. The body is any JSON object ({}), as every admin POST is JSON.")
            .json_body_inline(json!({"type": "object"}))
            .ok(sync_answer()).errors(&[409, 503]),
        op("get", "/admin/api/broadcasts", "Admin", "The account's broadcasts").session().paged().list("Broadcast"),
        op("get", "/admin/api/broadcasts/{id}/report", "Admin", "A broadcast's report").session().id("id")
            .ok_ref("BroadcastReport"),
        recipients(op("get", "/admin/api/broadcasts/{id}/recipients", "Admin", "A broadcast's recipients, or their CSV")
            .session().id("id")),
        // The native API.
        op("get", "/v1/account", "Account", "The key's account: plan, limits, usage").ok_ref("Account"),
        op("get", "/v1/tags", "Contacts", "Tags with how many people carry each")
            .ok(json!({"type": "array", "items": reference("Tag")})),
        op("post", "/v1/locations", "Locations", "Create a location").json_body("LocationInput").ok_ref("Location"),
        op("get", "/v1/locations", "Locations", "List locations").paged().list("Location"),
        op("get", "/v1/locations/{id}", "Locations", "Get a location").id("id").ok_ref("Location"),
        op("put", "/v1/locations/{id}", "Locations", "Rename a location").id("id").json_body("LocationInput").ok_ref("Location"),
        op("delete", "/v1/locations/{id}", "Locations", "Delete a location").id("id").ok_ref("Success"),
        op("post", "/v1/segments", "Segments", "Create a segment").json_body("SegmentInput").ok_ref("Segment")
            .errors(&[403, 409]).beyond(beyond::SEGMENT),
        op("get", "/v1/segments", "Segments", "List segments")
            .paged()
            .query("locationId", json!({"type": "integer", "format": "int64"}))
            .query("searchText", text())
            .list("Segment"),
        op("post", "/v1/segments/preview", "Segments", "Count and sample a rule without saving it")
            .json_body("SegmentChanges").ok_ref("Preview").beyond(beyond::SEGMENT),
        op("get", "/v1/segments/{id}", "Segments", "Get a segment").id("id").ok_ref("Segment"),
        op("put", "/v1/segments/{id}", "Segments", "Change a segment").id("id").json_body("SegmentChanges")
            .ok_ref("Segment").errors(&[403, 409]).beyond(beyond::SEGMENT).beyond(beyond::SEGMENT_TYPE),
        op("delete", "/v1/segments/{id}", "Segments", "Delete a segment").id("id").ok_ref("Success"),
        op("get", "/v1/segments/{id}/contacts", "Segments", "Its members, by id")
            .id("id").paged().query("after", json!({"type": "integer", "format": "int64"}))
            .describe("after: the last id of the previous page; such pages cost the same at any depth.")
            .list("Person").errors(&[409]).beyond(beyond::MEMBERS_PAGE),
        op("post", "/v1/segments/{id}/contacts", "Segments", "Add members to a static segment")
            .id("id").json_body("Members").ok_ref("Segment").errors(&[409])
            .describe("Also takes CSV (Content-Type: text/csv) whose id (or contactId) column names the members, up to \
                10,000 rows: a contacts export or a broadcast's recipients export."),
        op("delete", "/v1/segments/{id}/contacts", "Segments", "Remove members from a static segment")
            .id("id").json_body("Members").ok_ref("Segment").errors(&[409]),
        op("get", "/v1/segments/{id}/count", "Segments", "How many members now").id("id").ok_ref("Count")
            .errors(&[409]),
        op("post", "/v1/templates", "Templates", "Register a template").json_body("TemplateInput")
            .ok_ref("Template").errors(&[409]).beyond(beyond::TEMPLATE),
        op("post", "/v1/templates/sync", "Templates", "Read the templates of the WhatsApp Business Account")
            .describe("The whatsapp channel's wabaId and accessToken read GET /{waba-id}/message_templates (paged) \
                from the Cloud API; each template is stored by name and language with its content, category and \
                status. Broadcasts of a template now PAUSED, DISABLED or REJECTED pause. 409 without a wabaId or \
                when WhatsApp refuses; 503 when it cannot be reached.")
            .ok(sync_answer())
            .errors(&[409, 503]),
        op("get", "/v1/templates", "Templates", "List templates").paged().list("Template"),
        op("get", "/v1/templates/{id}", "Templates", "Get a template").id("id").ok_ref("Template"),
        op("put", "/v1/templates/{id}", "Templates", "Change a template").id("id").json_body("TemplateChanges")
            .ok_ref("Template").errors(&[409]).beyond(beyond::TEMPLATE),
        op("delete", "/v1/templates/{id}", "Templates", "Delete a template").id("id").ok_ref("Success"),
        op("post", "/v1/messages/{channel}/receive", "Messages", "Record an incoming message")
            .path("channel", channel()).json_body("ReceiveInput").ok_ref("Accepted").beyond(beyond::RECEIVE),
        op("post", "/v1/messages/{id}/cancel", "Messages", "Cancel a scheduled or queued message")
            .id("id").ok_ref("Accepted").errors(&[409]),
        op("post", "/v1/messages/{channel}/{action}", "Messages", "Send a text, media or template message")
            .path("channel", channel())
            .path("action", reference("SendAction"))
            .param("header", "Idempotency-Key", json!({"type": "string", "minLength": 1,
                "maxLength": crate::idempotency::MAX_KEY, "pattern": "^[\\x21-\\x7E]+$"}), false)
            .describe("With an Idempotency-Key, a repeat within 24 hours answers the first answer again and sends \
                nothing new. WhatsApp text and media need the person's message within the last 24 hours.")
            .json_body("SendInput").ok_ref("Accepted").errors(&[409, 422]).beyond(beyond::SEND),
        op("get", "/v1/messages/{contactId}", "Messages", "A person's message log, newest first")
            .id("contactId").paged().query("searchText", text())
            .query("before", json!({"type": "integer", "format": "int64"}))
            .list("Message"),
        op("get", "/v1/channels/{channel}", "Channels", "A channel's settings (secrets only as set or not)")
            .path("channel", channel()).ok_ref("ChannelSettings"),
        op("put", "/v1/channels/{channel}", "Channels", "Change a channel's settings")
            .path("channel", channel()).json_body("ChannelInput").ok_ref("ChannelSettings")
            .beyond(beyond::CHANNEL_SETTINGS),
        op("delete", "/v1/channels/{channel}", "Channels", "Forget a channel's settings: back to the sandbox")
            .path("channel", channel()).ok_ref("ChannelSettings"),
        op("post", "/v1/broadcasts", "Broadcasts", "Send to a segment").json_body("BroadcastInput").ok_ref("Broadcast")
            .errors(&[409]).beyond(beyond::BROADCAST),
        op("get", "/v1/broadcasts", "Broadcasts", "List broadcasts").paged().list("Broadcast"),
        op("get", "/v1/broadcasts/{id}", "Broadcasts", "A broadcast with live stats").id("id").ok_ref("Broadcast"),
        op("post", "/v1/broadcasts/{id}/pause", "Broadcasts", "Pause").id("id").ok_ref("Broadcast").errors(&[409]),
        op("post", "/v1/broadcasts/{id}/resume", "Broadcasts", "Resume").id("id").ok_ref("Broadcast").errors(&[409]),
        op("post", "/v1/broadcasts/{id}/cancel", "Broadcasts", "Cancel what is not sent yet").id("id")
            .ok_ref("Broadcast").errors(&[409]),
        op("get", "/v1/broadcasts/{id}/messages", "Broadcasts", "Its recipients' messages")
            .id("id").paged()
            .query("status", json!({"type": "string", "enum": std::iter::once("").chain(MessageStatus::NAMES).collect::<Vec<_>>(),
                "description": "Only messages in this status; empty for all."}))
            .list("Message"),
        op("get", "/v1/broadcasts/{id}/report", "Broadcasts", "What it did: audience, funnel, failures, cost, timeline")
            .id("id").ok_ref("BroadcastReport"),
        recipients(op("get", "/v1/broadcasts/{id}/recipients", "Broadcasts", "Its recipients, filtered, paged or as CSV")
            .id("id")),
        // Event webhooks (docs/webhooks.md).
        op("post", "/v1/webhooks", "Webhooks", "Add an endpoint that events are pushed to")
            .describe("Answers 201 with the signing secret (whsec_…), shown only here and on rotation. The URL \
                must reach a public address (unless the operator allows others); redirects are never followed.")
            .json_body("WebhookInput")
            .answers(201, "Created, with its secret", json!({"application/json": {"schema": reference("NewWebhook")}}))
            .errors(&[409])
            .beyond(beyond::WEBHOOK),
        op("get", "/v1/webhooks", "Webhooks", "The account's endpoints")
            .ok(json!({"type": "array", "items": reference("Webhook")})),
        op("get", "/v1/webhooks/{id}", "Webhooks", "An endpoint, with why it is disabled if it is").id("id")
            .ok_ref("Webhook"),
        op("put", "/v1/webhooks/{id}", "Webhooks", "Change url, events, description or enabled").id("id")
            .json_body("WebhookChanges").ok_ref("Webhook").beyond(beyond::WEBHOOK),
        op("delete", "/v1/webhooks/{id}", "Webhooks", "Delete an endpoint and its delivery log").id("id")
            .ok_ref("Success"),
        op("post", "/v1/webhooks/{id}/rotate-secret", "Webhooks", "A new signing secret")
            .describe("For 24 hours both secrets sign, space-separated in webhook-signature.")
            .id("id").ok_ref("NewWebhook"),
        op("post", "/v1/webhooks/{id}/test", "Webhooks", "Send a webhook.test event now")
            .id("id").ok_ref("WebhookAttempt"),
        op("get", "/v1/webhooks/{id}/deliveries", "Webhooks", "Recent deliveries, newest first")
            .id("id")
            .query("status", json!({"type": "string", "enum": ["", "pending", "succeeded", "failed"]}))
            .query("limit", json!({"type": "integer", "minimum": 1, "maximum": 500}))
            .query("after", json!({"type": "integer", "format": "int64",
                "description": "The last delivery id of the previous page."}))
            .ok(json!({"type": "array", "items": reference("WebhookDelivery")})),
        op("post", "/v1/webhooks/{id}/replay", "Webhooks", "Queue every event since a time again, same ids")
            .id("id").json_body("ReplayInput")
            .ok(json!({"type": "object", "required": ["queued"], "properties": {"queued": {"type": "integer"}}})),
        // Other vendors' dialects.
        op("post", "/segmenter/segments", "Segmenter", "Create a segment of persons, as Segmenter does")
            .json_body("SegmenterInput").ok_ref("SegmenterResult").errors(&[403]).beyond(beyond::SEGMENTER),
        op("put", "/segmenter/segments/{id}", "Segmenter", "Replace its persons").id("id")
            .json_body("SegmenterChanges").ok_ref("SegmenterResult").errors(&[403]).beyond(beyond::SEGMENTER),
        op("get", "/segmenter/segments/{id}", "Segmenter", "Get it").id("id").ok_ref("SegmenterResult")
            .errors(&[409]),
        // Provider webhooks: public, checked by each provider's own signature.
        op("post", "/webhooks/telegram/{accountId}", "Webhooks", "A Telegram Bot API update")
            .public().id("accountId")
            .param("header", "X-Telegram-Bot-Api-Secret-Token", text(), true)
            .json_body("JsonValue").ok_ref("Success").errors(&[401]),
        op("get", "/webhooks/{channel}/{accountId}", "Webhooks", "Meta's subscription check")
            .public()
            .path("channel", json!({"type": "string", "enum": ["whatsapp", "messenger", "instagram"]}))
            .id("accountId")
            .query("hub.mode", text())
            .query("hub.verify_token", text())
            .query("hub.challenge", text())
            .answers(200, "The challenge, when the verify token matches", json!({"text/plain": {"schema": text()}}))
            .errors(&[403]),
        op("post", "/webhooks/{channel}/{accountId}", "Webhooks", "Meta's signed callbacks")
            .public()
            .path("channel", json!({"type": "string", "enum": ["whatsapp", "messenger", "instagram"]}))
            .id("accountId")
            .param("header", "X-Hub-Signature-256", text(), true)
            .json_body("JsonValue").ok_ref("Success").errors(&[401]),
    ];
    ops.extend(super::wati::operations());
    ops.extend(people("/v1/contacts", "Contacts"));
    ops.extend(people("/v1/clients", "Clients"));
    ops
}

/// `paths`: each path with its operations.
pub fn all() -> Map<String, Value> {
    let mut paths = Map::new();
    for op in operations() {
        let (path, method, body) = op.finish();
        let entry = paths.entry(path).or_insert_with(|| json!({}));
        entry[method] = body;
    }
    paths
}

/// A broadcast's recipients: filters, cursor, and a JSON page or the CSV.
fn recipients(op: Op) -> Op {
    op.query("status", json!({"type": "string", "enum": ["", "queued", "sent", "delivered", "read", "failed", "cancelled", "replied"],
                "description": "Where each message is now, or replied (within the reply window); empty for all."}))
        .query("errorCode", json!({"type": "string", "maxLength": 64, "description": "Only failures with this code."}))
        .query("after", json!({"type": "string", "pattern": r"^\s*([0-9]+\.[0-9]+)?\s*$",
                "description": "The next of the previous page."}))
        .query("limit", json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}))
        .query("format", json!({"type": "string", "enum": ["", "json", "csv"],
                "description": "csv (or Accept: text/csv) streams every recipient as CSV."}))
        .answers(200, "A page, or with format=csv the whole list", json!({
                "application/json": {"schema": reference("Recipients")},
                "text/csv": {"schema": {"type": "string", "description": "id,name,phoneNumber,status,errorCode,errorMessage,queuedAt,sentAt,updatedAt,repliedAt"}}}))
}

/// What a template sync answers.
fn sync_answer() -> Value {
    json!({"type": "object", "required": ["created", "updated", "skipped", "pausedBroadcasts"], "properties": {
        "created": {"type": "integer"}, "updated": {"type": "integer"}, "pausedBroadcasts": {"type": "integer"},
        "skipped": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": ["string", "null"]},
            "language": {"type": ["string", "null"]}, "reason": {"type": "string"}}}}}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_read_as_the_route_and_are_unique() {
        assert_eq!(
            operation_id("get", "/v1/segments/{id}/contacts"),
            "getSegmentsByIdContacts"
        );
        assert_eq!(
            operation_id("post", "/api/v1/createCustomSegment"),
            "postCreateCustomSegment"
        );
        assert_eq!(operation_id("get", "/"), "getIndex");
        let mut ids: Vec<String> = operations()
            .iter()
            .map(|op| operation_id(op.method, &op.path))
            .collect();
        let all = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all, "two operations share an id");
    }
}
