//! A person's messages live in two indexes (schema.sql): every reader of them must ask both
//! halves, and none may scan the log.

use super::*;
use crate::db::{prepare_schema, query_plan};
use rusqlite::StatementStatus;

/// Account 1 with people 1 and 2, a Telegram broadcast 1, and for each person a direct
/// message and a broadcast message, all sent at time 10; person 1 also wrote in.
fn log_of_two() -> Connection {
    let mut conn = Connection::open_in_memory().unwrap();
    prepare_schema(&mut conn).unwrap();
    conn.execute_batch(
        "INSERT INTO accounts (id, email, password_hash, plan, created_at)
             VALUES (1, 'a@example.com', 'x', 'trial', 0);
         INSERT INTO contacts (id, account_id, type, telegram_id, created_at, updated_at)
             VALUES (1, 1, 0, 't1', 0, 0), (2, 1, 0, 't2', 0, 0);
         INSERT INTO broadcasts (id, account_id, name, segment_id, person_type, channel, request,
                                 status, created_at, updated_at)
             VALUES (1, 1, 'b', 1, 0, 'telegram', '{}', 1, 0, 0);
         INSERT INTO messages (id, account_id, contact_id, channel, incoming, kind, status,
                               broadcast_id, text, created_at, sent_at, updated_at)
             VALUES (1, 1, 1, 'telegram', 0, 'text', 3, NULL, 'direct to 1', 0, 10, 0),
                    (2, 1, 2, 'telegram', 0, 'text', 3, NULL, 'direct to 2', 0, 10, 0),
                    (3, 1, 1, 'telegram', 0, 'text', 3, 1, 'broadcast to 1', 0, 10, 0),
                    (4, 1, 2, 'telegram', 0, 'text', 3, 1, 'broadcast to 2', 0, 10, 0),
                    (5, 1, 1, 'telegram', 1, 'text', 8, NULL, 'from 1', 0, NULL, 0);",
    )
    .unwrap();
    conn
}

/// The ids of the messages `filter` (a `WHERE` clause or nothing) keeps, in order.
fn message_ids(conn: &Connection, filter: &str) -> Vec<i64> {
    conn.prepare(&format!("SELECT id FROM messages {filter} ORDER BY id"))
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn ids(entries: &[Value]) -> Vec<&str> {
    entries.iter().map(|m| m["id"].as_str().unwrap()).collect()
}

#[test]
fn a_persons_log_holds_its_direct_and_broadcast_messages_newest_first() {
    let conn = log_of_two();
    let page = Page {
        limit: 20,
        offset: 0,
    };
    let (entries, total) = log(&conn, 1, 1, None, None, page).unwrap();
    assert_eq!((ids(&entries), total), (vec!["5", "3", "1"], 3));
    let (entries, total) = log(&conn, 1, 1, Some("broadcast"), None, page).unwrap();
    assert_eq!((ids(&entries), total), (vec!["3"], 1));
    let (entries, _) = log(&conn, 1, 1, None, Some(5), page).unwrap();
    assert_eq!(ids(&entries), ["3", "1"]);
    let (entries, total) = log(&conn, 1, 2, None, None, page).unwrap();
    assert_eq!((ids(&entries), total), (vec!["4", "2"], 2));
}

#[test]
fn a_read_watermark_reaches_the_persons_broadcast_messages_too() {
    let conn = log_of_two();
    let moved = provider_status_until(&conn, 1, Channel::Telegram, "t1", Status::Read, 10, 20);
    assert_eq!(moved.unwrap(), 2, "messages 1 and 3, not the incoming one");
    assert_eq!(message_ids(&conn, "WHERE status = 5"), [1, 3]);
}

#[test]
fn deleting_a_person_deletes_both_halves_of_its_log_without_a_scan() {
    let conn = log_of_two();
    let mut delete = conn.prepare("DELETE FROM contacts WHERE id = 1").unwrap();
    delete.execute([]).unwrap();
    // Counts the steps of full scans in the statement and the triggers it fired.
    assert_eq!(delete.get_status(StatementStatus::FullscanStep), 0);
    assert_eq!(message_ids(&conn, ""), [2, 4]);
}

#[test]
fn finding_a_persons_messages_never_scans_the_log() {
    let conn = log_of_two();
    let every = Status::ALL.map(|s| s.code().to_string()).join(", ");
    let person = "IN (SELECT id FROM contacts WHERE account_id = ?1 AND telegram_id = ?2)";
    for sql in [
        format!(
            "SELECT count(*) FROM messages m WHERE m.account_id = ?1 AND {}",
            of_person("= ?2", "?1", &every)
        ),
        format!(
            "UPDATE messages AS m SET status = 5 WHERE {} AND m.status IN (3, 4)",
            of_person(person, "?1", "3, 4")
        ),
    ] {
        let plan = query_plan(&conn, &sql);
        assert!(
            plan.iter().all(|step| !step.starts_with("SCAN")),
            "{sql}\n{plan:?}"
        );
    }
}

/// The events recorded for messages, as (type, message id), in order.
fn events(conn: &Connection) -> Vec<(String, i64)> {
    conn.prepare("SELECT event_type, object_id FROM webhook_events ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn status_changes_record_events_only_for_an_account_that_listens() {
    let conn = log_of_two();
    let incoming = NewMessage {
        account_id: 1,
        contact_id: 2,
        channel: Channel::Telegram,
        incoming: true,
        kind: Kind::Text,
        sent_by: None,
        status: Status::Received,
        location_id: None,
        scheduled_at: None,
        provider_id: None,
    };
    insert(&conn, &incoming, &Content::default(), 30).unwrap();
    set_status(&conn, 2, Status::Delivered, None, 30).unwrap();
    assert!(events(&conn).is_empty(), "no endpoint, no event");

    conn.execute_batch(
        "INSERT INTO webhook_endpoints (id, account_id, url, events, secret, created_at, updated_at)
             VALUES (1, 1, 'http://receiver.test/', '[\"*\"]', 'whsec_x', 0, 0);
         INSERT INTO webhook_subscriptions (account_id, event_type, endpoint_id) VALUES (1, '*', 1);",
    )
    .unwrap();
    let id = insert(&conn, &incoming, &Content::default(), 40).unwrap();
    assert!(set_status(&conn, 2, Status::Read, None, 40).unwrap());
    assert!(
        !set_status(&conn, 2, Status::Delivered, None, 40).unwrap(),
        "not backwards"
    );
    assert!(fail(&conn, 4, Some("131026"), "undeliverable", 40).unwrap());
    provider_status_until(&conn, 1, Channel::Telegram, "t1", Status::Read, 10, 50).unwrap();
    assert_eq!(
        events(&conn),
        [
            ("message.received".to_string(), id),
            ("message.read".to_string(), 2),
            ("message.failed".to_string(), 4),
            ("message.read".to_string(), 1),
            ("message.read".to_string(), 3),
        ]
    );
}

#[test]
fn messages_carry_no_trigger_that_a_fan_out_would_pay_per_row() {
    let conn = log_of_two();
    let triggers: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'messages'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        triggers,
        ["messages_unstore"],
        "only deletes, which are rare"
    );
}
