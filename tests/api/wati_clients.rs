//! Wati's contacts, messages and templates routes, called as Wati integrations call them:
//! `Authorization: Bearer`, numbers without `+`, parameters in the query, a form or JSON.

use crate::helpers::{TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::accounts::Plan;
use switchboard::accounts::model::Overrides;

pub(crate) const ASHA: &str = "919876543210";

/// A request as a Wati client makes it: the key as a bearer token, JSON when there is a body.
pub(crate) async fn wati(
    app: &TestApp,
    key: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = app
        .client
        .request(method, app.url(&format!("/api/v1/{path}")))
        .bearer_auth(key);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: {text}")),
    )
}

pub(crate) async fn ok(
    app: &TestApp,
    key: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Value {
    let (status, body) = wati(app, key, method, path, body).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

/// Asserts Wati's refusal shape and that `info` starts with `info`.
pub(crate) fn refused(answer: &(StatusCode, Value), status: StatusCode, info: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1["result"], false, "{}", answer.1);
    let said = answer.1["info"].as_str().unwrap();
    assert!(said.starts_with(info), "{said}");
    assert_eq!(
        answer.1.as_object().unwrap().len(),
        2,
        "only result and info: {}",
        answer.1
    );
}

/// `number` writes on WhatsApp, which opens its 24-hour window.
pub(crate) async fn writes(app: &TestApp, key: &str, number: &str, text: &str) {
    app.ok(
        "POST",
        "/v1/messages/whatsapp/receive",
        key,
        Some(json!({"sender": {"phoneNumber": format!("+{number}")}, "textMessage": text})),
    )
    .await;
}

async fn template(app: &TestApp, key: &str) {
    app.ok(
        "POST",
        "/v1/templates",
        key,
        Some(json!({"name": "order_update", "language": "en",
            "body": "Hi {{1}}, your order ships on {{2}}."})),
    )
    .await;
}

#[tokio::test]
async fn failures_answer_in_watis_shape_with_the_native_status() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    refused(
        &wati(&app, "wrong", "GET", "getContacts", None).await,
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
    );
    refused(
        &wati(&app, &key, "GET", "getNothing", None).await,
        StatusCode::NOT_FOUND,
        "no route for GET",
    );
    refused(
        &wati(&app, &key, "POST", "addContact/12ab", Some(json!({}))).await,
        StatusCode::BAD_REQUEST,
        "whatsappNumber:",
    );
    refused(
        &wati(&app, &key, "GET", "getContacts?pageSize=ten", None).await,
        StatusCode::BAD_REQUEST,
        "pageSize:",
    );

    let limited = Overrides {
        per_minute: Some(1),
        ..Overrides::default()
    };
    let tight = app
        .create_account_with("tight@example.com", Plan::Trial, limited)
        .key;
    ok(&app, &tight, "GET", "getContacts", None).await;
    let res = app
        .client
        .get(app.url("/api/v1/getContacts"))
        .bearer_auth(&tight)
        .send()
        .await
        .unwrap();
    assert!(res.headers().contains_key("retry-after"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["result"], false);
    assert!(
        body["info"]
            .as_str()
            .unwrap()
            .starts_with("rate limit exceeded"),
        "{body}"
    );
}

#[tokio::test]
async fn get_contacts_pages_and_filters_through_the_rule_engine() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    for (name, phone, city) in [
        ("Asha Rao", "+919876543210", "Pune"),
        ("Ravi Kumar", "+919876543211", "Delhi"),
        ("Meera Iyer", "+919876543212", "Pune"),
    ] {
        app.ok(
            "POST",
            "/v1/contacts",
            &key,
            Some(json!({"name": name, "phoneNumber": phone, "attributes": {"city": city}})),
        )
        .await;
    }
    let page = ok(
        &app,
        &key,
        "GET",
        "getContacts?pageSize=2&pageNumber=2",
        None,
    )
    .await;
    assert_eq!(page["result"], "success");
    assert_eq!(
        page["link"],
        json!({"pageNumber": 2, "pageSize": 2, "total": 3, "prevPage": 1, "nextPage": null})
    );
    let only = &page["contact_list"][0];
    assert_eq!(only["fullName"], "Meera Iyer");
    assert_eq!(only["wAid"], "919876543212");
    assert_eq!(
        only["customParams"],
        json!([{"name": "city", "value": "Pune"}])
    );

    let filter = r#"[{"name":"city","operator":"contain","value":"pun"}]"#;
    let path = format!("getContacts?pageSize=0&attribute={}", urlencode(filter));
    let pune = ok(&app, &key, "GET", &path, None).await;
    let names: Vec<&str> = pune["contact_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["fullName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Asha Rao", "Meera Iyer"]);
    assert_eq!(pune["link"]["total"], 2);
    let ravi = ok(&app, &key, "GET", "getContacts?name=Ravi", None).await;
    assert_eq!(ravi["link"]["total"], 1);
    let today = switchboard::clock::rfc3339(switchboard::clock::now())[..10].to_string();
    let made_today = ok(
        &app,
        &key,
        "GET",
        &format!("getContacts?createdDate={today}"),
        None,
    )
    .await;
    assert_eq!(made_today["link"]["total"], 3);
    let made_then = ok(
        &app,
        &key,
        "GET",
        "getContacts?createdDate=01/02/2020",
        None,
    )
    .await;
    assert_eq!(made_then["link"]["total"], 0);

    let bad_value = r#"[{"name":"createdAt","operator":"greaterThan","value":"soon"}]"#;
    let path = format!("getContacts?attribute={}", urlencode(bad_value));
    refused(
        &wati(&app, &key, "GET", &path, None).await,
        StatusCode::BAD_REQUEST,
        "groups[0].conditions[0].value",
    );
    refused(
        &wati(&app, &key, "GET", "getContacts?attribute=city", None).await,
        StatusCode::BAD_REQUEST,
        "attribute:",
    );
}

/// A POST with one field as a URL-encoded form.
async fn form(app: &TestApp, key: &str, path: &str, field: &str, value: &str) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/{path}")))
        .bearer_auth(key)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("{field}={}", urlencode(value)))
        .send()
        .await
        .unwrap()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn add_contact_upserts_by_number_and_attributes_merge() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let made = ok(
        &app,
        &key,
        "POST",
        &format!("addContact/{ASHA}"),
        Some(json!({"name": "Asha Rao", "customParams": [{"name": "city", "value": "Pune"}]})),
    )
    .await;
    assert_eq!(made["result"], true);
    let id = made["contact"]["id"].clone();
    assert_eq!(made["contact"]["phone"], ASHA);

    // The same number with +, its params as a JSON string, in a form: the same contact.
    let params = json!([{"name": "plan", "value": "gold"}]).to_string();
    let res = form(
        &app,
        &key,
        &format!("addContact/+{ASHA}"),
        "customParams",
        &params,
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let again: Value = res.json().await.unwrap();
    assert_eq!(again["contact"]["id"], id);
    assert_eq!(
        again["contact"]["fullName"], "Asha Rao",
        "a name left out stays"
    );

    let merged = ok(
        &app,
        &key,
        "POST",
        &format!("updateContactAttributes/{ASHA}"),
        Some(json!({"customParams": [{"name": "city", "value": "Mumbai"}]})),
    )
    .await;
    assert_eq!(merged, json!({"result": true}));
    let native = app
        .ok(
            "GET",
            &format!("/v1/contacts/{}", id.as_str().unwrap()),
            &key,
            None,
        )
        .await;
    assert_eq!(
        native["attributes"],
        json!({"city": "Mumbai", "plan": "gold"})
    );

    let unknown = ok(
        &app,
        &key,
        "POST",
        "updateContactAttributes/14155550100",
        Some(json!({"customParams": [{"name": "city", "value": "x"}]})),
    )
    .await;
    assert_eq!(unknown["result"], false);
    assert!(
        unknown["info"]
            .as_str()
            .unwrap()
            .starts_with("whatsappNumber:")
    );
    refused(
        &wati(
            &app,
            &key,
            "POST",
            &format!("updateContactAttributes/{ASHA}"),
            Some(json!({})),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "customParams: required",
    );
    let contacts = app.ok("GET", "/v1/contacts", &key, None).await;
    assert_eq!(
        contacts.as_array().unwrap().len(),
        1,
        "no second copy of anyone"
    );
}

#[tokio::test]
async fn session_messages_keep_the_24_hour_rule_and_come_back_newest_first() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    ok(
        &app,
        &key,
        "POST",
        &format!("addContact/{ASHA}"),
        Some(json!({"name": "Asha"})),
    )
    .await;
    refused(
        &wati(
            &app,
            &key,
            "POST",
            &format!("sendSessionMessage/{ASHA}?messageText=Hi"),
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "recipient:",
    );
    let log = ok(&app, &key, "GET", &format!("getMessages/{ASHA}"), None).await;
    assert_eq!(log["messages"]["total"], 0, "nothing was queued");

    writes(&app, &key, ASHA, "Where is my order?").await;
    let by_query = ok(
        &app,
        &key,
        "POST",
        &format!("sendSessionMessage/{ASHA}?messageText=In%20the%20query"),
        None,
    )
    .await;
    assert_eq!(by_query["result"], true);
    assert_eq!(by_query["message"]["owner"], true);
    let by_json = ok(
        &app,
        &key,
        "POST",
        &format!("sendSessionMessage/{ASHA}"),
        Some(json!({"messageText": "In the body"})),
    )
    .await;
    assert_eq!(by_json["message"]["text"], "In the body");
    let res = form(
        &app,
        &key,
        &format!("sendSessionMessage/{ASHA}"),
        "messageText",
        "In a form",
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    refused(
        &wati(
            &app,
            &key,
            "POST",
            &format!("sendSessionMessage/{ASHA}"),
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "messageText: required",
    );

    let log = ok(
        &app,
        &key,
        "GET",
        &format!("getMessages/{ASHA}?pageSize=3"),
        None,
    )
    .await;
    assert_eq!(log["messages"]["total"], 4);
    let items = log["messages"]["items"].as_array().unwrap();
    let texts: Vec<&str> = items.iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["In a form", "In the body", "In the query"]);
    assert_eq!(log["link"]["nextPage"], 2);
    let first = ok(
        &app,
        &key,
        "GET",
        &format!("getMessages/{ASHA}?pageSize=3&pageNumber=2"),
        None,
    )
    .await;
    let incoming = &first["messages"]["items"][0];
    assert_eq!(
        (incoming["owner"].clone(), incoming["statusString"].clone()),
        (json!(false), json!("RECEIVED"))
    );
    refused(
        &wati(&app, &key, "GET", "getMessages/14155550100", None).await,
        StatusCode::NOT_FOUND,
        "whatsappNumber:",
    );
}

#[tokio::test]
async fn templates_list_and_send_with_parameters_by_number_or_in_order() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    template(&app, &key).await;
    let listed = ok(&app, &key, "GET", "getMessageTemplates", None).await;
    let t = &listed["messageTemplates"][0];
    assert_eq!(t["elementName"], "order_update");
    assert_eq!(
        t["customParams"],
        json!([{"paramName": "1"}, {"paramName": "2"}])
    );
    assert_eq!(listed["link"]["total"], 1);

    // Templates need no open window.
    let by_name = ok(
        &app,
        &key,
        "POST",
        &format!("sendTemplateMessage?whatsappNumber={ASHA}"),
        Some(
            json!({"template_name": "order_update", "broadcast_name": "orders",
            "parameters": [{"name": "2", "value": "Friday"}, {"name": "1", "value": "Asha"}]}),
        ),
    )
    .await;
    assert_eq!(by_name["result"], true);
    assert_eq!(
        by_name["message"]["text"],
        "Hi Asha, your order ships on Friday."
    );
    let in_order = ok(
        &app,
        &key,
        "POST",
        &format!("sendTemplateMessage/{ASHA}"),
        Some(json!({"template_name": "order_update",
            "parameters": json!([{"name": "name", "value": "Asha"}, {"name": "day", "value": "Monday"}]).to_string()})),
    )
    .await;
    assert_eq!(
        in_order["message"]["text"],
        "Hi Asha, your order ships on Monday."
    );
    refused(
        &wati(&app, &key, "POST", &format!("sendTemplateMessage/{ASHA}"),
            Some(json!({"template_name": "order_update", "parameters": [{"name": "1", "value": "Asha"}]}))).await,
        StatusCode::BAD_REQUEST,
        "parameters: template order_update takes 2",
    );
    refused(
        &wati(
            &app,
            &key,
            "POST",
            &format!("sendTemplateMessage/{ASHA}"),
            Some(json!({"template_name": "gone"})),
        )
        .await,
        StatusCode::NOT_FOUND,
        "template_name: no template gone",
    );
    let log = ok(&app, &key, "GET", &format!("getMessages/{ASHA}"), None).await;
    assert_eq!(log["messages"]["total"], 2);
}

#[tokio::test]
async fn one_account_never_reaches_anothers_contacts_or_messages() {
    let app = spawn_app().await;
    let a = app.create_account("a@example.com", Plan::Unlimited).key;
    let b = app.create_account("b@example.com", Plan::Unlimited).key;
    ok(
        &app,
        &a,
        "POST",
        &format!("addContact/{ASHA}"),
        Some(json!({"name": "A's Asha"})),
    )
    .await;
    writes(&app, &a, ASHA, "hello A").await;
    template(&app, &a).await;

    let seen = ok(&app, &b, "GET", "getContacts", None).await;
    assert_eq!(seen["link"]["total"], 0);
    refused(
        &wati(&app, &b, "GET", &format!("getMessages/{ASHA}"), None).await,
        StatusCode::NOT_FOUND,
        "whatsappNumber:",
    );
    let update = ok(
        &app,
        &b,
        "POST",
        &format!("updateContactAttributes/{ASHA}"),
        Some(json!({"customParams": [{"name": "x", "value": "y"}]})),
    )
    .await;
    assert_eq!(update["result"], false);
    refused(
        &wati(
            &app,
            &b,
            "POST",
            &format!("sendSessionMessage/{ASHA}?messageText=hi"),
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "recipient:",
    );
    refused(
        &wati(
            &app,
            &b,
            "POST",
            &format!("sendTemplateMessage/{ASHA}"),
            Some(json!({"template_name": "order_update"})),
        )
        .await,
        StatusCode::NOT_FOUND,
        "template_name:",
    );
    let a_log = ok(&app, &a, "GET", &format!("getMessages/{ASHA}"), None).await;
    assert_eq!(
        a_log["messages"]["total"], 1,
        "B's attempts touched nothing of A's"
    );
}

/// The calls of a Wati integration, in order.
#[tokio::test]
async fn a_wati_integration_works_unchanged() {
    let app = spawn_app().await;
    let key = app.create_account("shop@example.com", Plan::Unlimited).key;
    template(&app, &key).await;
    let added = ok(
        &app,
        &key,
        "POST",
        &format!("addContact/{ASHA}"),
        Some(json!({"name": "Asha Rao", "customParams": [{"name": "order", "value": "A-17"}]})),
    )
    .await;
    let id = added["contact"]["id"].clone();
    let listed = ok(
        &app,
        &key,
        "GET",
        "getContacts?pageSize=10&pageNumber=1",
        None,
    )
    .await;
    assert_eq!(listed["contact_list"][0]["id"], id);
    writes(&app, &key, ASHA, "Is A-17 on its way?").await;
    ok(
        &app,
        &key,
        "POST",
        &format!("sendSessionMessage/{ASHA}?messageText=Yes, it ships today"),
        None,
    )
    .await;
    let messages = ok(&app, &key, "GET", &format!("getMessages/{ASHA}"), None).await;
    let owners: Vec<bool> = messages["messages"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["owner"].as_bool().unwrap())
        .collect();
    assert_eq!(owners, [true, false]);
    let templates = ok(&app, &key, "GET", "getMessageTemplates", None).await;
    let name = templates["messageTemplates"][0]["elementName"]
        .as_str()
        .unwrap()
        .to_string();
    let sent = ok(
        &app,
        &key,
        "POST",
        &format!("sendTemplateMessage?whatsappNumber={ASHA}"),
        Some(json!({"template_name": name, "broadcast_name": "shipping",
            "parameters": [{"name": "1", "value": "Asha"}, {"name": "2", "value": "today"}]})),
    )
    .await;
    assert_eq!(sent["message"]["statusString"], "PENDING");
    let three = ok(&app, &key, "POST", "sendTemplateMessages",
        Some(json!({"template_name": name, "broadcast_name": "restock", "receivers": [
            {"whatsappNumber": ASHA, "customParams": [{"name": "1", "value": "Asha"}, {"name": "2", "value": "soon"}]},
            {"whatsappNumber": "919876543221", "customParams": [{"name": "1", "value": "Ravi"}, {"name": "2", "value": "soon"}]},
            {"whatsappNumber": "919876543222", "customParams": [{"name": "1", "value": "Meera"}, {"name": "2", "value": "soon"}]},
        ]}))).await;
    assert!(
        three["receivers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["localMessageId"].is_string())
    );
    // The native API sees the same contact and log: no second copy.
    let native = app
        .ok(
            "GET",
            &format!("/v1/messages/{}", id.as_str().unwrap()),
            &key,
            None,
        )
        .await;
    assert_eq!(native.as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn files_by_url_take_their_type_from_their_name_and_keep_the_window() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let receipt = "https://files.example.com/r/receipt.pdf";
    let path = format!(
        "sendSessionFileViaUrl/{ASHA}?url={}&caption=Your%20receipt",
        urlencode(receipt)
    );
    refused(
        &wati(&app, &key, "POST", &path, None).await,
        StatusCode::BAD_REQUEST,
        "recipient:",
    );

    writes(&app, &key, ASHA, "Can I have the receipt?").await;
    let sent = ok(&app, &key, "POST", &path, None).await;
    assert_eq!(sent["message"]["type"], "document");
    assert_eq!(sent["message"]["data"], receipt);
    assert_eq!(sent["message"]["text"], "Your receipt", "the caption");
    let by_body = ok(
        &app,
        &key,
        "POST",
        &format!("sendSessionFileViaUrl/{ASHA}"),
        Some(json!({"url": "https://files.example.com/blob", "mimeType": "image/png"})),
    )
    .await;
    assert_eq!(by_body["message"]["type"], "image");
    refused(
        &wati(
            &app,
            &key,
            "POST",
            &format!("sendSessionFileViaUrl/{ASHA}?url=https://files.example.com/blob"),
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "url: its name does not tell",
    );
    refused(
        &wati(
            &app,
            &key,
            "POST",
            &format!("sendSessionFileViaUrl/{ASHA}?url=ftp://files.example.com/a.pdf"),
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "mediaUrl:",
    );
}

/// Polls the broadcast until the sandbox has sent it.
async fn completed(app: &TestApp, key: &str, id: &str) -> Value {
    for _ in 0..200 {
        let b = app
            .ok("GET", &format!("/v1/broadcasts/{id}"), key, None)
            .await;
        if b["status"] == "completed" {
            return b;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("broadcast {id} did not complete");
}

#[tokio::test]
async fn template_messages_to_a_list_are_one_broadcast_with_each_receivers_parameters() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    template(&app, &key).await;
    let out = app
        .ok(
            "POST",
            "/v1/contacts",
            &key,
            Some(json!({"name": "Out", "phoneNumber": "+919876543213"})),
        )
        .await;
    let out_id = out["id"].as_str().unwrap();
    let bystander = app
        .ok(
            "POST",
            "/v1/contacts",
            &key,
            Some(json!({"name": "Not listed", "phoneNumber": "+919876543219"})),
        )
        .await;
    app.ok(
        "PUT",
        &format!("/v1/contacts/{out_id}"),
        &key,
        Some(json!({"optedOut": true})),
    )
    .await;
    let params =
        |name: &str, day: &str| json!([{"name": "1", "value": name}, {"name": "2", "value": day}]);
    let answer = ok(
        &app,
        &key,
        "POST",
        "sendTemplateMessages",
        Some(json!({"template_name": "order_update", "broadcast_name": "Friday orders", "receivers": [
            {"whatsappNumber": ASHA, "customParams": params("Asha", "Friday")},
            {"whatsappNumber": "+919876543211", "customParams": params("Ravi", "Monday")},
            {"whatsappNumber": "919876543213", "customParams": params("Out", "never")},
            {"whatsappNumber": "12ab", "customParams": params("x", "y")},
            {"whatsappNumber": "919876543214", "customParams": [{"name": "1", "value": "short"}]},
            {"whatsappNumber": ASHA, "customParams": params("Asha again", "Sunday")},
        ]})),
    )
    .await;
    assert_eq!(answer["result"], true);
    let lines = answer["receivers"].as_array().unwrap();
    let sent: Vec<bool> = lines
        .iter()
        .map(|l| !l["localMessageId"].is_null())
        .collect();
    assert_eq!(sent, [true, true, false, false, false, false]);
    let first_error = |i: usize| lines[i]["errors"][0].as_str().unwrap().to_string();
    assert!(first_error(2).starts_with("recipient: the contact opted out"));
    assert!(first_error(3).starts_with("whatsappNumber:"));
    assert_eq!(lines[3]["isValidWhatsAppNumber"], false);
    assert!(first_error(4).starts_with("customParams: template order_update takes 2"));
    assert!(first_error(5).starts_with("whatsappNumber: named twice"));
    assert_eq!(lines[0]["waId"], ASHA);

    let broadcasts = app.ok("GET", "/v1/broadcasts", &key, None).await;
    let listed = broadcasts.as_array().unwrap();
    assert_eq!(listed.len(), 1, "one broadcast");
    assert_eq!(listed[0]["name"], "Friday orders");
    assert_eq!(listed[0]["segment"], Value::Null);
    let done = completed(&app, &key, listed[0]["id"].as_str().unwrap()).await;
    assert_eq!(done["stats"]["sent"], 2);
    assert_eq!(done["stats"]["skippedReasons"]["optedOut"], 1);

    let asha = ok(&app, &key, "GET", &format!("getMessages/{ASHA}"), None).await;
    assert_eq!(
        asha["messages"]["items"][0]["text"],
        "Hi Asha, your order ships on Friday."
    );
    assert_eq!(
        asha["messages"]["items"][0]["eventType"],
        "broadcastMessage"
    );
    let nobody = app
        .ok(
            "GET",
            &format!("/v1/messages/{}", bystander["id"].as_str().unwrap()),
            &key,
            None,
        )
        .await;
    assert_eq!(nobody, json!([]), "the list, and nobody else");
    let ravi = ok(&app, &key, "GET", "getMessages/919876543211", None).await;
    assert_eq!(
        ravi["messages"]["items"][0]["text"],
        "Hi Ravi, your order ships on Monday."
    );

    let other = app.create_account("b@example.com", Plan::Unlimited).key;
    refused(
        &wati(
            &app,
            &other,
            "POST",
            "sendTemplateMessages",
            Some(json!({"template_name": "order_update", "receivers": [{"whatsappNumber": ASHA}]})),
        )
        .await,
        StatusCode::NOT_FOUND,
        "template_name:",
    );
    refused(
        &wati(
            &app,
            &key,
            "POST",
            "sendTemplateMessages",
            Some(json!({"template_name": "order_update", "receivers": []})),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "receivers:",
    );
}

#[tokio::test]
async fn a_csv_file_of_numbers_and_parameters_is_one_broadcast() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    template(&app, &key).await;
    let csv = "Phone,name,day\n919876543210,Asha,Friday\n919876543211,Ravi,Monday\n";
    let boundary = "XyZ";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"whatsapp_numbers_csv\"; filename=\"list.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    let post = |body: String| {
        app.client
            .post(app.url(
                "/api/v1/sendTemplateMessageCSV?template_name=order_update&broadcast_name=restock",
            ))
            .bearer_auth(&key)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
    };
    let res = post(body).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let answer: Value = res.json().await.unwrap();
    let lines = answer["receivers"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert!(
        lines.iter().all(|l| l["localMessageId"].is_string()),
        "{answer}"
    );
    let broadcasts = app.ok("GET", "/v1/broadcasts", &key, None).await;
    assert_eq!(broadcasts[0]["name"], "restock");
    completed(&app, &key, broadcasts[0]["id"].as_str().unwrap()).await;
    let ravi = ok(&app, &key, "GET", "getMessages/919876543211", None).await;
    assert_eq!(
        ravi["messages"]["items"][0]["text"],
        "Hi Ravi, your order ships on Monday."
    );

    let empty = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"e.csv\"\r\n\r\nPhone\r\n--{boundary}--\r\n"
    );
    let res = post(empty).await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["info"]
            .as_str()
            .unwrap()
            .starts_with("file: no receivers"),
        "{body}"
    );

    let res = app
        .client
        .post(app.url("/api/v1/sendTemplateMessageCSV?template_name=order_update"))
        .bearer_auth(&key)
        .json(&json!({"receivers": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["result"], false, "{body}");
    assert!(
        body["info"].as_str().unwrap().starts_with("file:"),
        "{body}"
    );
}
