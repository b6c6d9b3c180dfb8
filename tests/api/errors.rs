use crate::helpers::{PASSWORD, error_message, spawn_app};
use reqwest::StatusCode;

async fn post_raw(
    app: &crate::helpers::TestApp,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    app.client
        .post(app.url("/admin/api/signup"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn malformed_json_is_400_with_line_and_column() {
    let app = spawn_app().await;
    let res = post_raw(
        &app,
        "{\n  \"email\": \"a@example.com\",\n  \"password\": }",
    )
    .await;
    let message = error_message(res, StatusCode::BAD_REQUEST).await;
    assert!(message.starts_with("malformed JSON"), "{message}");
    assert!(message.contains("line 3 column"), "{message}");
}

#[tokio::test]
async fn a_wrong_type_names_the_field() {
    let app = spawn_app().await;
    let res = post_raw(
        &app,
        format!(r#"{{"email": ["a"], "password": "{PASSWORD}"}}"#),
    )
    .await;
    let message = error_message(res, StatusCode::BAD_REQUEST).await;
    assert!(message.starts_with("email: invalid type"), "{message}");
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let app = spawn_app().await;
    let big = format!(
        r#"{{"email": "{}", "password": "x"}}"#,
        "a".repeat(1024 * 1024 + 1)
    );
    let res = post_raw(&app, big).await;
    error_message(res, StatusCode::PAYLOAD_TOO_LARGE).await;
}

#[tokio::test]
async fn garbage_never_produces_a_server_error() {
    let app = spawn_app().await;
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"\"text\"".to_vec(),
        b"{\"email\": null, \"password\": null}".to_vec(),
        b"{\"email\": \"\\ud800\", \"password\": 1e999}".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x7b],
        "{\"email\": \"a@example.com\", \"password\": \"\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\"}".into(),
        b"{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{".repeat(100),
    ];
    for body in bodies {
        for path in ["/admin/api/signup", "/admin/api/login"] {
            let res = app
                .client
                .post(app.url(path))
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            assert!(
                res.status().is_client_error(),
                "{path} {body:?}: {}",
                res.status()
            );
        }
    }
}
