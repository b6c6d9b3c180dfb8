use crate::helpers::{TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::accounts::Plan;
use switchboard::accounts::model::Overrides;

async fn create(app: &TestApp, key: &str, body: impl Into<reqwest::Body>) -> (StatusCode, Value) {
    let res = app
        .client
        .post(app.url("/api/v1/createCustomSegment"))
        .bearer_auth(key)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

async fn contact(app: &TestApp, key: &str, body: Value) -> String {
    app.ok("POST", "/v1/contacts", key, Some(body)).await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn the_seeds_examples_create_segments() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let a = contact(
        &app,
        &key,
        json!({"name": "A", "attributes": {"country": "India"}}),
    )
    .await;
    let b = contact(
        &app,
        &key,
        json!({"name": "B", "attributes": {"country": "USA"}}),
    )
    .await;

    let dynamic = json!({"name": "Customers from India", "refreshType": 2,
        "groups": [{"conditions": [{"attribute": "country", "operator": "==", "value": "India"}]}]});
    let (status, body) = create(&app, &key, dynamic.to_string()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result"], true);
    assert_eq!(body["info"]["name"], "Customers from India");
    let id = body["info"]["id"].as_str().unwrap();
    let segment = app
        .ok("GET", &format!("/v1/segments/{id}"), &key, None)
        .await;
    assert_eq!(
        (segment["refresh"].clone(), segment["memberCount"].clone()),
        (json!("dynamic"), json!(1))
    );

    let (status, body) = create(
        &app,
        &key,
        json!({"name": "VIP Customers", "refreshType": 1, "contactIds": [a, b]}).to_string(),
    )
    .await;
    assert_eq!(
        (status, body["result"].clone()),
        (StatusCode::OK, json!(true))
    );
    let id = body["info"]["id"].as_str().unwrap();
    assert_eq!(
        app.ok("GET", &format!("/v1/segments/{id}"), &key, None)
            .await["memberCount"],
        2
    );
}

#[tokio::test]
async fn a_static_segment_from_groups_is_frozen_at_creation() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    contact(&app, &key, json!({"name": "A", "tags": ["vip"]})).await;
    let body = json!({"name": "Frozen VIPs", "refreshType": 1, "useUploadedContact": false,
        "groups": [{"conditions": [{"attribute": "tags", "operator": "has", "value": "vip"}]}]});
    let (_, created) = create(&app, &key, body.to_string()).await;
    let id = created["info"]["id"].as_str().unwrap();
    contact(&app, &key, json!({"name": "B", "tags": ["vip"]})).await;
    let segment = app
        .ok("GET", &format!("/v1/segments/{id}"), &key, None)
        .await;
    assert_eq!(
        (segment["refresh"].clone(), segment["memberCount"].clone()),
        (json!("static"), json!(1)),
        "B came later"
    );
}

#[tokio::test]
async fn each_of_the_seeds_400_cases_answers_in_watis_shape() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let cases = [
        (
            json!({"refreshType": 1, "useUploadedContact": false}),
            "name: required",
        ),
        (
            json!({"name": "x", "refreshType": 3}),
            "refreshType: must be 1 (static) or 2 (dynamic)",
        ),
        (json!({"name": "x"}), "refreshType: must be"),
        (
            json!({"name": "x", "refreshType": 2}),
            "groups: a dynamic segment (refreshType 2) needs groups",
        ),
        (
            json!({"name": "x", "refreshType": 1}),
            "groups: a static segment (refreshType 1) needs groups or contactIds",
        ),
        (
            json!({"name": "x", "refreshType": 2, "groups": [{"conditions": [{"attribute": "a", "operator": "?", "value": 1}]}]}),
            "groups[0].conditions[0].operator",
        ),
    ];
    for (body, expected) in cases {
        let (status, answer) = create(&app, &key, body.to_string()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer["result"], false);
        let info = answer["info"].as_str().unwrap();
        assert!(info.starts_with(expected), "{body}: {info}");
    }
    let (status, answer) = create(&app, &key, "{not json").await;
    assert_eq!(
        (status, answer["result"].clone()),
        (StatusCode::BAD_REQUEST, json!(false))
    );
    assert!(
        answer["info"]
            .as_str()
            .unwrap()
            .starts_with("malformed JSON")
    );
}

#[tokio::test]
async fn the_plan_limits_active_segments_and_can_switch_the_feature_off() {
    let app = spawn_app().await;
    let trial = app.create_account("trial@example.com", Plan::Trial).key;
    let body = |i: usize| {
        json!({"name": format!("s{i}"), "refreshType": 2, "groups": [{"conditions": [{"attribute": "name", "operator": "exists"}]}]}).to_string()
    };
    for i in 0..10 {
        assert_eq!(
            create(&app, &trial, body(i)).await.0,
            StatusCode::OK,
            "segment {i}"
        );
    }
    let (status, answer) = create(&app, &trial, body(10)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        answer["info"]
            .as_str()
            .unwrap()
            .starts_with("active segment limit reached"),
        "{answer}"
    );
    // The same limit holds in Whautomate's dialect.
    let res = app
        .call(
            "POST",
            "/v1/segments",
            &trial,
            Some(json!({"name": "x", "criteria": {}})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    let off = Overrides {
        segments: Some(0),
        ..Overrides::default()
    };
    let none = app
        .create_account_with("off@example.com", Plan::Subscribed, off)
        .key;
    let (status, answer) = create(&app, &none, body(0)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer["info"],
        "custom segments are not available for this account"
    );
}

#[tokio::test]
async fn bearer_and_x_api_key_both_work_and_no_key_is_401() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let body = json!({"name": "x", "refreshType": 2, "groups": [{"conditions": [{"attribute": "name", "operator": "exists"}]}]});
    let res = app
        .call(
            "POST",
            "/api/v1/createCustomSegment",
            &key,
            Some(body.clone()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .client
        .post(app.url("/api/v1/createCustomSegment"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}
