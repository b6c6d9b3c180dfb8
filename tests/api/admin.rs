use crate::helpers::{
    PASSWORD, TestApp, error_message, eventually, session_cookie, spawn_app, spawn_app_with,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use switchboard::http::client::Cidr;

#[tokio::test]
async fn the_first_signup_owns_the_server_and_later_ones_are_refused() {
    let app = spawn_app().await;
    let res = app
        .admin_post(
            "/signup",
            None,
            json!({"email": "Owner@Example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let set_cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/admin"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["email"], "Owner@Example.com");
    assert_eq!(body["plan"], "unlimited");
    assert!(body["id"].is_string());

    let res = app
        .admin_post(
            "/signup",
            None,
            json!({"email": "second@example.com", "password": PASSWORD}),
        )
        .await;
    let message = error_message(res, StatusCode::FORBIDDEN).await;
    assert!(message.contains("sign-up is closed"), "{message}");
}

#[tokio::test]
async fn open_signup_admits_more_accounts_on_the_configured_plan() {
    let app = spawn_app_with(|c| c.signup.open = true).await;
    app.signup("owner@example.com").await;
    let res = app
        .admin_post(
            "/signup",
            None,
            json!({"email": "second@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["plan"], "trial");
    let res = app
        .admin_post(
            "/signup",
            None,
            json!({"email": "SECOND@example.com", "password": PASSWORD}),
        )
        .await;
    let message = error_message(res, StatusCode::CONFLICT).await;
    assert!(message.starts_with("email:"), "{message}");
}

#[tokio::test]
async fn signup_validates_each_field() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"email": "a@example.com", "password": "short"}),
            "password: must be at least 10",
        ),
        (
            json!({"email": "not-an-email", "password": PASSWORD}),
            "email: not a valid email",
        ),
        (json!({"password": PASSWORD}), "missing field `email`"),
        (
            json!({"email": "a@example.com"}),
            "missing field `password`",
        ),
        (
            json!({"email": 5, "password": PASSWORD}),
            "email: invalid type",
        ),
        (
            json!({"email": "a@example.com", "password": "x".repeat(2000)}),
            "password: must be at most",
        ),
    ];
    for (body, expected) in cases {
        let res = app.admin_post("/signup", None, body.clone()).await;
        let message = error_message(res, StatusCode::BAD_REQUEST).await;
        assert!(message.contains(expected), "{body}: {message}");
    }
    // Nothing was created by the refused attempts: the first real sign-up still owns the server.
    app.signup("owner@example.com").await;
}

#[tokio::test]
async fn login_says_the_same_for_an_unknown_email_and_a_wrong_password() {
    let app = spawn_app().await;
    app.signup("owner@example.com").await;
    let wrong = app.login("owner@example.com", "wrong password!").await;
    let wrong = error_message(wrong, StatusCode::UNAUTHORIZED).await;
    let unknown = app.login("nobody@example.com", "wrong password!").await;
    let unknown = error_message(unknown, StatusCode::UNAUTHORIZED).await;
    assert_eq!(wrong, unknown);

    let res = app.login("OWNER@example.com", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(session_cookie(&res).is_some());
}

#[tokio::test]
async fn login_issues_a_new_session_and_ends_the_presented_one() {
    let app = spawn_app().await;
    let first = app.signup("owner@example.com").await;
    let res = app
        .admin_post(
            "/login",
            Some(&first),
            json!({"email": "owner@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let second = session_cookie(&res).unwrap();
    assert_ne!(first, second, "the session id changes at login");
    assert_eq!(
        app.admin_get("/me", &first).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.admin_get("/me", &second).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    let cookie = app.signup("owner@example.com").await;
    assert_eq!(app.admin_get("/me", &cookie).await.status(), StatusCode::OK);
    let res = app.admin_post("/logout", Some(&cookie), json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    // Replaying the old cookie (as a thief would) no longer works.
    let res = app.admin_get("/me", &cookie).await;
    error_message(res, StatusCode::UNAUTHORIZED).await;
    assert_eq!(
        app.admin_get("/keys", "sb_session=forged").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn failed_logins_are_throttled_per_email() {
    let app = spawn_app().await;
    app.signup("owner@example.com").await;
    for _ in 0..5 {
        let res = app.login("owner@example.com", "wrong password!").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // Even the right password waits now: a guesser cannot tell a hit from a miss.
    let res = app.login("owner@example.com", PASSWORD).await;
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 900, "{retry}");
    let message = error_message(res, StatusCode::TOO_MANY_REQUESTS).await;
    assert!(message.contains("too many failed logins"), "{message}");
}

#[tokio::test]
async fn failed_logins_are_throttled_per_client_across_emails() {
    let app = spawn_app().await;
    for i in 0..20 {
        let res = app
            .login(&format!("user{i}@example.com"), "wrong password!")
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let res = app.login("fresh@example.com", "wrong password!").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn concurrent_guesses_reach_the_hash_at_most_five_times() {
    let app = spawn_app().await;
    app.signup("owner@example.com").await;
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..30 {
        let (client, url) = (app.client.clone(), app.url("/admin/api/login"));
        let body = json!({"email": "owner@example.com", "password": format!("guess number {i}")});
        guesses.spawn(async move { client.post(url).json(&body).send().await.unwrap().status() });
    }
    let statuses = guesses.join_all().await;
    // A guess that reached the hash is answered 401; the others 429 (throttled) or 503
    // (every hashing place taken).
    let hashed = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(
        hashed <= 5,
        "{hashed} guesses reached the hash: {statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| [401, 429, 503].contains(&s.as_u16())),
        "{statuses:?}"
    );
    let long = format!("{}@example.com", "x".repeat(250));
    let res = app.login(&long, "whatever password").await;
    let message = error_message(res, StatusCode::BAD_REQUEST).await;
    assert_eq!(message, "email: must be at most 254 characters");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_is_throttled_alone() {
    let trusted = Cidr::parse("127.0.0.1").unwrap();
    let app = spawn_app_with(|c| c.edge.trusted_proxies = vec![trusted]).await;
    let login = |from: &'static str, i: usize| {
        app.client
            .post(app.url("/admin/api/login"))
            .header("x-forwarded-for", from)
            .json(&json!({"email": format!("user{i}@example.com"), "password": "wrong password!"}))
            .send()
    };
    for i in 0..20 {
        let res = login("203.0.113.5", i).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    assert_eq!(
        login("203.0.113.5", 20).await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        login("198.51.100.7", 21).await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "another client behind the same proxy is not locked out"
    );

    // Without the setting, the header is anyone's to write and counts for nothing.
    let open = spawn_app().await;
    for i in 0..20 {
        let res = open
            .client
            .post(open.url("/admin/api/login"))
            .header("x-forwarded-for", format!("203.0.113.{i}"))
            .json(&json!({"email": format!("user{i}@example.com"), "password": "wrong password!"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = open.login("fresh@example.com", "wrong password!").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn sign_ups_are_throttled_per_client() {
    let app = spawn_app_with(|c| c.signup.open = true).await;
    for i in 0..10 {
        app.signup(&format!("user{i}@example.com")).await;
    }
    let res = app
        .admin_post(
            "/signup",
            None,
            json!({"email": "one-more@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn the_session_cookie_is_secure_only_when_the_operator_says_so() {
    let secure = |res: &reqwest::Response| {
        res.headers()
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().unwrap().contains("Secure"))
    };
    let signup = |app: &TestApp| {
        app.client
            .post(app.url("/admin/api/signup"))
            .header("x-forwarded-proto", "https")
            .json(&json!({"email": "owner@example.com", "password": PASSWORD}))
            .send()
    };
    let open = spawn_app().await;
    assert!(
        !secure(&signup(&open).await.unwrap()),
        "anyone can write the header"
    );
    let trusted = Cidr::parse("127.0.0.0/8").unwrap();
    let proxied = spawn_app_with(|c| c.edge.trusted_proxies = vec![trusted]).await;
    assert!(secure(&signup(&proxied).await.unwrap()));
    let always = spawn_app_with(|c| c.edge.secure_cookies = true).await;
    let res = always
        .admin_post(
            "/signup",
            None,
            json!({"email": "o@example.com", "password": PASSWORD}),
        )
        .await;
    assert!(secure(&res));
}

#[tokio::test]
async fn mutating_calls_without_a_json_content_type_are_refused() {
    let app = spawn_app().await;
    let cookie = app.signup("owner@example.com").await;
    for content_type in [
        "application/x-www-form-urlencoded",
        "text/plain",
        "multipart/form-data",
    ] {
        let res = app
            .client
            .post(app.url("/admin/api/keys"))
            .header("cookie", &cookie)
            .header("content-type", content_type)
            .body(r#"{"name":"csrf"}"#)
            .send()
            .await
            .unwrap();
        error_message(res, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    }
    let res = app
        .client
        .post(app.url("/admin/api/logout"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let keys: Value = app.admin_get("/keys", &cookie).await.json().await.unwrap();
    assert_eq!(keys, json!([]), "no key was created");
    assert_eq!(
        app.admin_get("/me", &cookie).await.status(),
        StatusCode::OK,
        "still signed in"
    );
    // DELETE has no body to type: no other site can send it without a preflight.
    let created: Value = app
        .admin_post("/keys", Some(&cookie), json!({"name": "k"}))
        .await
        .json()
        .await
        .unwrap();
    let res = app
        .client
        .delete(app.url(&format!(
            "/admin/api/keys/{}",
            created["id"].as_str().unwrap()
        )))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_page_is_served_with_a_strict_content_security_policy() {
    let app = spawn_app().await;
    for (path, content_type) in [
        ("/admin", "text/html"),
        ("/admin/", "text/html"),
        ("/admin/admin.js", "text/javascript"),
        ("/admin/admin.css", "text/css"),
    ] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let headers = res.headers();
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with(content_type),
            "{path}"
        );
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(headers["x-frame-options"], "DENY");
    }
    let html = app
        .client
        .get(app.url("/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"<script src="/admin/admin.js""#));
    assert!(
        !html.contains("<script>") && !html.contains("style="),
        "no inline code"
    );
}

#[tokio::test]
async fn me_shows_plan_limits_and_todays_usage() {
    let app = spawn_app().await;
    let cookie = app.signup("owner@example.com").await;
    let key = app.create_key(&cookie, "k").await["key"]
        .as_str()
        .unwrap()
        .to_string();
    for _ in 0..3 {
        assert_eq!(app.get("/v1/account", &key).await.status(), StatusCode::OK);
    }
    let me: Value = app.admin_get("/me", &cookie).await.json().await.unwrap();
    assert_eq!(me["email"], "owner@example.com");
    assert_eq!(me["plan"], "unlimited");
    assert_eq!(
        me["limits"],
        json!({"perMinute": null, "perDay": null, "segments": null, "contacts": null, "messages": null})
    );
    assert_eq!(
        me["usage"],
        json!({"today": 3, "thisMinute": 3, "contacts": 0, "messages": 0})
    );
}

#[tokio::test]
async fn an_overlong_multibyte_password_is_a_plain_401_not_a_crash() {
    let app = spawn_app().await;
    app.signup("owner@example.com").await;
    // 1,500 bytes of 3-byte characters: over the limit, and byte 64 is mid-character.
    let res = app.login("owner@example.com", &"€".repeat(500)).await;
    error_message(res, StatusCode::UNAUTHORIZED).await;
    let res = app.login("nobody@example.com", &"€".repeat(500)).await;
    error_message(res, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn the_channel_section_edits_the_accounts_own_settings_and_never_shows_secrets() {
    let app = spawn_app_with(|c| c.signup.open = true).await;
    let owner = app.signup("owner@example.com").await;
    let other = app.signup("other@example.com").await;
    let key = app.create_key(&owner, "k").await["key"]
        .as_str()
        .unwrap()
        .to_string();

    let unsigned = app
        .client
        .get(app.url("/admin/api/channels"))
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);

    let put = |cookie: &str, body: Value| {
        app.client
            .put(app.url("/admin/api/channels/telegram"))
            .header("cookie", cookie)
            .json(&body)
            .send()
    };
    let res = put(
        &owner,
        json!({"botToken": "123:secret-token", "webhookSecret": "hook"}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    assert!(!text.contains("secret-token"), "{text}");
    let res = put(&owner, json!({"botToken": 5})).await.unwrap();
    assert_eq!(
        error_message(res, StatusCode::BAD_REQUEST).await,
        "botToken: expected a string"
    );

    let list: Value = app
        .admin_get("/channels", &owner)
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["channel"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["whatsapp", "telegram", "instagram", "messenger"]);
    let telegram = &list[1];
    assert_eq!(telegram["configured"], true);
    assert_eq!(telegram["botTokenSet"], true);
    assert_eq!(
        telegram["fields"][0],
        json!({"name": "botToken", "secret": true, "required": true})
    );
    assert!(!list.to_string().contains("secret-token"));
    // The API key's view is the same settings.
    assert_eq!(
        app.ok("GET", "/v1/channels/telegram", &key, None).await["botTokenSet"],
        true
    );

    let others: Value = app
        .admin_get("/channels", &other)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(others[1]["configured"], false, "another account's settings");
    let res = app.admin_delete("/channels/telegram", &other).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.ok("GET", "/v1/channels/telegram", &key, None).await["configured"],
        true,
        "another account's delete leaves ours alone"
    );
    let res = app.admin_delete("/channels/telegram", &owner).await;
    assert_eq!(res.json::<Value>().await.unwrap()["transport"], "sandbox");
    assert_eq!(
        app.admin_delete("/channels/sms", &owner).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_page_learns_whether_the_server_has_its_owner_yet() {
    let app = spawn_app().await;
    let setup = || async {
        let res = app
            .client
            .get(app.url("/admin/api/setup"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.json::<Value>().await.unwrap()
    };
    assert_eq!(
        setup().await,
        json!({"hasOwner": false, "openSignup": false})
    );
    app.signup("owner@example.com").await;
    assert_eq!(
        setup().await,
        json!({"hasOwner": true, "openSignup": false})
    );
}

#[tokio::test]
async fn the_page_reads_the_signed_in_accounts_templates_broadcasts_and_reports_only() {
    let app = spawn_app_with(|c| c.signup.open = true).await;
    let owner = app.signup("owner@example.com").await;
    let other = app.signup("other@example.com").await;
    let key = app.create_key(&owner, "k").await["key"]
        .as_str()
        .unwrap()
        .to_string();
    let template = json!({"name": "promo", "language": "en", "body": "Sale"});
    app.ok("POST", "/v1/templates", &key, Some(template)).await;
    let person = json!({"phoneNumber": "+919876543210", "tags": ["p"]});
    app.ok("POST", "/v1/contacts", &key, Some(person)).await;
    let rule = json!({"name": "p", "groups": [{"conditions": [
        {"attribute": "tags", "operator": "has", "value": "p"}]}]});
    let segment = app.ok("POST", "/v1/segments", &key, Some(rule)).await;
    let b = app
        .ok(
            "POST",
            "/v1/broadcasts",
            &key,
            Some(json!({"name": "b", "segment": {"id": segment["id"]},
            "channel": "whatsapp", "template": {"name": "promo", "language": "en"}})),
        )
        .await;
    let id = b["id"].as_str().unwrap();
    let path = format!("/v1/broadcasts/{id}");
    eventually(
        Duration::from_secs(10),
        "the broadcast completes",
        || async {
            (app.ok("GET", &path, &key, None).await["status"] == "completed").then_some(())
        },
    )
    .await;
    let app = &app;
    let read = |path: String, cookie: &str| {
        let cookie = cookie.to_string();
        async move {
            let res = app.admin_get(&path, &cookie).await;
            (res.status(), res.text().await.unwrap())
        }
    };
    let (status, body) = read(format!("/broadcasts/{id}/report"), &owner).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let report: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(report["funnel"]["queued"], 1);
    let (status, body) = read(format!("/broadcasts/{id}/recipients?format=csv"), &owner).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.starts_with("id,name,phoneNumber"), "{body}");
    let (_, templates) = read("/templates".into(), &owner).await;
    assert!(templates.contains("\"status\":\"APPROVED\""), "{templates}");
    let (_, listed) = read("/broadcasts".into(), &owner).await;
    assert!(listed.contains("\"name\":\"b\""), "{listed}");

    // Another account's session sees none of it.
    for path in [
        format!("/broadcasts/{id}/report"),
        format!("/broadcasts/{id}/recipients"),
    ] {
        assert_eq!(read(path, &other).await.0, StatusCode::NOT_FOUND);
    }
    assert_eq!(read("/broadcasts".into(), &other).await.1, "[]");
    assert_eq!(read("/templates".into(), &other).await.1, "[]");
    assert_eq!(
        read("/broadcasts".into(), "sb_session=forged").await.0,
        StatusCode::UNAUTHORIZED
    );
}
