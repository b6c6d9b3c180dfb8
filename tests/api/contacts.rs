use crate::helpers::{TestApp, error_message, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::accounts::Plan;

async fn setup() -> (TestApp, String) {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    (app, key)
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("string id").to_string()
}

#[tokio::test]
async fn the_contract_example_round_trips() {
    let (app, key) = setup().await;
    let location = app
        .ok("POST", "/v1/locations", &key, Some(json!({"title": "HQ"})))
        .await;
    let body = json!({
        "id": "999", "type": "client", "name": "Asha Rao", "firstName": "Asha", "lastName": "Rao",
        "phoneNumber": "+91 98765 43210", "email": "asha@example.com", "externalId": "crm-981",
        "gender": "Female", "birthDate": "1990-04-02", "contactStage": "Subscriber",
        "channel": "whatsapp", "channelIds": {"telegram": "551234", "instagram": "17841400", "messenger": "2481"},
        "location": {"id": location["id"]}, "tags": ["vip", "newsletter"],
        "attributes": {"country": "India", "orders": 7, "member": true},
        "optedOut": false, "lastActivityAt": "2020-01-01T00:00:00Z", "createdAt": "2001-01-01T00:00:00Z"
    });
    let created = app.ok("POST", "/v1/contacts", &key, Some(body)).await;
    assert_ne!(created["id"], "999", "ids are the server's");
    assert_eq!(created["type"], "contact", "the route decides the type");
    assert_eq!(created["phoneNumber"], "+919876543210");
    assert_eq!(created["gender"], "Female");
    assert_eq!(created["birthDate"], "1990-04-02");
    assert_eq!(
        created["channelIds"],
        json!({"telegram": "551234", "instagram": "17841400", "messenger": "2481"})
    );
    assert_eq!(created["location"], json!({"id": location["id"]}));
    assert_eq!(created["tags"], json!(["newsletter", "vip"]));
    assert_eq!(
        created["attributes"],
        json!({"country": "India", "orders": 7, "member": true})
    );
    assert_eq!(created["optedOut"], false);
    assert_eq!(
        created["lastActivityAt"],
        Value::Null,
        "maintained by the server, not set by clients"
    );
    assert_ne!(created["createdAt"], "2001-01-01T00:00:00Z");

    let fetched = app
        .ok(
            "GET",
            &format!("/v1/contacts/{}", id_of(&created)),
            &key,
            None,
        )
        .await;
    assert_eq!(fetched, created);
}

#[tokio::test]
async fn contacts_and_clients_are_separate() {
    let (app, key) = setup().await;
    let contact = app
        .ok(
            "POST",
            "/v1/contacts",
            &key,
            Some(json!({"name": "C", "phoneNumber": "+14155550100"})),
        )
        .await;
    let client = app
        .ok(
            "POST",
            "/v1/clients",
            &key,
            Some(json!({"name": "K", "phoneNumber": "+14155550100"})),
        )
        .await;
    assert_eq!(
        client["type"], "client",
        "the same phone may be a contact and a client"
    );
    let res = app
        .call(
            "GET",
            &format!("/v1/clients/{}", id_of(&contact)),
            &key,
            None,
        )
        .await;
    error_message(res, StatusCode::NOT_FOUND).await;
    let res = app
        .call(
            "DELETE",
            &format!("/v1/contacts/{}", id_of(&client)),
            &key,
            None,
        )
        .await;
    error_message(res, StatusCode::NOT_FOUND).await;
    let res = app.call("GET", "/v1/clients", &key, None).await;
    assert_eq!(res.headers()["x-total-count"], "1");
}

#[tokio::test]
async fn put_changes_only_what_it_sends() {
    let (app, key) = setup().await;
    let created = app
        .ok(
            "POST",
            "/v1/contacts",
            &key,
            Some(
                json!({"name": "Asha", "email": "a@example.com", "contactStage": "Lead",
                        "tags": ["a", "b"], "attributes": {"country": "India", "orders": 1}}),
            ),
        )
        .await;
    let path = format!("/v1/contacts/{}", id_of(&created));
    let updated = app
        .ok(
            "PUT",
            &path,
            &key,
            Some(json!({"contactStage": "Customer", "email": null,
                        "attributes": {"orders": 2, "country": null, "city": "Pune"}})),
        )
        .await;
    assert_eq!(updated["name"], "Asha", "untouched");
    assert_eq!(updated["contactStage"], "Customer");
    assert_eq!(updated["email"], Value::Null, "null clears");
    assert_eq!(updated["tags"], json!(["a", "b"]), "not sent, not changed");
    assert_eq!(
        updated["attributes"],
        json!({"orders": 2, "city": "Pune"}),
        "merged; null removes"
    );

    let retagged = app
        .ok("PUT", &path, &key, Some(json!({"tags": ["c"]})))
        .await;
    assert_eq!(retagged["tags"], json!(["c"]), "sent tags replace");
    let res = app
        .call(
            "PUT",
            "/v1/contacts/424242",
            &key,
            Some(json!({"name": "x"})),
        )
        .await;
    error_message(res, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn tags_are_added_removed_and_counted() {
    let (app, key) = setup().await;
    let a = app
        .ok(
            "POST",
            "/v1/contacts",
            &key,
            Some(json!({"name": "A", "tags": ["vip"]})),
        )
        .await;
    let b = app
        .ok("POST", "/v1/clients", &key, Some(json!({"name": "B"})))
        .await;
    let with = app
        .ok(
            "POST",
            &format!("/v1/clients/{}/tags", id_of(&b)),
            &key,
            Some(json!({"tags": ["VIP", "new"]})),
        )
        .await;
    assert_eq!(
        with["tags"],
        json!(["new", "vip"]),
        "tags are case-insensitive; the first spelling stays"
    );
    let tags = app.ok("GET", "/v1/tags", &key, None).await;
    assert_eq!(
        tags,
        json!([{"name": "new", "count": 1}, {"name": "vip", "count": 2}])
    );

    let without = app
        .call(
            "DELETE",
            &format!("/v1/contacts/{}/tags", id_of(&a)),
            &key,
            Some(json!({"tags": ["vip", "unknown"]})),
        )
        .await;
    assert_eq!(without.status(), StatusCode::OK);
    assert_eq!(without.json::<Value>().await.unwrap()["tags"], json!([]));

    app.ok("DELETE", &format!("/v1/clients/{}", id_of(&b)), &key, None)
        .await;
    let tags = app.ok("GET", "/v1/tags", &key, None).await;
    assert_eq!(
        tags,
        json!([{"name": "new", "count": 0}, {"name": "vip", "count": 0}]),
        "deleting removes its tags"
    );
    let res = app
        .call("GET", &format!("/v1/clients/{}", id_of(&b)), &key, None)
        .await;
    error_message(res, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn lists_page_search_and_filter() {
    let (app, key) = setup().await;
    let location = app
        .ok("POST", "/v1/locations", &key, Some(json!({"title": "HQ"})))
        .await;
    for i in 0..25 {
        let mut body = json!({"name": format!("Person {i:02}"), "phoneNumber": format!("+1415555{i:04}"),
                              "email": format!("p{i}@example.com"), "externalId": format!("ext-{i}")});
        if i % 5 == 0 {
            body["tags"] = json!(["five"]);
            body["contactStage"] = json!("Customer");
        }
        if i == 7 {
            body["location"] = json!({"id": location["id"]});
            body["name"] = json!("100% Real_Name");
        }
        app.ok("POST", "/v1/contacts", &key, Some(body)).await;
    }
    let res = app.call("GET", "/v1/contacts", &key, None).await;
    assert_eq!(res.headers()["x-total-count"], "25");
    let first: Value = res.json().await.unwrap();
    assert_eq!(first.as_array().unwrap().len(), 20, "default limit");
    let last = app
        .ok("GET", "/v1/contacts?limit=10&page=3", &key, None)
        .await;
    assert_eq!(last.as_array().unwrap().len(), 5);
    assert_eq!(last[0]["name"], "Person 20", "creation order");

    let count = |query: &str| total(&app, &key, query.to_string());
    assert_eq!(count("searchText=person%201").await, 10, "name");
    assert_eq!(count("searchText=5550013").await, 1, "phone");
    assert_eq!(
        count("searchText=P3%40EXAMPLE").await,
        1,
        "email, case-insensitive"
    );
    assert_eq!(count("searchText=ext-2").await, 6, "externalId");
    assert_eq!(count("searchText=%25").await, 1, "% is matched literally");
    assert_eq!(
        count("searchText=pe_son").await,
        0,
        "_ is matched literally, not as a wildcard"
    );
    assert_eq!(count("searchText=l_n").await, 1, "and matches a literal _");
    assert_eq!(count("tag=FIVE").await, 5);
    // A tag's page is read from its links, in creation order like any list.
    let names = |page: Value| -> Vec<String> {
        let people = page.as_array().unwrap().iter();
        people
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect()
    };
    let tagged = app
        .ok("GET", "/v1/contacts?tag=five&limit=2&page=2", &key, None)
        .await;
    assert_eq!(names(tagged), ["Person 10", "Person 15"]);
    let both = "/v1/contacts?tag=FIVE&contactStage=customer&searchText=Person%2010";
    assert_eq!(names(app.ok("GET", both, &key, None).await), ["Person 10"]);
    assert_eq!(count("tag=nothing").await, 0);
    assert_eq!(count("contactStage=customer").await, 5);
    assert_eq!(
        count(&format!("locationId={}", location["id"].as_str().unwrap())).await,
        1
    );
    assert_eq!(
        count("tag=five&contactStage=Customer&searchText=Person%2010").await,
        1
    );

    for bad in [
        "limit=0",
        "limit=501",
        "page=0",
        "limit=x",
        "locationId=abc",
    ] {
        let res = app
            .call("GET", &format!("/v1/contacts?{bad}"), &key, None)
            .await;
        error_message(res, StatusCode::BAD_REQUEST).await;
    }
}

/// A list's total for everyone, one stage or one tag is read from the counts kept beside
/// the people (contacts::totals); after creates, an import, changes and deletes, of
/// contacts and clients in one account, it is still the number of people the list holds.
#[tokio::test]
async fn totals_from_counts_equal_the_people_listed() {
    let (app, key) = setup().await;
    let mut ids = Vec::new();
    for (path, n) in [("/v1/contacts", 30), ("/v1/clients", 7)] {
        for i in 0..n {
            let mut body = json!({"name": format!("P{i}")});
            if i % 3 == 0 {
                body["contactStage"] = json!(if i % 2 == 0 { "Lead" } else { "LEAD" });
            }
            if i % 4 == 0 {
                body["tags"] = json!(["vip"]);
            }
            let person = app.ok("POST", path, &key, Some(body)).await;
            ids.push((path, id_of(&person)));
        }
    }
    let csv = "name,contactStage,tags\nI1,lead,VIP\nI2,Customer,\nI3,,vip;new\n";
    app.import_csv(&key, csv).await;
    for (n, (path, id)) in ids.iter().enumerate() {
        let person = format!("{path}/{id}");
        match n % 5 {
            0 => {
                let body = json!({"contactStage": "Customer"});
                app.ok("PUT", &person, &key, Some(body)).await;
            }
            1 => {
                let body = json!({"tags": ["vip"]});
                app.ok("POST", &format!("{person}/tags"), &key, Some(body))
                    .await;
            }
            2 => {
                let res = app.call("DELETE", &person, &key, None).await;
                assert!(res.status().is_success(), "{person}");
            }
            3 => {
                let body = json!({"tags": ["VIP"]});
                let res = app
                    .call("DELETE", &format!("{person}/tags"), &key, Some(body))
                    .await;
                assert!(res.status().is_success(), "{person}");
            }
            _ => {}
        }
    }
    for path in ["/v1/contacts", "/v1/clients"] {
        for query in [
            "",
            "contactStage=lead",
            "contactStage=Customer",
            "tag=VIP",
            "tag=none",
        ] {
            let res = app
                .call("GET", &format!("{path}?limit=500&{query}"), &key, None)
                .await;
            let total = res.headers()["x-total-count"].to_str().unwrap().to_string();
            let listed = res.json::<Value>().await.unwrap().as_array().unwrap().len();
            assert_eq!(total, listed.to_string(), "{path}?{query}");
            if query.is_empty() {
                assert!(listed > 0, "{path}");
            }
        }
    }
}

/// `X-Total-Count` of `GET /v1/contacts?{query}`.
async fn total(app: &TestApp, key: &str, query: String) -> u32 {
    let res = app
        .call("GET", &format!("/v1/contacts?{query}"), key, None)
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{query}");
    res.headers()["x-total-count"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn phone_and_external_id_are_unique_per_account_and_type() {
    let app = spawn_app().await;
    let a = app.create_account("a@example.com", Plan::Unlimited).key;
    let b = app.create_account("b@example.com", Plan::Unlimited).key;
    let first = app
        .ok(
            "POST",
            "/v1/contacts",
            &a,
            Some(json!({"phoneNumber": "+14155550100", "externalId": "x1"})),
        )
        .await;
    let res = app
        .call(
            "POST",
            "/v1/contacts",
            &a,
            Some(json!({"phoneNumber": "+1 415 555 0100"})),
        )
        .await;
    let message = error_message(res, StatusCode::CONFLICT).await;
    assert!(
        message.starts_with("phoneNumber:") && message.contains(&id_of(&first)),
        "{message}"
    );
    let res = app
        .call(
            "POST",
            "/v1/contacts",
            &a,
            Some(json!({"externalId": "x1"})),
        )
        .await;
    let message = error_message(res, StatusCode::CONFLICT).await;
    assert!(message.starts_with("externalId:"), "{message}");
    let other = app
        .ok("POST", "/v1/contacts", &a, Some(json!({"name": "Other"})))
        .await;
    let res = app
        .call(
            "PUT",
            &format!("/v1/contacts/{}", id_of(&other)),
            &a,
            Some(json!({"phoneNumber": "+14155550100"})),
        )
        .await;
    error_message(res, StatusCode::CONFLICT).await;
    assert_eq!(
        app.ok("GET", &format!("/v1/contacts/{}", id_of(&other)), &a, None)
            .await["phoneNumber"],
        Value::Null
    );
    app.ok(
        "POST",
        "/v1/contacts",
        &b,
        Some(json!({"phoneNumber": "+14155550100", "externalId": "x1"})),
    )
    .await;
}

#[tokio::test]
async fn every_bad_field_is_a_400_naming_it_and_stores_nothing() {
    let (app, key) = setup().await;
    let cases = [
        (json!({}), "body: a contact needs"),
        (json!({"name": 5}), "name: invalid type"),
        (json!({"name": ""}), "name: must not be empty"),
        (
            json!({"name": "x".repeat(201)}),
            "name: must be at most 200",
        ),
        (json!({"phoneNumber": "12345"}), "phoneNumber:"),
        (
            json!({"phoneNumber": "+1 555"}),
            "phoneNumber: not a possible",
        ),
        (json!({"email": "not-an-email"}), "email:"),
        (
            json!({"gender": "robot", "name": "x"}),
            "gender: expected Male, Female or Other",
        ),
        (
            json!({"birthDate": "02/04/1990", "name": "x"}),
            "birthDate:",
        ),
        (
            json!({"birthDate": "2999-01-01", "name": "x"}),
            "birthDate:",
        ),
        (json!({"channel": "sms", "name": "x"}), "channel:"),
        (
            json!({"channelIds": {"telegram": 5}}),
            "channelIds.telegram: invalid type",
        ),
        (
            json!({"location": {"id": "abc"}, "name": "x"}),
            "location.id:",
        ),
        (
            json!({"location": {"id": 99999}, "name": "x"}),
            "location.id: no location 99999",
        ),
        (json!({"tags": "vip", "name": "x"}), "tags: invalid type"),
        (
            json!({"tags": [""], "name": "x"}),
            "tags[0]: must not be empty",
        ),
        (
            json!({"attributes": {"a": [1]}, "name": "x"}),
            "attributes.a:",
        ),
        (
            json!({"attributes": {"tags": "x"}, "name": "x"}),
            "attributes.tags: is a built-in field",
        ),
        (
            json!({"attributes": [1], "name": "x"}),
            "attributes: invalid type",
        ),
        (
            json!({"optedOut": "yes", "name": "x"}),
            "optedOut: invalid type",
        ),
    ];
    for (body, expected) in cases {
        let res = app
            .call("POST", "/v1/contacts", &key, Some(body.clone()))
            .await;
        // A reference to what the account lacks is 404; the rest are malformed.
        let status = if expected.contains(": no ") {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::BAD_REQUEST
        };
        let message = error_message(res, status).await;
        assert!(message.starts_with(expected), "{body}: {message}");
    }
    let res = app.call("GET", "/v1/contacts", &key, None).await;
    assert_eq!(res.headers()["x-total-count"], "0", "nothing was stored");
}

#[tokio::test]
async fn attribute_kinds_are_kept_and_names_are_bounded() {
    let (app, key) = setup().await;
    app.ok(
        "POST",
        "/v1/contacts",
        &key,
        Some(json!({"name": "a", "attributes": {"orders": 3}})),
    )
    .await;
    let res = app
        .call(
            "POST",
            "/v1/contacts",
            &key,
            Some(json!({"name": "b", "attributes": {"Orders": "many"}})),
        )
        .await;
    let message = error_message(res, StatusCode::BAD_REQUEST).await;
    assert!(message.contains("holds number values"), "{message}");

    let mut attributes = serde_json::Map::new();
    for i in 0..63 {
        attributes.insert(format!("k{i}"), json!(i));
    }
    app.ok(
        "POST",
        "/v1/contacts",
        &key,
        Some(json!({"name": "c", "attributes": attributes})),
    )
    .await;
    let res = app
        .call(
            "POST",
            "/v1/contacts",
            &key,
            Some(json!({"name": "d", "attributes": {"one_too_many": 1}})),
        )
        .await;
    let message = error_message(res, StatusCode::BAD_REQUEST).await;
    assert!(
        message.contains("already uses 64 attribute names"),
        "{message}"
    );
}

#[tokio::test]
async fn another_accounts_people_are_404_and_unchanged() {
    let app = spawn_app().await;
    let a = app.create_account("a@example.com", Plan::Unlimited).key;
    let b = app.create_account("b@example.com", Plan::Unlimited).key;
    let mine = app
        .ok(
            "POST",
            "/v1/contacts",
            &a,
            Some(json!({"name": "Mine", "tags": ["t"]})),
        )
        .await;
    let path = format!("/v1/contacts/{}", id_of(&mine));
    let attempts = [
        ("GET", path.clone(), None),
        ("PUT", path.clone(), Some(json!({"name": "Stolen"}))),
        ("DELETE", path.clone(), None),
        ("POST", format!("{path}/tags"), Some(json!({"tags": ["x"]}))),
        (
            "DELETE",
            format!("{path}/tags"),
            Some(json!({"tags": ["t"]})),
        ),
    ];
    for (method, path, body) in attempts {
        let res = app.call(method, &path, &b, body).await;
        error_message(res, StatusCode::NOT_FOUND).await;
    }
    assert_eq!(app.ok("GET", &path, &a, None).await, mine);
    assert_eq!(app.ok("GET", "/v1/tags", &b, None).await, json!([]));
    let res = app
        .call("GET", "/v1/contacts?searchText=Mine", &b, None)
        .await;
    assert_eq!(res.headers()["x-total-count"], "0");
}

#[tokio::test]
async fn injection_shaped_input_is_just_data() {
    let (app, key) = setup().await;
    let evil = "x'); DROP TABLE contacts; --";
    let created = app
        .ok(
            "POST",
            "/v1/contacts",
            &key,
            Some(json!({"name": evil, "tags": [evil], "attributes": {"a\" OR 1=1 --": evil}})),
        )
        .await;
    assert_eq!(created["name"], evil);
    assert_eq!(created["tags"], json!([evil]));
    assert_eq!(created["attributes"], json!({"a\" OR 1=1 --": evil}));
    let res = app
        .call(
            "GET",
            "/v1/contacts?searchText=%27%20OR%20%271%27%3D%271",
            &key,
            None,
        )
        .await;
    assert_eq!(res.headers()["x-total-count"], "0");
}

#[tokio::test]
async fn a_default_region_lets_numbers_omit_the_country_code() {
    let app = spawn_app_with(|c| c.default_region = Some("IN".into())).await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let created = app
        .ok(
            "POST",
            "/v1/contacts",
            &key,
            Some(json!({"phoneNumber": "098765 43210"})),
        )
        .await;
    assert_eq!(created["phoneNumber"], "+919876543210");
    let res = app
        .call(
            "POST",
            "/v1/contacts",
            &key,
            Some(json!({"phoneNumber": "12"})),
        )
        .await;
    error_message(res, StatusCode::BAD_REQUEST).await;
}

/// serde reads a struct from an array by position: `["Eve"]` would have set the name.
#[tokio::test]
async fn a_body_or_reference_that_is_an_array_is_refused_and_whole_number_ids_are_ids() {
    let (app, key) = setup().await;
    let asha = app
        .ok("POST", "/v1/contacts", &key, Some(json!({"name": "Asha"})))
        .await;
    let path = format!("/v1/contacts/{}", id_of(&asha));
    let res = app.call("PUT", &path, &key, Some(json!(["Eve"]))).await;
    assert_eq!(
        error_message(res, StatusCode::BAD_REQUEST).await,
        "body: expected a JSON object, not an array"
    );
    let location = app
        .ok("POST", "/v1/locations", &key, Some(json!({"title": "HQ"})))
        .await;
    let by_position = json!({"location": [location["id"]]});
    let res = app.call("PUT", &path, &key, Some(by_position)).await;
    let message = error_message(res, StatusCode::BAD_REQUEST).await;
    assert!(message.starts_with("location"), "{message}");
    let unchanged = app.ok("GET", &path, &key, None).await;
    assert_eq!(
        (&unchanged["name"], &unchanged["location"]),
        (&json!("Asha"), &Value::Null)
    );

    // JSON Schema's integers include 1.0; a fraction is no id.
    let id: f64 = location["id"].as_str().unwrap().parse().unwrap();
    let moved = app
        .ok("PUT", &path, &key, Some(json!({"location": {"id": id}})))
        .await;
    assert_eq!(moved["location"]["id"], location["id"]);
    let res = app
        .call(
            "PUT",
            &path,
            &key,
            Some(json!({"location": {"id": id + 0.5}})),
        )
        .await;
    error_message(res, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn tags_are_counted_as_sent_and_a_full_person_takes_no_more() {
    let (app, key) = setup().await;
    // Fifty-one copies of one tag: over the count as sent, though one tag once deduplicated.
    let res = app
        .call(
            "POST",
            "/v1/contacts",
            &key,
            Some(json!({"name": "A", "tags": vec!["vip"; 51]})),
        )
        .await;
    let message = error_message(res, StatusCode::BAD_REQUEST).await;
    assert!(message.starts_with("tags:"), "{message}");
    let fifty: Vec<String> = (0..50).map(|i| format!("t{i}")).collect();
    let full = app
        .ok(
            "POST",
            "/v1/contacts",
            &key,
            Some(json!({"name": "A", "tags": fifty})),
        )
        .await;
    let res = app
        .call(
            "POST",
            &format!("/v1/contacts/{}/tags", id_of(&full)),
            &key,
            Some(json!({"tags": ["one more"]})),
        )
        .await;
    let message = error_message(res, StatusCode::CONFLICT).await;
    assert!(message.starts_with("tags:"), "{message}");
}
