use super::*;
use crate::broadcasts::model::Request;
use crate::contacts::model::PersonType;
use crate::db::prepare_schema;
use crate::messages::model::Channel;

const CHUNK: i64 = 3;

/// People 1–10 with Telegram ids, but 3 has none and 5 opted out; a static segment of all
/// of them but 7, and a running Telegram broadcast to it.
fn ten_people() -> (Connection, Running) {
    let mut conn = Connection::open_in_memory().unwrap();
    prepare_schema(&mut conn).unwrap();
    rusqlite::vtab::array::load_module(&conn).unwrap();
    conn.execute_batch(
        "PRAGMA foreign_keys = ON;
         INSERT INTO accounts (id, email, password_hash, plan, created_at)
             VALUES (1, 'a@example.com', 'x', 'trial', 0);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)
         INSERT INTO contacts (id, account_id, type, telegram_id, opted_out, created_at, updated_at)
             SELECT i, 1, 0, CASE WHEN i = 3 THEN NULL ELSE 't' || i END, i = 5, 0, 0 FROM n;
         INSERT INTO segments (id, account_id, type, name, dynamic, created_at, updated_at)
             VALUES (1, 1, 0, 'all but 7', 0, 0, 0);
         INSERT INTO segment_members SELECT 1, id FROM contacts WHERE id <> 7;
         INSERT INTO broadcasts (id, account_id, name, segment_id, person_type, channel, request,
                                 status, created_at, updated_at)
             VALUES (1, 1, 'b', 1, 0, 'telegram', '{}', 1, 0, 0);",
    )
    .unwrap();
    let b = Running {
        id: 1,
        account_id: 1,
        segment_id: 1,
        kind: PersonType::Contact,
        channel: Channel::Telegram,
        request: Request {
            template: None,
            text_message: Some("hi".into()),
        },
        fanout_after: 0,
        fanout_done: false,
    };
    (conn, b)
}

fn recipients(conn: &Connection) -> Vec<i64> {
    conn.prepare("SELECT contact_id FROM messages ORDER BY contact_id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// (cursor, done, skipped opted out, skipped unreachable) as the broadcast's row has them.
fn progress(conn: &Connection) -> (i64, bool, i64, i64) {
    conn.query_row(
        "SELECT fanout_after, fanout_done, skipped_opted_out, skipped_unreachable
         FROM broadcasts WHERE id = 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )
    .unwrap()
}

#[test]
fn steps_judged_one_ahead_queue_each_member_once() {
    let (conn, mut b) = ten_people();
    let mut next = judge(&conn, &b, 0, CHUNK, 0).unwrap();
    let mut steps = 0;
    loop {
        let step = next;
        // As the worker does: the next step is judged before this one is queued.
        let ahead = step
            .full(CHUNK)
            .then(|| judge(&conn, &b, step.last.unwrap(), CHUNK, 0).unwrap());
        let (_, done) = queue(&conn, &b, step, CHUNK, 0).unwrap();
        steps += 1;
        b.fanout_after = progress(&conn).0;
        match ahead {
            Some(ahead) if !done => next = ahead,
            _ => break,
        }
    }
    assert_eq!(recipients(&conn), [1, 2, 4, 6, 8, 9, 10]);
    assert_eq!(progress(&conn), (10, true, 1, 1));
    assert_eq!(
        steps, 4,
        "9 members in steps of 3, and an empty step that ends it"
    );
}

#[test]
fn a_step_judged_before_a_person_was_deleted_is_judged_again() {
    let (conn, b) = ten_people();
    let step = judge(&conn, &b, 0, CHUNK, 0).unwrap();
    conn.execute("DELETE FROM contacts WHERE id = 2", [])
        .unwrap();
    queue(&conn, &b, step, CHUNK, 0).unwrap();
    // Judged again: members 1, 3 (unreachable) and 4; nobody queued for the deleted 2.
    assert_eq!(recipients(&conn), [1, 4]);
    assert_eq!(progress(&conn), (4, false, 0, 1));
}

#[test]
fn a_step_judged_after_another_cursor_is_judged_again() {
    let (conn, mut b) = ten_people();
    let first = judge(&conn, &b, 0, CHUNK, 0).unwrap();
    let stale = judge(&conn, &b, 0, CHUNK, 0).unwrap();
    queue(&conn, &b, first, CHUNK, 0).unwrap();
    b.fanout_after = progress(&conn).0;
    queue(&conn, &b, stale, CHUNK, 0).unwrap();
    assert_eq!(recipients(&conn), [1, 2, 4, 6], "no one twice");
}

#[test]
fn a_deleted_segment_ends_the_fan_out() {
    let (conn, b) = ten_people();
    conn.execute("DELETE FROM segments WHERE id = 1", [])
        .unwrap();
    let step = judge(&conn, &b, 0, CHUNK, 0).unwrap();
    assert_eq!(queue(&conn, &b, step, CHUNK, 0).unwrap(), (0, true));
    assert_eq!(recipients(&conn), Vec::<i64>::new());
}

#[test]
fn a_list_reaches_its_people_and_nobody_else() {
    let (conn, mut b) = ten_people();
    // A list of 2, 3 (unreachable), 5 (opted out), 8 and 42 (no such person).
    conn.execute_batch(
        "UPDATE broadcasts SET segment_id = 0 WHERE id = 1;
         INSERT INTO broadcast_recipients (broadcast_id, contact_id, parameters)
             VALUES (1, 2, '{}'), (1, 3, '{}'), (1, 5, '{}'), (1, 8, '{}'), (1, 42, '{}');",
    )
    .unwrap();
    b.segment_id = LIST;
    loop {
        let step = judge(&conn, &b, b.fanout_after, CHUNK, 0).unwrap();
        let (_, done) = queue(&conn, &b, step, CHUNK, 0).unwrap();
        b.fanout_after = progress(&conn).0;
        if done {
            break;
        }
    }
    assert_eq!(recipients(&conn), [2, 8]);
    let (_, done, opted_out, unreachable) = progress(&conn);
    assert_eq!((done, opted_out, unreachable), (true, 1, 1));
}

/// A fan-out walks its members in steps of ids, so its audience tests a phone prefix on
/// each person: gathering the prefix's ids first, as a count does, would gather all of them
/// again at every step.
#[test]
fn a_fan_out_tests_a_phone_prefix_on_each_person() {
    let (conn, mut b) = ten_people();
    conn.execute_batch(
        r#"UPDATE contacts SET phone = '+9199' || id WHERE id % 2 = 0;
           INSERT INTO segments (id, account_id, type, name, dynamic, rule, created_at, updated_at)
               VALUES (2, 1, 0, 'phones', 1, '{"groups": [{"conditions": [{"attribute":
                   "phoneNumber", "operator": "starts_with", "value": "+9199"}]}]}', 0, 0);"#,
    )
    .unwrap();
    b.segment_id = 2;
    let segment = segments::find(&conn, 1, 2).unwrap().unwrap();
    let audience = segments::members_condition(&conn, 1, &segment, 0).unwrap();
    assert!(!audience.sql.contains("IN (SELECT"), "{}", audience.sql);
    let step = judge(&conn, &b, 0, 100, 0).unwrap();
    queue(&conn, &b, step, 100, 0).unwrap();
    assert_eq!(recipients(&conn), [2, 4, 6, 8, 10]);
}
