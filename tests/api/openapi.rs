//! The OpenAPI description: it names exactly the routes the server serves, each of them
//! answers at the path it gives, and the docs page renders it.

use crate::helpers::{TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeSet;
use switchboard::accounts::Plan;

fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, methods)| {
            methods
                .as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect()
}

/// `GET /openapi.json`, which needs no key.
async fn description(app: &TestApp) -> Value {
    let res = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

#[tokio::test]
async fn the_description_covers_every_route_and_nothing_else() {
    let app = spawn_app().await;
    let doc = description(&app).await;
    assert_eq!(doc["openapi"], "3.1.0");
    let described = operations(&doc);
    let served: BTreeSet<(String, String)> = switchboard::http::routes::table()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p))
        .collect();
    let undocumented: Vec<_> = served.difference(&described).collect();
    let unserved: Vec<_> = described.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from /openapi.json: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "described but not served: {unserved:?}"
    );

    // Every schema a description refers to exists.
    let text = doc.to_string();
    for name in text.split("#/components/schemas/").skip(1) {
        let name = name.split('"').next().unwrap();
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "no schema {name}"
        );
    }
}

/// Each described operation reaches its handler: not the catch-all 404, not a 405.
#[tokio::test]
async fn every_described_path_reaches_a_handler() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let doc = description(&app).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (method, path) in operations(&doc) {
        let op = &doc["paths"][&path][method.to_lowercase()];
        let mut url = path.clone();
        for p in op["parameters"].as_array().unwrap() {
            if p["in"] == "path" {
                let value = p["schema"]["enum"][0].as_str().unwrap_or("1").to_string();
                url = url.replace(&format!("{{{}}}", p["name"].as_str().unwrap()), &value);
            }
        }
        let res = client
            .request(method.parse().unwrap(), app.url(&url))
            .header("x-api-key", &key)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        let status = res.status();
        let body = res.text().await.unwrap_or_default();
        assert_ne!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {url}: {body}"
        );
        assert!(
            !body.contains("no route for"),
            "{method} {url} fell through to the catch-all: {body}"
        );
        let documented = op["responses"].get(status.as_str()).is_some();
        assert!(
            documented,
            "{method} {url} answered an undescribed {status}: {body}"
        );
    }
}

#[tokio::test]
async fn the_docs_page_is_served_with_its_script_and_a_strict_policy() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("/docs/docs.js") && html.contains("/openapi.json"));
    let js = app
        .client
        .get(app.url("/docs/docs.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), StatusCode::OK);
    assert!(
        js.text()
            .await
            .unwrap()
            .contains("fetch(\"/openapi.json\")")
    );
}
