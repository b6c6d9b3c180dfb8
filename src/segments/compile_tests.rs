//! The compiler against a small population with known answers: every operator, AND/OR,
//! nesting, tenancy, injection-shaped input and every kind of invalid rule.
use super::*;
use crate::contacts::model::{PersonChanges, PersonInput, PersonType};
use crate::contacts::phone::PhoneRules;
use crate::contacts::store;
use crate::segments::rules::{MAX_CONDITIONS, MAX_DEPTH};
use rusqlite::Connection;
use serde_json::json;

/// 2026-11-22T12:00:00Z
const NOW: Timestamp = 1_795_341_600 + 2 * 3600;

struct Population {
    conn: Connection,
    l1: i64,
}

fn add(conn: &Connection, account: i64, kind: PersonType, body: Value) -> i64 {
    let input: PersonInput = serde_json::from_value(body).unwrap();
    let changes =
        PersonChanges::parse(input, &PhoneRules::new(None).unwrap(), date_of(NOW)).unwrap();
    store::insert(conn, account, kind, &changes, NOW).unwrap()
}

/// Four contacts with known answers, plus decoys in another account and of another type.
fn population() -> Population {
    let mut conn = Connection::open_in_memory().unwrap();
    crate::db::prepare_schema(&mut conn).unwrap();
    conn.execute_batch(
        "INSERT INTO accounts (id, email, password_hash, plan, created_at) VALUES
         (1, 'a@x.co', 'x', 'unlimited', 0), (2, 'b@x.co', 'x', 'unlimited', 0);
         INSERT INTO locations (id, account_id, title, created_at, updated_at) VALUES
         (1, 1, 'L1', 0, 0), (2, 1, 'L2', 0, 0);",
    )
    .unwrap();
    let c = PersonType::Contact;
    let asha = add(
        &conn,
        1,
        c,
        json!({"name": "Asha Rao", "phoneNumber": "+919876543210", "email": "asha@example.com",
        "gender": "Female", "birthDate": "1990-04-02", "contactStage": "Subscriber", "channel": "whatsapp",
        "tags": ["vip", "newsletter"], "attributes": {"country": "India", "orders": 7, "member": true}, "location": {"id": 1}}),
    );
    let bob = add(
        &conn,
        1,
        c,
        json!({"name": "Bob Smith", "phoneNumber": "+14155550100", "gender": "Male",
        "birthDate": "2000-11-23", "contactStage": "Lead", "tags": ["newsletter"],
        "attributes": {"country": "USA", "orders": 2, "member": false}}),
    );
    add(
        &conn,
        1,
        c,
        json!({"name": "Chen", "email": "chen@example.org", "gender": "Other", "contactStage": "Customer",
        "attributes": {"orders": 12}, "location": {"id": 2}}),
    );
    add(
        &conn,
        1,
        c,
        json!({"name": "dana", "birthDate": "2000-11-22"}),
    );
    add(
        &conn,
        2,
        c,
        json!({"name": "Other account", "tags": ["vip"], "attributes": {"country": "India", "orders": 99}}),
    );
    add(
        &conn,
        1,
        PersonType::Client,
        json!({"name": "A client", "tags": ["vip"], "attributes": {"country": "India"}}),
    );
    conn.execute(
        "UPDATE contacts SET last_activity_at = ?1 WHERE id = ?2",
        [NOW - 2 * SECONDS_PER_DAY, asha],
    )
    .unwrap();
    conn.execute(
        "UPDATE contacts SET last_activity_at = ?1 WHERE id = ?2",
        [NOW - 40 * SECONDS_PER_DAY, bob],
    )
    .unwrap();
    Population { conn, l1: 1 }
}

impl Population {
    fn count_rule(&self, groups: Value, group_logic: Option<Value>) -> Result<i64, Error> {
        let rule = Rule::parse(&groups, group_logic.as_ref(), "")?;
        let keys = store::attribute_keys(&self.conn, 1)?;
        let compiled = compile(&rule, &keys, 1, NOW)?;
        let sql = format!(
            "SELECT count(*) FROM contacts c WHERE c.account_id = ? AND c.type = 0 AND {}",
            compiled.sql
        );
        let mut params = vec![Sql::Integer(1)];
        params.extend(compiled.params);
        Ok(self
            .conn
            .query_row(&sql, rusqlite::params_from_iter(params), |r| r.get(0))
            .unwrap())
    }

    fn count(&self, attribute: &str, operator: &str, value: Value) -> i64 {
        let groups = json!([{"conditions": [{"attribute": attribute, "operator": operator, "value": value}]}]);
        self.count_rule(groups, None)
            .unwrap_or_else(|e| panic!("{attribute} {operator}: {e}"))
    }
}

#[test]
fn every_operator_on_every_kind_of_field() {
    let p = population();
    let cases: Vec<(&str, &str, Value, i64)> = vec![
        ("country", "==", json!("india"), 1),
        ("country", "!=", json!("India"), 3),
        ("country", "exists", Value::Null, 2),
        ("country", "not_exists", Value::Null, 2),
        ("country", "in", json!(["usa", "India"]), 2),
        ("country", "not_in", json!(["USA"]), 3),
        ("name", "contains", json!("A"), 2),
        ("name", "not_contains", json!("a"), 2),
        ("name", "starts_with", json!("b"), 1),
        ("name", "ends_with", json!("RAO"), 1),
        ("name", "contains", json!("%"), 0),
        ("phoneNumber", "contains", json!("98765"), 1),
        ("phone", "starts_with", json!("+1"), 1),
        ("phone", "starts_with", json!("+9198765432"), 1),
        ("phone", "starts_with", json!("+9"), 1),
        ("phone", "starts_with", json!("+14155550109"), 0),
        ("email", "ends_with", json!(".org"), 1),
        ("orders", ">", json!(5), 2),
        ("orders", ">=", json!(7), 2),
        ("orders", "<", json!(7), 1),
        ("orders", "<=", json!("7"), 2),
        ("orders", "==", json!(2), 1),
        ("orders", "!=", json!(2), 3),
        ("orders", "in", json!([2, 12]), 2),
        ("orders", "not_in", json!([2]), 3),
        ("member", "==", json!(true), 1),
        ("member", "==", json!("false"), 1),
        ("member", "!=", json!(true), 3),
        ("gender", "in", json!(["female", "MALE"]), 2),
        ("gender", "==", json!("Other"), 1),
        ("contactStage", "==", json!("lead"), 1),
        ("channel", "==", json!("WhatsApp"), 1),
        ("age", ">=", json!(26), 2),
        ("age", ">", json!(25), 2),
        ("age", "==", json!(25), 1),
        ("age", "==", json!(26), 1),
        ("age", "<", json!(26), 1),
        ("age", "<=", json!(25), 1),
        ("age", "!=", json!(36), 3),
        ("birthDate", "before", json!("1995-01-01"), 1),
        ("birthDate", "after", json!("2000-11-22"), 1),
        ("birthDate", "==", json!("2000-11-22"), 1),
        ("lastActivityAt", "within_last_days", json!(7), 1),
        ("lastActivityAt", "within_last_days", json!("60"), 2),
        ("lastActivityAt", "not_exists", Value::Null, 2),
        (
            "lastActivityAt",
            "after",
            json!("2026-11-01T00:00:00+05:30"),
            1,
        ),
        ("createdAt", "before", json!("2026-11-23"), 4),
        ("tags", "has", json!("vip"), 1),
        ("tags", "has", json!(["vip", "newsletter"]), 2),
        ("tags", "has_all", json!(["VIP", "newsletter"]), 1),
        ("tags", "has_none", json!(["vip"]), 3),
        ("tags", "exists", Value::Null, 2),
        ("tags", "not_exists", Value::Null, 2),
        ("tags", "==", json!("Newsletter"), 2),
        ("optedOut", "==", json!(false), 4),
        ("locationId", "==", json!(p.l1.to_string()), 1),
        ("locationId", "!=", json!(p.l1), 3),
        ("locationId", "exists", Value::Null, 2),
        ("favourite", "==", json!("x"), 0),
        ("favourite", "!=", json!("x"), 4),
        ("favourite", "not_exists", Value::Null, 4),
    ];
    for (attribute, operator, value, expected) in cases {
        assert_eq!(
            p.count(attribute, operator, value.clone()),
            expected,
            "{attribute} {operator} {value}"
        );
    }
}

#[test]
fn word_aliases_mean_their_operators() {
    let p = population();
    assert_eq!(p.count("country", "is", json!("India")), 1);
    assert_eq!(p.count("country", "is not", json!("India")), 3);
    assert_eq!(p.count("orders", "greater than", json!(5)), 2);
    assert_eq!(p.count("orders", "Less_Than", json!(5)), 1);
    assert_eq!(p.count("name", "does not contain", json!("a")), 2);
    assert_eq!(p.count("tags", "has all", json!(["vip", "newsletter"])), 1);
    assert_eq!(p.count("lastActivityAt", "in the last", json!(7)), 1);
    for (alias, op) in [
        ("equals", Op::Eq),
        ("gte", Op::Ge),
        ("is one of", Op::In),
        ("is set", Op::Exists),
        ("begins-with", Op::StartsWith),
    ] {
        assert_eq!(Op::parse(alias), Some(op), "{alias}");
    }
    assert_eq!(Op::parse("resembles"), None);
}

#[test]
fn and_or_and_nesting() {
    let p = population();
    let india = json!({"attribute": "country", "operator": "==", "value": "India"});
    let big = json!({"attribute": "orders", "operator": ">", "value": 10});
    assert_eq!(
        p.count_rule(
            json!([{"conditions": [india]}, {"conditions": [big]}]),
            None
        )
        .unwrap(),
        2,
        "groups OR"
    );
    assert_eq!(
        p.count_rule(
            json!([{"conditions": [india]}, {"conditions": [big]}]),
            Some(json!("and"))
        )
        .unwrap(),
        0
    );
    assert_eq!(
        p.count_rule(json!([{"conditions": [india, big]}]), None)
            .unwrap(),
        0,
        "conditions AND"
    );
    assert_eq!(
        p.count_rule(json!([{"logic": "or", "conditions": [india, big]}]), None)
            .unwrap(),
        2
    );
    let nested = json!([{"conditions": [
        {"attribute": "tags", "operator": "has", "value": "newsletter"},
        {"logic": "or", "conditions": [
            {"attribute": "country", "operator": "==", "value": "USA"},
            {"attribute": "orders", "operator": ">", "value": 5}
        ]}
    ]}]);
    assert_eq!(p.count_rule(nested, None).unwrap(), 2);
}

#[test]
fn other_accounts_and_types_never_match() {
    let p = population();
    // Account 2 and the client both have country India and tag vip.
    assert_eq!(p.count("country", "==", json!("India")), 1);
    assert_eq!(p.count("tags", "has", json!("vip")), 1);
    assert_eq!(p.count("orders", "==", json!(99)), 0);
}

#[test]
fn injection_shaped_names_and_values_match_nothing_and_break_nothing() {
    let p = population();
    assert_eq!(p.count("country' OR 1=1 --", "==", json!("x")), 0);
    assert_eq!(p.count("country", "==", json!("' OR '1'='1")), 0);
    assert_eq!(
        p.count("name", "contains", json!("'; DROP TABLE contacts; --")),
        0
    );
    assert_eq!(p.count("tags", "has", json!(["x') OR 1=1 --"])), 0);
    assert_eq!(
        p.count("name", "exists", Value::Null),
        4,
        "the table is still there"
    );
}

fn error(groups: Value) -> String {
    let p = population();
    p.count_rule(groups, None).unwrap_err().message
}

#[test]
fn bad_rules_are_400_naming_the_place() {
    let cond = |a: &str, o: &str, v: Value| json!({"attribute": a, "operator": o, "value": v});
    let cases = [
        (json!({}), "groups: expected an array of groups"),
        (json!([]), "groups: needs at least one group"),
        (
            json!([{"conditions": []}]),
            "groups[0].conditions: needs at least one condition",
        ),
        (
            json!([{"conditions": [cond("country", "resembles", json!("x"))]}]),
            "groups[0].conditions[0].operator: unknown operator",
        ),
        (
            json!([{}, {"conditions": [cond("orders", ">", json!("many"))]}]),
            "groups[0].conditions: expected an array",
        ),
        (
            json!([{"conditions": [cond("a", "==", json!(1))]}, {"conditions": [cond("orders", ">", json!("many"))]}]),
            "groups[1].conditions[0].value: expected a number",
        ),
        (
            json!([{"conditions": [cond("country", "in", json!("India"))]}]),
            "groups[0].conditions[0].value: expected an array",
        ),
        (
            json!([{"conditions": [cond("member", "==", json!(3))]}]),
            "groups[0].conditions[0].value: expected true or false",
        ),
        (
            json!([{"conditions": [cond("age", ">", json!(-1))]}]),
            "groups[0].conditions[0].value: expected a whole number",
        ),
        (
            json!([{"conditions": [cond("lastActivityAt", "within_last_days", json!("soon"))]}]),
            "groups[0].conditions[0].value: expected a number of days",
        ),
        (
            json!([{"conditions": [cond("birthDate", "before", json!("yesterday"))]}]),
            "groups[0].conditions[0].value: expected a date",
        ),
        (
            json!([{"conditions": [cond("gender", "in", json!(["female", "robot"]))]}]),
            "groups[0].conditions[0].value[1]: expected Male, Female or Other",
        ),
        (
            json!([{"conditions": [cond("tags", ">", json!("x"))]}]),
            "groups[0].conditions[0].operator: tags take",
        ),
        (
            json!([{"conditions": [cond("member", "contains", json!("x"))]}]),
            "groups[0].conditions[0].operator:",
        ),
        (
            json!([{"conditions": [cond("", "==", json!("x"))]}]),
            "groups[0].conditions[0].attribute:",
        ),
        (
            json!([{"logic": "xor", "conditions": [cond("a", "==", json!(1))]}]),
            "groups[0].logic: expected",
        ),
        (
            json!([{"conditions": [cond("unknown", "==", json!([1]))]}]),
            "groups[0].conditions[0].value: expected a string",
        ),
    ];
    for (groups, expected) in cases {
        let message = error(groups.clone());
        assert!(message.starts_with(expected), "{groups}: {message}");
    }
    let many: Vec<Value> = (0..=MAX_CONDITIONS)
        .map(|i| cond("orders", ">", json!(i)))
        .collect();
    assert!(error(json!([{"conditions": many}])).contains("at most 50 conditions"));
    let mut deep = json!({"conditions": [cond("orders", ">", json!(1))]});
    for _ in 0..MAX_DEPTH {
        deep = json!({"logic": "or", "conditions": [deep]});
    }
    assert!(error(json!([deep])).contains("nest at most 5 deep"));
}

#[test]
fn the_compiled_sql_holds_no_input_text() {
    let rule = Rule::parse(
        &json!([{"conditions": [{"attribute": "nickname'--", "operator": "==", "value": "Robert'); DROP"},
                                {"attribute": "name", "operator": "contains", "value": "x' OR 1=1"}]}]),
        None,
        "",
    )
    .unwrap();
    let compiled = compile(&rule, &[], 1, NOW).unwrap();
    assert!(
        !compiled.sql.contains("DROP")
            && !compiled.sql.contains("nickname")
            && !compiled.sql.contains("OR 1=1"),
        "{}",
        compiled.sql
    );
    assert_eq!(compiled.params, vec![Sql::Text("%x' OR 1=1%".into())]);
}

#[test]
fn only_rules_that_nobody_without_a_birth_date_meets_count_by_day() {
    let cond = |a: &str, o: &str, v: Value| json!({"attribute": a, "operator": o, "value": v});
    let by_day = |groups: Value| only_birth_dates(&Rule::parse(&groups, None, "").unwrap());
    let one = |c: Value| json!([{"conditions": [c]}]);
    assert!(by_day(one(cond("age", ">=", json!(30)))));
    assert!(by_day(one(cond(
        "birthDate",
        "before",
        json!("2000-01-01")
    ))));
    assert!(by_day(one(cond("BIRTHDATE", "exists", json!(null)))));
    assert!(by_day(json!([
        {"logic": "or", "conditions": [cond("age", "<", json!(20)), cond("age", ">", json!(60))]},
        {"conditions": [cond("birthDate", "within_last_days", json!(30))]}
    ])));
    // Negative operators and absence also match people without a date; other fields are
    // not a date at all.
    assert!(!by_day(one(cond("age", "!=", json!(30)))));
    assert!(!by_day(one(cond("birthDate", "not_exists", json!(null)))));
    assert!(!by_day(json!([{"conditions": [
        cond("age", ">=", json!(30)), cond("gender", "==", json!("Female"))]}])));
    assert!(!by_day(one(cond(
        "createdAt",
        "before",
        json!("2000-01-01")
    ))));
}

#[test]
fn only_rules_over_the_narrow_index_columns_read_it_alone() {
    let key = |slot: usize, name: &str| AttrKey {
        slot,
        name: name.into(),
        kind: AttrKind::Number,
    };
    let keys = [key(1, "orders"), key(8, "score"), key(9, "late")];
    let cond = |a: &str| json!({"attribute": a, "operator": ">", "value": 3});
    let narrow =
        |groups: Value| only_narrow_columns(&Rule::parse(&groups, None, "").unwrap(), &keys);
    assert!(narrow(
        json!([{"conditions": [cond("orders"), cond("SCORE")]}])
    ));
    assert!(narrow(json!([
        {"logic": "or", "conditions": [cond("orders"), {"conditions": [cond("score")]}]}
    ])));
    assert!(!narrow(
        json!([{"conditions": [cond("orders"), cond("late")]}])
    ));
    // The stage, gender and birth date are in the index too, and so are the times.
    let stage = json!({"attribute": "contactStage", "operator": "==", "value": "Lead"});
    assert!(narrow(json!([
        {"logic": "or", "conditions": [cond("orders"), {"conditions": [cond("age"), stage]}]}
    ])));
    let active =
        json!({"attribute": "lastActivityAt", "operator": "within_last_days", "value": 30});
    let joined = json!({"attribute": "createdAt", "operator": "after", "value": "2026-01-01"});
    assert!(narrow(json!([{"conditions": [active, joined]}])));
    // The location is not: its own index serves it.
    assert!(!narrow(json!([{"conditions": [cond("locationId")]}])));
    // Tags ask only for the id, which the index carries.
    let tag = json!({"attribute": "tags", "operator": "has", "value": ["vip"]});
    assert!(narrow(
        json!([{"logic": "or", "conditions": [cond("orders"), tag]}])
    ));
    let email = json!({"attribute": "email", "operator": "contains", "value": "x"});
    assert!(!narrow(json!([{"conditions": [cond("orders"), email]}])));
    assert!(!narrow(json!([{"conditions": [cond("unknown")]}])));
}

/// A phone prefix reads a range of the phone index, not every row; for a count, it then
/// looks its people up in id order (the range's ids gathered first), not in phone order.
/// A walk of the members in id order (a fan-out's steps) tests the range on each person
/// instead: gathering every id at each step would make the walk quadratic.
#[test]
fn a_phone_prefix_reads_the_phone_index() {
    let p = population();
    let rule = Rule::parse(
        &json!([{"conditions": [
            {"attribute": "phoneNumber", "operator": "starts_with", "value": "+9198"},
            {"attribute": "contactStage", "operator": "==", "value": "Subscriber"}]}]),
        None,
        "",
    )
    .unwrap();
    let walk = compile(&rule, &[], 1, NOW).unwrap();
    assert!(!walk.sql.contains("IN (SELECT"), "{}", walk.sql);
    let compiled = compile_for_count(&rule, &[], 1, NOW).unwrap();
    let sql = format!(
        "SELECT count(*) FROM contacts c WHERE c.account_id = ? AND c.type = ? AND {}",
        compiled.sql
    );
    let plan = crate::db::query_plan(&p.conn, &sql).join("\n");
    assert!(plan.contains("contacts_by_phone"), "{plan}");
    // By id: in the table, or in the narrow index when it carries the other columns.
    assert!(
        plan.contains("rowid=?") || plan.contains("AND id=?"),
        "{plan}"
    );
    assert_eq!(p.count("phoneNumber", "starts_with", json!("+9198")), 1);
}

/// For a scan of the narrow index, tags are tested after the column tests (in the tag
/// bits the index carries, never by looking up each tagged person), and every value stays
/// bound to its own placeholder.
#[test]
fn for_a_scan_tags_are_tested_after_the_columns() {
    let p = population();
    let groups = json!([{"conditions": [
        {"attribute": "tags", "operator": "has", "value": ["vip"]},
        {"attribute": "gender", "operator": "==", "value": "Female"}]}]);
    let rule = Rule::parse(&groups, None, "").unwrap();
    let scan = compile_for_scan(&rule, &[], 1, NOW).unwrap();
    let (gender, tag) = (scan.sql.find("c.gender"), scan.sql.find("c.tag_bits"));
    assert!(
        gender.is_some() && tag.is_some() && gender < tag,
        "{}",
        scan.sql
    );
    assert_eq!(scan.params.first(), Some(&Sql::Text("Female".into())));
    let plain = compile(&rule, &[], 1, NOW).unwrap();
    assert!(!plain.sql.contains("tag_bits"), "{}", plain.sql);
    assert!(p.scan_count(&plain) > 0);
    assert_eq!(p.scan_count(&scan), p.scan_count(&plain));
}

/// Every tag condition counts alike from the tag bits and from the links, whether the
/// tags named own a bit or not (a tag made while all 63 bits were held has none).
#[test]
fn tag_bits_count_as_the_links_do_with_and_without_bits() {
    let p = population();
    let cases = [
        ("has", json!("vip")),
        ("has", json!(["vip", "newsletter"])),
        ("has", json!(["newsletter", "unknown"])),
        ("has_all", json!(["VIP", "newsletter"])),
        ("has_all", json!(["newsletter"])),
        ("has_all", json!(["vip", "unknown"])),
        ("has_none", json!(["vip"])),
        ("has_none", json!(["vip", "newsletter"])),
        ("==", json!("Newsletter")),
        ("!=", json!("newsletter")),
        ("exists", Value::Null),
        ("not_exists", Value::Null),
    ];
    let check = |state: &str| {
        for (op, value) in &cases {
            let groups = json!([{"logic": "or", "conditions": [
                {"attribute": "tags", "operator": op, "value": value},
                {"attribute": "gender", "operator": "==", "value": "Other"}]}]);
            let rule = Rule::parse(&groups, None, "").unwrap();
            let scan = compile_for_scan(&rule, &[], 1, NOW).unwrap();
            let plain = compile(&rule, &[], 1, NOW).unwrap();
            assert_eq!(
                p.scan_count(&scan),
                p.scan_count(&plain),
                "{state}: tags {op} {value}: {}",
                scan.sql
            );
        }
    };
    let bits: i64 = (p.conn)
        .query_row("SELECT count(*) FROM tags WHERE bit IS NOT NULL", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(bits >= 2, "vip and newsletter own bits");
    check("every tag with a bit");
    // As if newsletter had been made while all 63 bits were held.
    p.conn
        .execute_batch(
            "UPDATE contacts SET tag_bits = tag_bits & ~(1 << (SELECT bit FROM tags
                 WHERE account_id = 1 AND name = 'newsletter'));
             UPDATE tags SET bit = NULL WHERE account_id = 1 AND name = 'newsletter';",
        )
        .unwrap();
    check("newsletter without a bit");
}

impl Population {
    /// Counts account 1's contacts as `segments::count` scans them.
    fn scan_count(&self, c: &Compiled) -> i64 {
        let sql = format!(
            "SELECT count(*) FROM contacts c WHERE c.account_id = 1 AND c.type = 0 AND {}",
            c.sql
        );
        self.conn
            .query_row(&sql, rusqlite::params_from_iter(&c.params), |r| r.get(0))
            .unwrap()
    }
}
