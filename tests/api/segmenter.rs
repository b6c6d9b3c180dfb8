use crate::helpers::{error_message, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::accounts::Plan;

fn seed_body() -> Value {
    json!({
        "name": "Spring sale", "description": "people from the CRM", "broadcastMediumId": "bm-1",
        "segmentType": "static", "TagId": "spring", "filters": [],
        "persons": [
            {"substitutionTags": [{"tag": "coupon", "value": "SPRING10"}], "externalId": "u-1",
             "firstName": "Asha", "lastName": "Rao", "phone": "+919876543210", "email": "asha@example.com"},
            {"externalId": "u-2", "firstName": "Bob", "lastName": "Smith", "phoneNumber": "+14155550100", "email": "bob@example.com"}
        ]
    })
}

#[tokio::test]
async fn the_seed_request_upserts_persons_and_makes_them_members() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let answer = app
        .ok("POST", "/segmenter/segments", &key, Some(seed_body()))
        .await;
    assert_eq!(answer["errorMessage"], "");
    let persons = answer["data"]["persons"].as_array().unwrap();
    assert_eq!(persons.len(), 2);
    assert_eq!(persons[0]["externalId"], "u-1");
    assert_eq!(persons[1]["email"], "bob@example.com");

    let asha = app
        .ok(
            "GET",
            &format!("/v1/contacts/{}", persons[0]["id"].as_str().unwrap()),
            &key,
            None,
        )
        .await;
    assert_eq!(asha["name"], "Asha Rao");
    assert_eq!(asha["phoneNumber"], "+919876543210");
    assert_eq!(asha["attributes"], json!({"coupon": "SPRING10"}));
    assert_eq!(asha["tags"], json!(["spring"]));
    let bob = app
        .ok(
            "GET",
            &format!("/v1/contacts/{}", persons[1]["id"].as_str().unwrap()),
            &key,
            None,
        )
        .await;
    assert_eq!(
        bob["phoneNumber"], "+14155550100",
        "phoneNumber is accepted as well as phone"
    );

    let id = answer["data"]["id"].as_str().unwrap();
    let fetched = app
        .ok("GET", &format!("/segmenter/segments/{id}"), &key, None)
        .await;
    assert_eq!(fetched["data"]["name"], "Spring sale");
    assert_eq!(fetched["data"]["broadcastMediumId"], "bm-1");
    assert_eq!(fetched["data"]["TagId"], "spring");
    assert_eq!(fetched["data"]["memberCount"], 2);

    // The same persons again: updated, not duplicated.
    app.ok("POST", "/segmenter/segments", &key, Some(seed_body()))
        .await;
    let res = app.call("GET", "/v1/contacts", &key, None).await;
    assert_eq!(res.headers()["x-total-count"], "2");
}

#[tokio::test]
async fn put_replaces_the_members_and_updates_substitution_tags() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let created = app
        .ok("POST", "/segmenter/segments", &key, Some(seed_body()))
        .await;
    let path = format!(
        "/segmenter/segments/{}",
        created["data"]["id"].as_str().unwrap()
    );
    let body = json!({"persons": [{"externalId": "u-1", "substitutionTags": [{"tag": "coupon", "value": "SPRING20"}]}]});
    let updated = app.ok("PUT", &path, &key, Some(body)).await;
    assert_eq!(updated["data"]["persons"].as_array().unwrap().len(), 1);
    let fetched = app.ok("GET", &path, &key, None).await;
    assert_eq!(fetched["data"]["memberCount"], 1);
    assert_eq!(
        fetched["data"]["persons"][0]["substitutionTags"],
        json!([{"tag": "coupon", "value": "SPRING20"}])
    );
    assert_eq!(fetched["data"]["name"], "Spring sale", "kept");

    app.ok("PUT", &path, &key, Some(json!({"persons": []})))
        .await;
    assert_eq!(
        app.ok("GET", &path, &key, None).await["data"]["memberCount"],
        0,
        "an empty array empties it"
    );
}

#[tokio::test]
async fn filters_make_a_dynamic_segment() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let mut body = seed_body();
    body["filters"] = json!([{"attribute": "coupon", "operator": "exists"}]);
    let created = app
        .ok("POST", "/segmenter/segments", &key, Some(body))
        .await;
    let id = created["data"]["id"].as_str().unwrap();
    let segment = app
        .ok("GET", &format!("/v1/segments/{id}"), &key, None)
        .await;
    assert_eq!(
        (segment["refresh"].clone(), segment["memberCount"].clone()),
        (json!("dynamic"), json!(1))
    );
}

#[tokio::test]
async fn a_bad_person_fails_the_request_whole_with_the_seeds_400() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let mut body = seed_body();
    body["persons"][1]["phoneNumber"] = json!("12");
    let res = app
        .call("POST", "/segmenter/segments", &key, Some(body))
        .await;
    let message = error_message(res, StatusCode::BAD_REQUEST).await;
    assert!(message.starts_with("persons[1].phoneNumber:"), "{message}");
    let res = app.call("GET", "/v1/contacts", &key, None).await;
    assert_eq!(res.headers()["x-total-count"], "0", "nobody was stored");
    let res = app
        .call(
            "POST",
            "/segmenter/segments",
            &key,
            Some(json!({"persons": []})),
        )
        .await;
    error_message(res, StatusCode::BAD_REQUEST).await;

    let res = app
        .client
        .post(app.url("/segmenter/segments"))
        .header("x-api-key", "wrong")
        .json(&seed_body())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (body["statusCode"].clone(), body["message"].clone()),
        (json!(401), json!("Unauthorized"))
    );
}
