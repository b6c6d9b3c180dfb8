use crate::helpers::{error_message, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::accounts::Plan;

const UNAUTHORIZED: &str = r#"{"statusCode":401,"error":"Unauthorized","message":"Unauthorized"}"#;

async fn assert_unauthorized(res: reqwest::Response) {
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, serde_json::from_str::<Value>(UNAUTHORIZED).unwrap());
}

#[tokio::test]
async fn a_missing_or_unknown_key_is_401_with_the_contract_body() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/v1/account")).send().await.unwrap();
    assert_unauthorized(res).await;
    assert_unauthorized(app.get("/v1/account", "sb_live_0000").await).await;
    // Routes that do not exist do not tell a stranger so.
    assert_unauthorized(app.get("/v1/no-such-thing", "sb_live_0000").await).await;
    let res = app
        .client
        .get(app.url("/v1/account"))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    assert_unauthorized(res).await;
}

#[tokio::test]
async fn both_headers_work_and_the_query_string_does_not() {
    let app = spawn_app().await;
    let account = app.create_account("a@example.com", Plan::Subscribed);

    let res = app.get("/v1/account", &account.key).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["email"], "a@example.com");
    assert_eq!(body["plan"], "subscribed");
    assert_eq!(
        body["limits"],
        json!({"perMinute": 300, "perDay": 432000, "segments": 1000,
               "contacts": 1_000_000, "messages": 20_000_000})
    );

    let res = app
        .client
        .get(app.url("/v1/account"))
        .bearer_auth(&account.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    for query in ["x-api-key", "api_key", "apiKey", "key", "token"] {
        let url = app.url(&format!("/v1/account?{query}={}", account.key));
        let res = app.client.get(url).send().await.unwrap();
        assert_unauthorized(res).await;
    }
}

#[tokio::test]
async fn a_revoked_key_is_refused_on_the_very_next_request() {
    let app = spawn_app().await;
    let cookie = app.signup("owner@example.com").await;
    let created = app.create_key(&cookie, "ci").await;
    let key = created["key"].as_str().unwrap();
    assert_eq!(
        app.get("/v1/account", key).await.status(),
        StatusCode::OK,
        "cached now"
    );

    let res = app
        .admin_delete(
            &format!("/keys/{}", created["id"].as_str().unwrap()),
            &cookie,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"success": true}));
    assert_unauthorized(app.get("/v1/account", key).await).await;
}

#[tokio::test]
async fn keys_are_listed_without_secrets_and_remember_their_last_use() {
    let app = spawn_app().await;
    let cookie = app.signup("owner@example.com").await;
    let created = app.create_key(&cookie, "production").await;
    let key = created["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("sb_live_") && key.len() >= 8 + 32, "{key}");
    assert!(key.starts_with(created["prefix"].as_str().unwrap()));

    let listed: Value = app.admin_get("/keys", &cookie).await.json().await.unwrap();
    assert_eq!(listed[0]["name"], "production");
    assert_eq!(listed[0]["lastUsedAt"], Value::Null);
    assert_eq!(listed[0]["revokedAt"], Value::Null);
    assert!(
        !listed.to_string().contains(&key[8..]),
        "the list never holds the secret"
    );

    assert_eq!(app.get("/v1/account", &key).await.status(), StatusCode::OK);
    let listed: Value = app.admin_get("/keys", &cookie).await.json().await.unwrap();
    let last_used = listed[0]["lastUsedAt"]
        .as_str()
        .expect("lastUsedAt set after use");
    assert!(last_used.ends_with('Z'), "{last_used}");
}

#[tokio::test]
async fn keys_are_stored_only_as_digests() {
    let app = spawn_app().await;
    let cookie = app.signup("owner@example.com").await;
    let mut secrets = Vec::new();
    for name in ["one", "two", "three"] {
        let created = app.create_key(&cookie, name).await;
        let key = created["key"].as_str().unwrap().to_string();
        assert_eq!(app.get("/v1/account", &key).await.status(), StatusCode::OK);
        secrets.push(key);
    }
    let dir = app.stop().await;
    // The main file, and whatever the WAL still holds.
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    assert!(bytes.len() > 4096, "the database was read");
    for secret in secrets {
        let random_part = &secret["sb_live_".len() + 6..];
        let found = bytes
            .windows(random_part.len())
            .any(|w| w == random_part.as_bytes());
        assert!(!found, "secret of {secret} found in the database files");
    }
}

#[tokio::test]
async fn an_account_cannot_revoke_or_see_another_accounts_keys() {
    let app = spawn_app_open().await;
    let owner = app.signup("owner@example.com").await;
    let owners_key = app.create_key(&owner, "mine").await;
    let other = app.signup("other@example.com").await;

    let listed: Value = app.admin_get("/keys", &other).await.json().await.unwrap();
    assert_eq!(listed, json!([]));
    let id = owners_key["id"].as_str().unwrap();
    let res = app.admin_delete(&format!("/keys/{id}"), &other).await;
    error_message(res, StatusCode::NOT_FOUND).await;
    let key = owners_key["key"].as_str().unwrap();
    assert_eq!(app.get("/v1/account", key).await.status(), StatusCode::OK);
}

async fn spawn_app_open() -> crate::helpers::TestApp {
    crate::helpers::spawn_app_with(|c| c.signup.open = true).await
}
