use crate::helpers::{TestApp, error_message, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::accounts::Plan;

struct World {
    app: TestApp,
    key: String,
    location: String,
    ids: Vec<String>,
}

/// Five contacts with known answers to every criterion.
async fn world() -> World {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let location = app
        .ok("POST", "/v1/locations", &key, Some(json!({"title": "HQ"})))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let people = [
        json!({"name": "Asha", "gender": "Female", "birthDate": "1990-04-02", "contactStage": "Subscriber",
               "tags": ["vip", "newsletter"], "attributes": {"country": "India"}, "location": {"id": location}}),
        json!({"name": "Bob", "gender": "Male", "birthDate": "2000-01-01", "contactStage": "Lead", "tags": ["newsletter"],
               "attributes": {"country": "USA"}}),
        json!({"name": "Chen", "gender": "Other", "contactStage": "Subscriber", "tags": ["vip", "churned"]}),
        json!({"name": "Dana", "gender": "Female", "birthDate": "1960-06-06", "tags": []}),
        json!({"name": "Eve", "attributes": {"country": "India"}, "location": {"id": location}}),
    ];
    let mut ids = Vec::new();
    for p in people {
        ids.push(
            app.ok("POST", "/v1/contacts", &key, Some(p)).await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    World {
        app,
        key,
        location,
        ids,
    }
}

impl World {
    async fn create(&self, body: Value) -> Value {
        self.app
            .ok("POST", "/v1/segments", &self.key, Some(body))
            .await
    }

    /// Creates a dynamic segment of `kind` from `groups` and reads its count, which must be
    /// the `memberCount` the creation answered.
    async fn count(&self, groups: Value, kind: &str) -> i64 {
        let s = self
            .create(json!({"name": "counted", "type": kind, "groups": groups}))
            .await;
        let id = s["id"].as_str().unwrap();
        let n = self
            .app
            .ok("GET", &format!("/v1/segments/{id}/count"), &self.key, None)
            .await["count"]
            .as_i64()
            .unwrap();
        assert_eq!(s["memberCount"].as_i64().unwrap(), n);
        n
    }

    async fn put_person(&self, index: usize, body: Value) {
        let path = format!("/v1/contacts/{}", self.ids[index]);
        self.app.ok("PUT", &path, &self.key, Some(body)).await;
    }

    async fn delete_person(&self, index: usize) {
        let path = format!("/v1/contacts/{}", self.ids[index]);
        self.app.ok("DELETE", &path, &self.key, None).await;
    }

    /// Imports `rows` (a JSON array of people) as contacts.
    async fn import(&self, rows: Value) {
        self.app
            .ok("POST", "/v1/contacts/import", &self.key, Some(rows))
            .await;
    }

    /// Counts each rule (a group's conditions) as it is, and ORed with a group over the
    /// name that nobody matches, which keeps it off every shortcut and the narrow index
    /// (only the rows hold names): both counts must agree. The counts, in order.
    async fn counts_agreeing_with_the_rows(&self, rules: &[Value]) -> Vec<i64> {
        let never = json!({"conditions": [
            {"attribute": "name", "operator": "==", "value": "no such name"}]});
        let mut out = Vec::new();
        for conditions in rules {
            let planned = self
                .count(json!([{"conditions": conditions}]), "contact")
                .await;
            let rows = self
                .count(json!([never, {"conditions": conditions}]), "contact")
                .await;
            assert_eq!(planned, rows, "{conditions}");
            out.push(planned);
        }
        out
    }

    async fn count_of(&self, criteria: Value) -> i64 {
        let created = self
            .create(json!({"name": "s", "type": "contact", "criteria": criteria}))
            .await;
        created["memberCount"].as_i64().unwrap()
    }
}

#[tokio::test]
async fn the_seed_body_round_trips_with_an_id_and_a_member_count() {
    let w = world().await;
    let body = json!({
        "id": "ignored", "name": "VIP women", "type": "contact",
        "criteria": {"tags": ["vip"], "exclusionTags": ["churned"], "gender": "Female", "numberOfDaysLastActivity": null,
                     "ageFrom": 18, "ageTo": 60, "contactStage": "Subscriber",
                     "primaryLocations": [{"id": w.location, "title": "HQ"}]},
        "location": {"id": w.location}
    });
    let created = w.create(body.clone()).await;
    assert_ne!(created["id"], "ignored");
    for field in ["name", "type", "criteria", "location"] {
        assert_eq!(created[field], body[field], "{field} echoed");
    }
    assert_eq!(created["memberCount"], 1, "Asha only");
    assert_eq!(created["refresh"], "dynamic");
    let id = created["id"].as_str().unwrap();
    let fetched = w
        .app
        .ok("GET", &format!("/v1/segments/{id}"), &w.key, None)
        .await;
    assert_eq!(fetched, created);
    let count = w
        .app
        .ok("GET", &format!("/v1/segments/{id}/count"), &w.key, None)
        .await;
    assert_eq!(count, json!({"count": 1}));
    let res = w
        .app
        .call("DELETE", &format!("/v1/segments/{id}"), &w.key, None)
        .await;
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"success": true}));
    let res = w
        .app
        .call("GET", &format!("/v1/segments/{id}"), &w.key, None)
        .await;
    error_message(res, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn each_criterion_means_what_whautomate_says() {
    let w = world().await;
    assert_eq!(w.count_of(json!({})).await, 5, "no criteria: everyone");
    assert_eq!(
        w.count_of(json!({"tags": ["vip", "newsletter"]})).await,
        3,
        "any of the tags"
    );
    assert_eq!(
        w.count_of(json!({"exclusionTags": ["churned"]})).await,
        4,
        "none of them"
    );
    assert_eq!(w.count_of(json!({"gender": "female"})).await, 2);
    assert_eq!(
        w.count_of(json!({"ageFrom": 20})).await,
        3,
        "Asha 36, Bob 26, Dana 66"
    );
    assert_eq!(w.count_of(json!({"ageFrom": 20, "ageTo": 40})).await, 2);
    assert_eq!(w.count_of(json!({"contactStage": "subscriber"})).await, 2);
    assert_eq!(
        w.count_of(json!({"primaryLocations": [{"id": w.location}]}))
            .await,
        2
    );
    assert_eq!(
        w.count_of(json!({"numberOfDaysLastActivity": 30})).await,
        0,
        "nobody has written yet"
    );
    assert_eq!(
        w.count_of(json!({"tags": ["vip"], "gender": "Female", "contactStage": "Subscriber"}))
            .await,
        1,
        "ANDed"
    );
}

#[tokio::test]
async fn groups_work_beside_criteria_and_membership_follows_the_data() {
    let w = world().await;
    let created = w
        .create(json!({"name": "Indian VIPs", "criteria": {"tags": ["vip"]},
                       "groups": [{"conditions": [{"attribute": "country", "operator": "is", "value": "india"}]}]}))
        .await;
    assert_eq!(created["memberCount"], 1, "Asha: vip AND India");
    let id = created["id"].as_str().unwrap().to_string();
    // Eve becomes a VIP: she is a member at the next read.
    w.app
        .ok(
            "POST",
            &format!("/v1/contacts/{}/tags", w.ids[4]),
            &w.key,
            Some(json!({"tags": ["VIP"]})),
        )
        .await;
    assert_eq!(
        w.app
            .ok("GET", &format!("/v1/segments/{id}/count"), &w.key, None)
            .await["count"],
        2
    );
    let members = w
        .app
        .ok("GET", &format!("/v1/segments/{id}/contacts"), &w.key, None)
        .await;
    let names: Vec<&str> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Asha", "Eve"]);
}

#[tokio::test]
async fn static_segments_hold_their_members() {
    let w = world().await;
    let created = w.create(json!({"name": "Picked", "contactIds": [w.ids[0], w.ids[2].parse::<i64>().unwrap(), w.ids[3]]})).await;
    assert_eq!(created["refresh"], "static");
    assert_eq!(created["memberCount"], 3);
    let id = created["id"].as_str().unwrap().to_string();
    w.app
        .ok(
            "DELETE",
            &format!("/v1/contacts/{}", w.ids[2]),
            &w.key,
            None,
        )
        .await;
    assert_eq!(
        w.app
            .ok("GET", &format!("/v1/segments/{id}"), &w.key, None)
            .await["memberCount"],
        2,
        "a deleted contact leaves"
    );

    // Pages by cursor and by number agree.
    let first = w
        .app
        .ok(
            "GET",
            &format!("/v1/segments/{id}/contacts?limit=1"),
            &w.key,
            None,
        )
        .await;
    let last_id = first[0]["id"].as_str().unwrap();
    let by_cursor = w
        .app
        .ok(
            "GET",
            &format!("/v1/segments/{id}/contacts?limit=1&after={last_id}"),
            &w.key,
            None,
        )
        .await;
    let by_page = w
        .app
        .ok(
            "GET",
            &format!("/v1/segments/{id}/contacts?limit=1&page=2"),
            &w.key,
            None,
        )
        .await;
    assert_eq!(by_cursor, by_page);
    assert_eq!(by_cursor[0]["name"], "Dana");
    let res = w
        .app
        .call(
            "GET",
            &format!("/v1/segments/{id}/contacts?after=1&page=2"),
            &w.key,
            None,
        )
        .await;
    error_message(res, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn preview_counts_and_samples_without_saving() {
    let w = world().await;
    let preview = w
        .app
        .ok("POST", "/v1/segments/preview", &w.key, Some(json!({"groups": [{"conditions": [{"attribute": "tags", "operator": "has", "value": "newsletter"}]}]})))
        .await;
    assert_eq!(preview["count"], 2);
    assert_eq!(preview["sample"].as_array().unwrap().len(), 2);
    assert_eq!(preview["sample"][0]["name"], "Asha");
    let res = w.app.call("GET", "/v1/segments", &w.key, None).await;
    assert_eq!(res.headers()["x-total-count"], "0", "nothing saved");
}

#[tokio::test]
async fn lists_filter_by_location_and_name() {
    let w = world().await;
    w.create(json!({"name": "Downtown VIPs", "criteria": {"tags": ["vip"]}, "location": {"id": w.location}})).await;
    w.create(json!({"name": "Everyone", "criteria": {}})).await;
    let res = w.app.call("GET", "/v1/segments", &w.key, None).await;
    assert_eq!(res.headers()["x-total-count"], "2");
    let all: Value = res.json().await.unwrap();
    assert_eq!(all[1]["memberCount"], 5);
    let by_location = w
        .app
        .ok(
            "GET",
            &format!("/v1/segments?locationId={}", w.location),
            &w.key,
            None,
        )
        .await;
    assert_eq!(by_location.as_array().unwrap().len(), 1);
    let by_name = w
        .app
        .ok("GET", "/v1/segments?searchText=every", &w.key, None)
        .await;
    assert_eq!(by_name[0]["name"], "Everyone");
}

#[tokio::test]
async fn bad_segments_are_400_naming_the_place() {
    let w = world().await;
    let cases = [
        (json!({"criteria": {}}), "name: must not be empty"),
        (
            json!({"name": "x", "type": "lead"}),
            "type: expected contact or client",
        ),
        (
            json!({"name": "x", "criteria": {"gender": "robot"}}),
            "criteria.gender:",
        ),
        (
            json!({"name": "x", "criteria": {"tags": "vip"}}),
            "criteria.tags: expected an array",
        ),
        (
            json!({"name": "x", "criteria": {"ageFrom": 50, "ageTo": 20}}),
            "criteria.ageTo:",
        ),
        (
            json!({"name": "x", "criteria": []}),
            "criteria: expected an object",
        ),
        (
            json!({"name": "x", "groups": [{"conditions": [{"attribute": "a", "operator": "~", "value": 1}]}]}),
            "groups[0].conditions[0].operator: unknown operator",
        ),
        (
            json!({"name": "x", "criteria": {}, "contactIds": ["1"]}),
            "contactIds: a segment has a rule",
        ),
        (
            json!({"name": "x", "contactIds": ["999999"]}),
            "contactIds[0]: no contact 999999",
        ),
        (
            json!({"name": "x", "location": {"id": "999999"}}),
            "location.id: no location",
        ),
    ];
    for (body, expected) in cases {
        let res = w
            .app
            .call("POST", "/v1/segments", &w.key, Some(body.clone()))
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
    let res = w.app.call("GET", "/v1/segments", &w.key, None).await;
    assert_eq!(res.headers()["x-total-count"], "0", "nothing was stored");
}

#[tokio::test]
async fn another_accounts_segments_and_contacts_stay_out() {
    let w = world().await;
    let other = w.app.create_account("b@example.com", Plan::Unlimited).key;
    let theirs = w
        .app
        .ok(
            "POST",
            "/v1/contacts",
            &other,
            Some(json!({"name": "Theirs", "tags": ["vip"]})),
        )
        .await;
    let mine = w
        .create(json!({"name": "VIPs", "criteria": {"tags": ["vip"]}}))
        .await;
    assert_eq!(mine["memberCount"], 2, "their VIP never counts");
    let id = mine["id"].as_str().unwrap();
    for path in [
        format!("/v1/segments/{id}"),
        format!("/v1/segments/{id}/count"),
        format!("/v1/segments/{id}/contacts"),
    ] {
        let res = w.app.call("GET", &path, &other, None).await;
        error_message(res, StatusCode::NOT_FOUND).await;
    }
    let res = w
        .app
        .call("DELETE", &format!("/v1/segments/{id}"), &other, None)
        .await;
    error_message(res, StatusCode::NOT_FOUND).await;
    let res = w
        .app
        .call(
            "POST",
            "/v1/segments",
            &w.key,
            Some(json!({"name": "x", "contactIds": [theirs["id"]]})),
        )
        .await;
    error_message(res, StatusCode::NOT_FOUND).await;
    assert_eq!(
        w.app
            .ok("GET", &format!("/v1/segments/{id}"), &w.key, None)
            .await["memberCount"],
        2
    );
}

#[tokio::test]
async fn put_changes_what_it_sends_and_static_members_come_and_go() {
    let w = world().await;
    let created = w
        .create(json!({"name": "VIPs", "description": "d", "criteria": {"tags": ["vip"]}}))
        .await;
    let path = format!("/v1/segments/{}", created["id"].as_str().unwrap());
    let renamed = w
        .app
        .ok("PUT", &path, &w.key, Some(json!({"name": "Top"})))
        .await;
    assert_eq!(
        (renamed["name"].clone(), renamed["description"].clone()),
        (json!("Top"), json!("d"))
    );
    assert_eq!(renamed["criteria"], json!({"tags": ["vip"]}), "kept");
    assert_eq!(renamed["memberCount"], 2);
    let narrowed = w
        .app
        .ok("PUT", &path, &w.key, Some(json!({"groups": [{"conditions": [{"attribute": "gender", "operator": "==", "value": "Other"}]}]})))
        .await;
    assert_eq!(
        narrowed["memberCount"], 1,
        "criteria AND the new groups: Chen"
    );

    // contactIds turn it into a static list; members can then be added and removed.
    let listed = w
        .app
        .ok(
            "PUT",
            &path,
            &w.key,
            Some(json!({"contactIds": [w.ids[1]]})),
        )
        .await;
    assert_eq!(
        (listed["refresh"].clone(), listed["memberCount"].clone()),
        (json!("static"), json!(1))
    );
    assert_eq!(listed["criteria"], Value::Null);
    let members = format!("{path}/contacts");
    let added = w
        .app
        .ok(
            "POST",
            &members,
            &w.key,
            Some(json!({"contactIds": [w.ids[3], w.ids[4], w.ids[1]]})),
        )
        .await;
    assert_eq!(added["memberCount"], 3);
    let removed = w
        .app
        .ok(
            "DELETE",
            &members,
            &w.key,
            Some(json!({"contactIds": [w.ids[1], "999999"]})),
        )
        .await;
    assert_eq!(removed["memberCount"], 2);

    let res = w
        .app
        .call("PUT", &path, &w.key, Some(json!({"type": "client"})))
        .await;
    error_message(res, StatusCode::BAD_REQUEST).await;
    let dynamic = w.create(json!({"name": "All", "criteria": {}})).await;
    let res = w
        .app
        .call(
            "POST",
            &format!("/v1/segments/{}/contacts", dynamic["id"].as_str().unwrap()),
            &w.key,
            Some(json!({"contactIds": [w.ids[0]]})),
        )
        .await;
    // A dynamic segment's members are its rule's: a conflict with its state.
    let message = error_message(res, StatusCode::CONFLICT).await;
    assert!(message.contains("dynamic"), "{message}");
    let res = w
        .app
        .call(
            "PUT",
            "/v1/segments/999999",
            &w.key,
            Some(json!({"name": "x"})),
        )
        .await;
    error_message(res, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn tag_only_counts_agree_with_the_general_rule_and_keep_contacts_and_clients_apart() {
    let w = world().await;
    // A client carrying the same tags, and a tag moved by PUT and by the tag routes.
    w.app
        .ok(
            "POST",
            "/v1/clients",
            &w.key,
            Some(json!({"name": "Cli", "tags": ["vip", "newsletter"]})),
        )
        .await;
    w.app
        .ok(
            "POST",
            &format!("/v1/contacts/{}/tags", w.ids[3]),
            &w.key,
            Some(json!({"tags": ["VIP"]})),
        )
        .await;
    w.app
        .ok(
            "PUT",
            &format!("/v1/contacts/{}", w.ids[2]),
            &w.key,
            Some(json!({"tags": ["churned"]})),
        )
        .await;
    let count = |groups: Value, kind: &'static str| w.count(groups, kind);
    let tags = |op: &str, value: Value| json!([{"conditions": [{"attribute": "tags", "operator": op, "value": value}]}]);
    // vip: Asha and Dana (Chen's tags were replaced); the client is not a contact.
    assert_eq!(count(tags("has", json!("vip")), "contact").await, 2);
    assert_eq!(count(tags("has", json!("VIP")), "contact").await, 2);
    assert_eq!(
        count(tags("in", json!(["vip", "newsletter"])), "contact").await,
        3,
        "each person once"
    );
    assert_eq!(count(tags("has", json!("nobody")), "contact").await, 0);
    assert_eq!(count(tags("has", json!("vip")), "client").await, 1);
    // The same question through the general compiler (an OR with a condition that is never
    // true keeps the rule off the tag-only path) gives the same answers.
    let general = |names: Value| {
        json!([{"logic": "or", "conditions": [
            {"attribute": "tags", "operator": "in", "value": names},
            {"attribute": "name", "operator": "==", "value": "no such name"}]}])
    };
    assert_eq!(count(general(json!(["vip"])), "contact").await, 2);
    assert_eq!(
        count(general(json!(["vip", "newsletter"])), "contact").await,
        3
    );
    assert_eq!(count(general(json!(["vip"])), "client").await, 1);
}

#[tokio::test]
async fn birth_date_counts_follow_every_change_and_agree_with_the_general_rule() {
    let w = world().await;
    // Decoys: a client, and a contact of another account, born on days the rules take.
    w.app
        .ok(
            "POST",
            "/v1/clients",
            &w.key,
            Some(json!({"name": "Cli", "birthDate": "1990-04-02"})),
        )
        .await;
    let other = w.app.create_account("b@example.com", Plan::Unlimited).key;
    w.app
        .ok(
            "POST",
            "/v1/contacts",
            &other,
            Some(json!({"name": "Out", "birthDate": "1990-04-02"})),
        )
        .await;
    let count = |conditions: Value, logic: &'static str| {
        w.count(
            json!([{"logic": logic, "conditions": conditions}]),
            "contact",
        )
    };
    let cond = |attribute: &str, op: &str, value: Value| json!({"attribute": attribute, "operator": op, "value": value});
    // Each rule beside the same rule ORed with a condition that is never true, which keeps
    // it off the per-day counts: both must agree, and with the expected answer.
    let never = cond("name", "==", json!("no such name"));
    let rules = || {
        [
            (
                json!([cond("birthDate", "before", json!("1995-01-01"))]),
                "and",
            ),
            (
                json!([
                    cond("age", ">=", json!(20)),
                    cond("birthDate", "after", json!("1970-01-01"))
                ]),
                "and",
            ),
            (
                json!([
                    cond("birthDate", "==", json!("2000-01-01")),
                    cond("age", ">", json!(60))
                ]),
                "or",
            ),
            (json!([cond("birthDate", "exists", json!(null))]), "and"),
        ]
    };
    let answers = async || {
        let mut out = Vec::new();
        for (conditions, logic) in rules() {
            let fast = count(conditions.clone(), logic).await;
            let general = match logic {
                "or" => {
                    let mut all = conditions.as_array().unwrap().clone();
                    all.push(never.clone());
                    count(Value::Array(all), "or").await
                }
                // Groups are ORed: a group that matches nobody leaves the answer as it is.
                _ => {
                    let groups = json!([{"conditions": [never.clone()]},
                                        {"logic": logic, "conditions": conditions}]);
                    w.count(groups, "contact").await
                }
            };
            assert_eq!(fast, general, "{conditions}");
            out.push(fast);
        }
        out
    };
    // Asha 1990-04-02, Bob 2000-01-01, Dana 1960-06-06; Chen and Eve have no birth date.
    assert_eq!(answers().await, [2, 2, 2, 3]);
    // Bob moves to 1961, Asha's date is removed, Dana is deleted, Eve gains one by PUT and
    // Fay arrives by import.
    w.put_person(1, json!({"birthDate": "1961-01-01"})).await;
    w.put_person(0, json!({"birthDate": null})).await;
    w.put_person(4, json!({"birthDate": "1999-09-09"})).await;
    w.delete_person(3).await;
    w.import(json!([{"name": "Fay", "phoneNumber": "+14155550123", "birthDate": "1950-01-01"}]))
        .await;
    // Bob 1961-01-01, Eve 1999-09-09, Fay 1950-01-01.
    assert_eq!(answers().await, [2, 1, 2, 3]);
}

#[tokio::test]
async fn stage_and_gender_counts_follow_every_change_and_agree_with_the_general_rule() {
    let w = world().await;
    // Decoys: a client, and a contact of another account, with the stage and gender taken.
    let decoy = json!({"name": "Out", "gender": "Female", "contactStage": "Subscriber"});
    w.app
        .ok("POST", "/v1/clients", &w.key, Some(decoy.clone()))
        .await;
    let other = w.app.create_account("b@example.com", Plan::Unlimited).key;
    w.app.ok("POST", "/v1/contacts", &other, Some(decoy)).await;
    let cond = |attribute: &str, op: &str, value: Value| json!({"attribute": attribute, "operator": op, "value": value});
    // Summed from the people per stage and gender, and counted from the rows.
    let rules = [
        json!([cond("contactStage", "==", json!("subscriber"))]),
        json!([
            cond("gender", "==", json!("Female")),
            cond("contactStage", "==", json!("Subscriber"))
        ]),
        json!([{"logic": "or", "conditions": [cond("gender", "==", json!("Other")),
                                              cond("contactStage", "==", json!("Lead"))]}]),
        json!([cond("contactStage", "exists", json!(null))]),
        json!([cond("gender", "!=", json!("Male"))]),
    ];
    let answers = async || w.counts_agreeing_with_the_rows(&rules).await;
    // Asha Female Subscriber, Bob Male Lead, Chen Other Subscriber, Dana Female, Eve neither.
    assert_eq!(answers().await, [2, 1, 2, 3, 4]);
    w.put_person(1, json!({"contactStage": "SUBSCRIBER"})).await;
    w.put_person(0, json!({"gender": null})).await;
    w.put_person(4, json!({"gender": "Female", "contactStage": "Lead"}))
        .await;
    w.delete_person(2).await;
    w.import(
        json!([{"name": "Fay", "phoneNumber": "+14155550124", "gender": "Female",
                     "contactStage": "Subscriber"}]),
    )
    .await;
    // Asha Subscriber, Bob Male SUBSCRIBER, Dana Female, Eve Female Lead, Fay Female
    // Subscriber.
    assert_eq!(answers().await, [3, 1, 1, 4, 4]);
}

#[tokio::test]
async fn rules_over_activity_creation_and_opt_out_agree_with_the_rows() {
    let w = world().await;
    let cond = |attribute: &str, op: &str, value: Value| json!({"attribute": attribute, "operator": op, "value": value});
    // Counted along the narrow index, and from the rows.
    let rules = [
        json!([cond("lastActivityAt", "exists", json!(null))]),
        json!([
            cond("lastActivityAt", "after", json!("2025-01-01")),
            cond("gender", "==", json!("Male"))
        ]),
        json!([{"logic": "or", "conditions": [cond("optedOut", "==", json!(true)),
                                              cond("gender", "==", json!("Other"))]}]),
        json!([cond("createdAt", "after", json!("2020-01-01"))]),
        json!([cond("createdAt", "before", json!("2020-01-01"))]),
    ];
    let answers = async || w.counts_agreeing_with_the_rows(&rules).await;
    // Chen is Other; everyone was created now; nobody is active or opted out.
    assert_eq!(answers().await, [0, 0, 1, 5, 0]);
    // Activity is recorded by messages; planted here.
    let db = rusqlite::Connection::open(&w.app.db_path).unwrap();
    let active = "UPDATE contacts SET last_activity_at = ?1 WHERE id = ?2";
    db.execute(active, rusqlite::params![1_780_308_000, &w.ids[1]])
        .unwrap();
    db.execute(active, rusqlite::params![1_559_383_200, &w.ids[3]])
        .unwrap();
    w.put_person(3, json!({"optedOut": true})).await;
    w.delete_person(4).await;
    // Bob (Male) active in 2026, Dana in 2019 and opted out; Eve gone.
    assert_eq!(answers().await, [2, 1, 2, 4, 0]);
}

/// `GET /v1/segments` counts a page's rules over the narrow index in one scan per type
/// (segments::page); every count it lists is still the segment's own, for rules of every
/// way of counting, of contacts and of clients, with each rule's values kept apart.
#[tokio::test]
async fn a_page_of_segments_lists_each_count_as_counted_alone() {
    let w = world().await;
    for (name, country) in [("Kofi", "India"), ("Lena", "India"), ("Mia", "Chile")] {
        let body = json!({"name": name, "gender": "Female", "attributes": {"country": country}});
        w.app.ok("POST", "/v1/clients", &w.key, Some(body)).await;
    }
    let cond = |attribute: &str, operator: &str, value: Value| {
        let condition = json!({"attribute": attribute, "operator": operator, "value": value});
        json!([{ "conditions": [condition] }])
    };
    let mut bodies = Vec::new();
    for (kind, groups) in [
        ("contact", cond("country", "==", json!("India"))),
        ("contact", cond("country", "==", json!("USA"))),
        ("contact", cond("country", "!=", json!("India"))),
        ("contact", cond("gender", "in", json!(["Female", "Other"]))),
        ("contact", cond("age", ">=", json!(30))),
        ("contact", cond("tags", "has", json!(["vip"]))),
        ("contact", cond("name", "starts_with", json!("A"))),
        ("client", cond("country", "==", json!("India"))),
        ("client", cond("country", "==", json!("Chile"))),
        ("client", cond("gender", "==", json!("Female"))),
        ("contact", cond("score", "==", json!("high"))),
    ] {
        bodies.push(json!({"name": "s", "type": kind, "groups": groups}));
    }
    bodies
        .push(json!({"name": "s", "type": "contact", "criteria": {"contactStage": "Subscriber"}}));
    bodies.push(json!({"name": "s", "type": "contact", "criteria": {}}));
    bodies.push(json!({"name": "s", "type": "contact", "contactIds": [w.ids[0], w.ids[3]]}));
    for body in bodies {
        w.create(body).await;
    }
    // The score rule stops fitting: the first score stored is a number.
    let body = json!({"name": "Zed", "attributes": {"score": 7}});
    w.app.ok("POST", "/v1/contacts", &w.key, Some(body)).await;

    let listed = w
        .app
        .ok("GET", "/v1/segments?limit=100", &w.key, None)
        .await;
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 14);
    let (mut counts, mut problems) = (Vec::new(), 0);
    for s in listed {
        let path = format!("/v1/segments/{}/count", s["id"].as_str().unwrap());
        let res = w.app.call("GET", &path, &w.key, None).await;
        if s["memberCount"].is_null() {
            assert!(s["problem"].as_str().unwrap().contains("no longer fits"));
            assert_eq!(res.status(), StatusCode::CONFLICT);
            problems += 1;
            continue;
        }
        let alone = res.json::<Value>().await.unwrap()["count"]
            .as_i64()
            .unwrap();
        assert_eq!(s["memberCount"].as_i64().unwrap(), alone, "{s}");
        counts.push(alone);
    }
    assert_eq!(problems, 1, "the score rule");
    assert_eq!(counts[..10], [2, 1, 4, 3, 2, 2, 1, 2, 1, 3], "{counts:?}");
}
