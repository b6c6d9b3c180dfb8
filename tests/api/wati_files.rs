//! Wati's `sendSessionFile` and `getMedia`: a file uploaded, checked, kept in the database,
//! sent (through the Cloud API's media upload when the channel is set up) and fetched back.

use crate::helpers::{TestApp, eventually, spawn_app, spawn_app_with};
use crate::wati_clients::{ASHA, ok, refused, wati, writes};
use actix_multipart::Multipart;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use futures_core::Stream;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchboard::accounts::Plan;
use switchboard::messages::model::Channel;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n";

/// One part of a multipart form: (name, file name, content type, bytes).
type Part<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a [u8]);

/// `POST /api/v1/{path}` with a multipart form of `parts`, as a Wati client uploads.
async fn upload(app: &TestApp, key: &str, path: &str, parts: &[Part<'_>]) -> (StatusCode, Value) {
    let boundary = "sb-test-boundary-7f3a";
    let mut body = Vec::new();
    for (name, file_name, content_type, bytes) in parts {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes(),
        );
        if let Some(file_name) = file_name {
            body.extend_from_slice(format!("; filename=\"{file_name}\"").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        if let Some(content_type) = content_type {
            body.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let res = app
        .client
        .post(app.url(&format!("/api/v1/{path}")))
        .bearer_auth(key)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: {text}")),
    )
}

/// The newest message of `number` once `ready` holds for it.
async fn newest(app: &TestApp, key: &str, number: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let ready = &ready;
    eventually(
        Duration::from_secs(10),
        "the newest message",
        || async move {
            let log = ok(app, key, "GET", &format!("getMessages/{number}"), None).await;
            let item = log["messages"]["items"][0].clone();
            ready(&item).then_some(item)
        },
    )
    .await
}

/// Files kept in the database file.
fn kept(app: &TestApp) -> i64 {
    let conn = rusqlite::Connection::open(&app.db_path).unwrap();
    conn.query_row("SELECT count(*) FROM media", [], |r| r.get(0))
        .unwrap()
}

#[tokio::test]
async fn an_uploaded_file_is_kept_sent_and_fetched_back_by_its_account_only() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let other = app.create_account("b@example.com", Plan::Unlimited).key;
    writes(&app, &key, ASHA, "Can I have the receipt?").await;

    let path = format!("sendSessionFile/{ASHA}?caption=Your%20receipt");
    let sent = upload(
        &app,
        &key,
        &path,
        &[("file", Some("receipt.pdf"), Some("application/pdf"), PDF)],
    )
    .await;
    assert_eq!(sent.0, StatusCode::OK, "{}", sent.1);
    assert_eq!(sent.1["result"], true);
    let message = &sent.1["message"];
    assert_eq!(
        (message["type"].as_str(), message["text"].as_str()),
        (Some("document"), Some("Your receipt"))
    );
    let name = message["data"].as_str().unwrap().to_string();
    assert!(
        name.ends_with(".pdf") && !name.contains("receipt"),
        "{name}"
    );

    let item = newest(&app, &key, ASHA, |m| m["statusString"] == "SENT").await;
    assert_eq!(item["data"], name.as_str());
    let log = app
        .ok(
            "GET",
            &format!("/v1/messages/{}", contact_of(&app, &key).await),
            &key,
            None,
        )
        .await;
    assert_eq!(log[0]["mediaFile"], name.as_str());
    assert_eq!(log[0]["mediaUrl"], Value::Null);

    let res = app
        .client
        .get(app.url(&format!("/api/v1/getMedia?fileName={name}")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(disposition.contains("receipt.pdf"), "{disposition}");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.bytes().await.unwrap().as_ref(), PDF);

    // Another account's file is not there for it; nor is a name never given.
    let theirs = wati(
        &app,
        &other,
        "GET",
        &format!("getMedia?fileName={name}"),
        None,
    )
    .await;
    refused(
        &theirs,
        StatusCode::NOT_FOUND,
        "fileName: no file of this account",
    );
    refused(
        &wati(&app, &key, "GET", "getMedia?fileName=nope.pdf", None).await,
        StatusCode::NOT_FOUND,
        "fileName:",
    );
    refused(
        &wati(&app, &key, "GET", "getMedia", None).await,
        StatusCode::BAD_REQUEST,
        "fileName: required",
    );

    // The caption may come as a form field, and the type from the name alone.
    let by_form = upload(
        &app,
        &key,
        &format!("sendSessionFile/+{ASHA}"),
        &[
            ("caption", None, None, b"Our logo"),
            ("file", Some("logo.png"), None, PNG),
        ],
    )
    .await;
    assert_eq!(by_form.0, StatusCode::OK, "{}", by_form.1);
    assert_eq!(
        (
            by_form.1["message"]["type"].as_str(),
            by_form.1["message"]["text"].as_str()
        ),
        (Some("image"), Some("Our logo"))
    );
    assert_eq!(kept(&app), 2);
}

async fn contact_of(app: &TestApp, key: &str) -> String {
    let found = app
        .ok(
            "GET",
            &format!("/v1/contacts?phoneNumber=%2B{ASHA}"),
            key,
            None,
        )
        .await;
    found["data"][0]["id"]
        .as_str()
        .or(found[0]["id"].as_str())
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_file_refused_for_its_type_size_or_the_window_keeps_nothing() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    writes(&app, &key, ASHA, "hi").await;
    let path = format!("sendSessionFile/{ASHA}");

    let fake = upload(
        &app,
        &key,
        &path,
        &[("file", Some("logo.png"), None, b"MZ\x90\0 an executable")],
    )
    .await;
    refused(
        &fake,
        StatusCode::BAD_REQUEST,
        "file: its content is not a image/png file",
    );
    let html = upload(
        &app,
        &key,
        &path,
        &[("file", Some("a.png"), Some("text/html"), b"<script>")],
    )
    .await;
    refused(
        &html,
        StatusCode::BAD_REQUEST,
        "file: text/html is not a type WhatsApp sends",
    );
    let mut big = PNG.to_vec();
    big.resize(5 * 1024 * 1024 + 1, 0);
    let large = upload(&app, &key, &path, &[("file", Some("big.png"), None, &big)]).await;
    refused(
        &large,
        StatusCode::PAYLOAD_TOO_LARGE,
        "file: a image/png file is at most 5 MiB",
    );
    let mut huge = PDF.to_vec();
    huge.resize(16 * 1024 * 1024 + 1, b' ');
    let past = upload(
        &app,
        &key,
        &path,
        &[("file", Some("huge.pdf"), None, &huge)],
    )
    .await;
    refused(&past, StatusCode::PAYLOAD_TOO_LARGE, "file: at most");
    let none = wati(&app, &key, "POST", &path, Some(json!({"caption": "x"}))).await;
    assert!(none.0.is_client_error(), "{}", none.1);
    assert_eq!(none.1["result"], false);

    // Ravi never wrote: outside the window nothing is queued, and the file is not kept.
    let ravi = upload(
        &app,
        &key,
        "sendSessionFile/919876543211",
        &[("file", Some("r.pdf"), None, PDF)],
    )
    .await;
    refused(&ravi, StatusCode::BAD_REQUEST, "recipient:");
    let bad_number = upload(
        &app,
        &key,
        "sendSessionFile/12",
        &[("file", Some("r.pdf"), None, PDF)],
    )
    .await;
    refused(&bad_number, StatusCode::BAD_REQUEST, "");
    assert_eq!(kept(&app), 0);
    let log = ok(&app, &key, "GET", &format!("getMessages/{ASHA}"), None).await;
    assert_eq!(
        log["messages"]["total"], 1,
        "only Asha's own message: {log}"
    );
}

/// A form part as received: (name, file name, bytes).
type Received = (String, Option<String>, Vec<u8>);
/// An upload as received: its authorization, its parts.
type Upload = (String, Vec<Received>);

/// What a Cloud API stand-in was sent: uploads as (authorization, form fields as text or
/// bytes) and messages as their JSON bodies.
#[derive(Clone, Default)]
struct Graph {
    uploads: Arc<Mutex<Vec<Upload>>>,
    messages: Arc<Mutex<Vec<Value>>>,
}

/// A Graph API stand-in serving `/media` (refusing a file named `bad…` as Meta refuses an
/// unsupported file) and `/messages`.
fn fake_graph_with_media() -> (String, Graph) {
    let graph = Graph::default();
    let state = graph.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .route("/{v}/{id}/media", web::post().to(media))
            .route("/{v}/{id}/messages", web::post().to(message))
    })
    .workers(1)
    .disable_signals()
    .bind("127.0.0.1:0")
    .unwrap();
    let base = format!("http://{}/v21.0", server.addrs()[0]);
    tokio::spawn(server.run());
    (base, graph)
}

async fn media(req: HttpRequest, graph: web::Data<Graph>, mut form: Multipart) -> HttpResponse {
    let mut parts = Vec::new();
    while let Some(Ok(mut field)) = next(&mut form).await {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_string);
        let mut bytes = Vec::new();
        while let Some(Ok(chunk)) = next(&mut field).await {
            bytes.extend_from_slice(&chunk);
        }
        parts.push((name, file_name, bytes));
    }
    let auth = req
        .headers()
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let refuse = parts
        .iter()
        .any(|(_, f, _)| f.as_deref().is_some_and(|f| f.starts_with("bad")));
    let mut uploads = graph.uploads.lock().unwrap();
    uploads.push((auth, parts));
    if refuse {
        return HttpResponse::BadRequest()
            .json(json!({"error": {"message": "(#131053) Media upload error", "code": 131053}}));
    }
    HttpResponse::Ok().json(json!({"id": format!("media-{}", uploads.len())}))
}

async fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    std::future::poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
}

async fn message(graph: web::Data<Graph>, body: web::Json<Value>) -> HttpResponse {
    let mut messages = graph.messages.lock().unwrap();
    messages.push(body.0);
    HttpResponse::Ok().json(json!({"messaging_product": "whatsapp", "messages": [{"id": format!("wamid.{}", messages.len())}]}))
}

#[tokio::test]
async fn with_a_whatsapp_channel_a_file_is_uploaded_then_sent_by_its_media_id() {
    let (base, graph) = fake_graph_with_media();
    let app = spawn_app_with(|c| c.provider_urls.set(Channel::WhatsApp, &base)).await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    app.ok(
        "PUT",
        "/v1/channels/whatsapp",
        &key,
        Some(json!({"phoneNumberId": "1055", "accessToken": "EAAG-secret"})),
    )
    .await;
    writes(&app, &key, ASHA, "Logo please").await;

    let sent = upload(
        &app,
        &key,
        &format!("sendSessionFile/{ASHA}?caption=Logo"),
        &[("file", Some("logo.png"), Some("image/png"), PNG)],
    )
    .await;
    assert_eq!(sent.0, StatusCode::OK, "{}", sent.1);
    let item = newest(&app, &key, ASHA, |m| m["statusString"] != "PENDING").await;
    assert_eq!(item["statusString"], "SENT", "{item}");
    let (auth, parts) = graph.uploads.lock().unwrap()[0].clone();
    assert_eq!(auth, "Bearer EAAG-secret");
    let field = |n: &str| parts.iter().find(|(name, _, _)| name == n).unwrap().clone();
    assert_eq!(field("messaging_product").2, b"whatsapp");
    assert_eq!(field("type").2, b"image/png");
    assert_eq!(
        (field("file").1.as_deref(), field("file").2.as_slice()),
        (Some("logo.png"), PNG)
    );
    let body = graph.messages.lock().unwrap()[0].clone();
    assert_eq!(
        (body["type"].as_str(), body["to"].as_str()),
        (Some("image"), Some(ASHA))
    );
    assert_eq!(body["image"], json!({"id": "media-1", "caption": "Logo"}));

    // A document keeps its name on the phone.
    upload(
        &app,
        &key,
        &format!("sendSessionFile/{ASHA}"),
        &[("file", Some("terms.pdf"), None, PDF)],
    )
    .await;
    newest(&app, &key, ASHA, |m| {
        m["statusString"] == "SENT" && m["type"] == "document"
    })
    .await;
    let body = graph.messages.lock().unwrap()[1].clone();
    assert_eq!(
        body["document"],
        json!({"id": "media-2", "filename": "terms.pdf"})
    );

    // A refused upload fails the message with Meta's words and code; no message is sent.
    upload(
        &app,
        &key,
        &format!("sendSessionFile/{ASHA}"),
        &[("file", Some("bad.pdf"), None, PDF)],
    )
    .await;
    let item = newest(&app, &key, ASHA, |m| m["statusString"] == "FAILED").await;
    assert_eq!(item["type"], "document");
    let log = app
        .ok(
            "GET",
            &format!("/v1/messages/{}", contact_of(&app, &key).await),
            &key,
            None,
        )
        .await;
    assert_eq!(log[0]["errorCode"], "131053", "{}", log[0]);
    let why = log[0]["errorMessage"].as_str().unwrap();
    assert!(
        why.starts_with("uploading the file: WhatsApp refused")
            && why.contains("Media upload error"),
        "{why}"
    );
    assert_eq!(graph.messages.lock().unwrap().len(), 2);
    assert!(!log.to_string().contains("EAAG-secret"));

    // A queued message whose file is gone (planted in the file) fails; nothing is uploaded.
    let contact = contact_of(&app, &key).await;
    let uploads = graph.uploads.lock().unwrap().len();
    rusqlite::Connection::open(&app.db_path)
        .unwrap()
        .execute(
            "INSERT INTO messages (account_id, contact_id, channel, incoming, kind, status,
                 mime_type, payload, created_at, updated_at)
             SELECT account_id, id, 'whatsapp', 0, 'media', 1, 'application/pdf',
                 '{\"file\": \"gone.pdf\"}', 0, 0 FROM contacts WHERE id = ?1",
            [contact.parse::<i64>().unwrap()],
        )
        .unwrap();
    let gone = eventually(Duration::from_secs(10), "the planted message", || async {
        let log = app
            .ok("GET", &format!("/v1/messages/{contact}"), &key, None)
            .await;
        let planted = log
            .as_array()?
            .iter()
            .find(|m| m["mediaFile"] == "gone.pdf")?
            .clone();
        (planted["status"] == "failed").then_some(planted)
    })
    .await;
    assert_eq!(gone["errorCode"], "file_missing", "{gone}");
    assert_eq!(graph.uploads.lock().unwrap().len(), uploads);
}
