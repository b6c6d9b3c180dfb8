//! Broadcasts in SQL: creating, reading with live stats, pause/resume/cancel. The worker's
//! side (fan-out, paced claims, completion) is in [`crate::delivery`].

use super::model::{LIST, NewBroadcast, Parameters, Request, Status, StoredTemplate};
use super::report::{Counter, Minute};
use crate::accounts::store as accounts;
use crate::clock::{self, Timestamp};
use crate::contacts::model::Person;
use crate::db::Pool;
use crate::error::{Error, Result};
use crate::fields::Page;
use crate::messages::model::Status as MessageStatus;
use crate::messages::tally;
use crate::segments::count as segment_count;
use crate::segments::store::{self as segments, Segment};
use crate::templates::store as templates;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::{Value, json};
use std::collections::HashMap;

pub struct Broadcast {
    pub id: i64,
    pub name: String,
    pub segment_id: i64,
    /// As stored (the worker pauses a broadcast whose channel or request no longer reads).
    pub channel: String,
    pub request: Option<Request>,
    pub status: Status,
    pub skipped_opted_out: i64,
    pub skipped_unreachable: i64,
    pub scheduled_at: Option<Timestamp>,
    pub started_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub paused_reason: Option<String>,
}

const COLUMNS: &str = "id, name, segment_id, channel, request, status, skipped_opted_out, \
    skipped_unreachable, scheduled_at, started_at, completed_at, created_at, paused_reason";

fn from_row(r: &Row) -> rusqlite::Result<Broadcast> {
    let request: String = r.get(4)?;
    Ok(Broadcast {
        id: r.get(0)?,
        name: r.get(1)?,
        segment_id: r.get(2)?,
        channel: r.get(3)?,
        request: serde_json::from_str(&request).ok(),
        status: Status::from_code(r.get(5)?),
        skipped_opted_out: r.get(6)?,
        skipped_unreachable: r.get(7)?,
        scheduled_at: r.get(8)?,
        started_at: r.get(9)?,
        completed_at: r.get(10)?,
        created_at: r.get(11)?,
        paused_reason: r.get(12)?,
    })
}

/// Counts of a broadcast's messages by status (docs/api.md#broadcasts `stats`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub total: i64,
    pub queued: i64,
    pub sent: i64,
    pub delivered: i64,
    pub read: i64,
    pub failed: i64,
    pub cancelled: i64,
}

pub fn stats(conn: &Connection, id: i64) -> Result<Stats> {
    let mut stmt = conn.prepare_cached(
        "SELECT status, count(*) FROM messages WHERE broadcast_id = ?1 GROUP BY status",
    )?;
    let mut stats = Stats::default();
    let rows = stmt.query_map([id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
    for row in rows {
        let (status, n) = row?;
        stats.total += n;
        match MessageStatus::from_code(status) {
            Some(MessageStatus::Scheduled | MessageStatus::Queued | MessageStatus::Sending) => {
                stats.queued += n
            }
            Some(MessageStatus::Sent) => stats.sent += n,
            Some(MessageStatus::Delivered) => stats.delivered += n,
            Some(MessageStatus::Read) => stats.read += n,
            Some(MessageStatus::Failed) => stats.failed += n,
            Some(MessageStatus::Cancelled) => stats.cancelled += n,
            Some(MessageStatus::Received) | None => {}
        }
    }
    Ok(stats)
}

impl Broadcast {
    pub fn view(&self, s: Stats) -> Value {
        let time = |t: Option<Timestamp>| t.map(clock::rfc3339);
        let mut view = json!({
            "id": self.id.to_string(),
            "name": self.name,
            "segment": (self.segment_id != LIST).then(|| json!({"id": self.segment_id.to_string()})),
            "channel": self.channel,
            "status": self.status.as_str(),
            "stats": {
                "total": s.total,
                "queued": s.queued,
                "sent": s.sent,
                "delivered": s.delivered,
                "read": s.read,
                "failed": s.failed,
                "cancelled": s.cancelled,
                "skipped": self.skipped_opted_out + self.skipped_unreachable,
                "skippedReasons": {
                    "optedOut": self.skipped_opted_out,
                    "unreachable": self.skipped_unreachable,
                },
            },
            "scheduledAt": time(self.scheduled_at),
            "startedAt": time(self.started_at),
            "completedAt": time(self.completed_at),
            "createdAt": clock::rfc3339(self.created_at),
            "pausedReason": self.paused_reason,
        });
        let request = self.request.as_ref();
        if let Some(t) = request.and_then(|r| r.template.as_ref()) {
            view["template"] = json!({"name": t.name, "language": t.language});
            view["headerTextParameters"] = json!(t.header_text_parameters);
            view["bodyTextParameters"] = json!(t.body_text_parameters);
            view["buttonUrlParameters"] = json!(t.button_url_parameters);
            view["headerMediaUrl"] = json!(t.header_media_url);
        }
        if let Some(text) = request.and_then(|r| r.text_message.as_ref()) {
            view["textMessage"] = json!(text);
        }
        view
    }
}

/// A segment's members counted on a reader before a broadcast to it is stored, so that the
/// writer, which every write waits on, does not count them (a rule over every person's row
/// takes a large account a second). [`insert`] uses it while the segment is as counted.
pub struct CountAhead {
    segment: Segment,
    members: i64,
}

/// Counts the members of segment `segment_id` for [`insert`], with a second reader from
/// `spare` for a long count; `None` when there is no such segment or it cannot be counted
/// (the insert then says why).
pub fn count_ahead(
    conn: &Connection,
    spare: Option<&Pool>,
    account_id: i64,
    segment_id: i64,
    now: Timestamp,
) -> Result<Option<CountAhead>> {
    let Some(segment) = segments::find(conn, account_id, segment_id)? else {
        return Ok(None);
    };
    // One look at the rule: a problem is left for the insert to report.
    let members = segment_count::member_count(conn, spare, account_id, &segment, now)?;
    Ok(members.ok().map(|members| CountAhead { segment, members }))
}

/// Checks the segment and template against the data and stores the broadcast, `running`
/// (the worker fans it out) or `scheduled`. The segment's members are those `counted`
/// when it is the segment as it is now, else counted here.
pub fn insert(
    conn: &Connection,
    account_id: i64,
    b: &NewBroadcast,
    now: Timestamp,
    counted: Option<CountAhead>,
) -> Result<i64> {
    let segment = segments::find(conn, account_id, b.segment_id)?.ok_or_else(|| {
        Error::not_found(format!(
            "segment.id: no segment {} in this account",
            b.segment_id
        ))
    })?;
    if let Some(problem) = segments::problem(conn, account_id, &segment, now)? {
        return Err(segments::unevaluable(segment.id, &problem));
    }
    let members = match counted {
        Some(counted) if counted.segment == segment => counted.members,
        _ => segment_count::count(conn, None, account_id, &segment, now)?,
    };
    accounts::check_room(conn, account_id, 0, members)?;
    if let Some(t) = &b.request.template {
        let stored = templates::find(conn, account_id, &t.name, &t.language)?;
        stored.status.check_broadcast(&t.name, &t.language)?;
        // Parameter counts do not depend on the recipient: check them once, now.
        let unfilled = t.for_person(&Person::default());
        unfilled.render(&stored.template)?;
    }
    let (status, started_at) = match b.scheduled_at {
        Some(_) => (Status::Scheduled, None),
        None => (Status::Running, Some(now)),
    };
    conn.prepare_cached(
        "INSERT INTO broadcasts (account_id, name, segment_id, person_type, channel, request,
             status, scheduled_at, started_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
    )?
    .execute(params![
        account_id,
        b.name,
        b.segment_id,
        segment.kind.code(),
        b.channel.as_str(),
        serde_json::to_string(&b.request).expect("a request serializes"),
        status.code(),
        b.scheduled_at,
        started_at,
        now,
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Stores a running WhatsApp template broadcast to a list of contacts, each with parameters
/// of their own, after checking the template, each recipient's parameters against it, and
/// the account's room for the messages.
pub fn insert_list(
    conn: &Connection,
    account_id: i64,
    name: &str,
    template: &StoredTemplate,
    recipients: &[(i64, Parameters)],
    now: Timestamp,
) -> Result<i64> {
    accounts::check_room(conn, account_id, 0, recipients.len() as i64)?;
    let stored = templates::find(conn, account_id, &template.name, &template.language)?;
    stored
        .status
        .check_broadcast(&template.name, &template.language)?;
    for (_, own) in recipients {
        template.with(own).render(&stored.template)?;
    }
    let request = Request {
        template: Some(template.clone()),
        text_message: None,
    };
    conn.prepare_cached(
        "INSERT INTO broadcasts (account_id, name, segment_id, person_type, channel, request,
             status, started_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 'whatsapp', ?5, ?6, ?7, ?7, ?7)",
    )?
    .execute(params![
        account_id,
        name,
        LIST,
        crate::contacts::model::PersonType::Contact.code(),
        serde_json::to_string(&request).expect("a request serializes"),
        Status::Running.code(),
        now,
    ])?;
    let id = conn.last_insert_rowid();
    let mut add = conn.prepare_cached(
        "INSERT INTO broadcast_recipients (broadcast_id, contact_id, parameters)
         VALUES (?1, ?2, ?3)",
    )?;
    for (contact_id, own) in recipients {
        let own = serde_json::to_string(own).expect("parameters serialize");
        add.execute(params![id, contact_id, own])?;
    }
    Ok(id)
}

/// The parameters of each of `contacts` in a broadcast to a list; a recipient whose stored
/// parameters no longer read is left out (its message then fails, never goes out guessed).
pub fn list_parameters(
    conn: &Connection,
    broadcast_id: i64,
    contacts: &[i64],
) -> Result<HashMap<i64, Parameters>> {
    let mut stmt = conn.prepare_cached(
        "SELECT parameters FROM broadcast_recipients WHERE broadcast_id = ?1 AND contact_id = ?2",
    )?;
    let mut out = HashMap::with_capacity(contacts.len());
    for &contact in contacts {
        let stored: Option<String> = stmt
            .query_row(params![broadcast_id, contact], |r| r.get(0))
            .optional()?;
        if let Some(own) = stored.and_then(|s| serde_json::from_str(&s).ok()) {
            out.insert(contact, own);
        }
    }
    Ok(out)
}

/// Each recipient's message in a broadcast, by contact.
pub fn messages_by_contact(conn: &Connection, broadcast_id: i64) -> Result<HashMap<i64, i64>> {
    let mut stmt =
        conn.prepare_cached("SELECT contact_id, id FROM messages WHERE broadcast_id = ?1")?;
    let rows = stmt.query_map([broadcast_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The account's broadcast as answers show it, with its live stats.
pub fn view_of(conn: &Connection, account_id: i64, id: i64) -> Result<Value> {
    let broadcast = get(conn, account_id, id)?;
    Ok(broadcast.view(stats(conn, id)?))
}

pub fn get(conn: &Connection, account_id: i64, id: i64) -> Result<Broadcast> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM broadcasts WHERE id = ?1 AND account_id = ?2"
    ))?
    .query_row(params![id, account_id], from_row)
    .optional()?
    .ok_or_else(|| Error::not_found(format!("no broadcast with id {id}")))
}

/// The broadcast's counters (`broadcast_counts`): a few rows, whatever its size.
pub fn counters(conn: &Connection, id: i64) -> Result<Vec<Counter>> {
    let mut stmt = conn
        .prepare_cached("SELECT metric, n, sample FROM broadcast_counts WHERE broadcast_id = ?1")?;
    let rows = stmt.query_map([id], |r| {
        Ok(Counter {
            metric: r.get(0)?,
            n: r.get(1)?,
            sample: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The broadcast's minutes from `first` to `last` (unix minutes, both in), in order.
pub fn minutes(conn: &Connection, id: i64, (first, last): (i64, i64)) -> Result<Vec<Minute>> {
    let mut stmt = conn.prepare_cached(
        "SELECT minute, sent, delivered, read FROM broadcast_minutes
         WHERE broadcast_id = ?1 AND minute BETWEEN ?2 AND ?3 ORDER BY minute",
    )?;
    let rows = stmt.query_map(params![id, first, last], |r| {
        Ok(Minute {
            minute: r.get(0)?,
            sent: r.get(1)?,
            delivered: r.get(2)?,
            read: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn list(conn: &Connection, account_id: i64, page: Page) -> Result<(Vec<Broadcast>, i64)> {
    let total = conn
        .prepare_cached("SELECT count(*) FROM broadcasts WHERE account_id = ?1")?
        .query_row([account_id], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM broadcasts WHERE account_id = ?1 ORDER BY id DESC LIMIT ?2 OFFSET ?3"
    ))?;
    let rows = stmt.query_map(params![account_id, page.limit, page.offset], from_row)?;
    Ok((rows.collect::<rusqlite::Result<_>>()?, total))
}

/// `pause`, `resume` or `cancel`; cancelling also cancels the messages not yet handed to
/// their channel.
pub fn transition(
    conn: &Connection,
    account_id: i64,
    id: i64,
    next: Status,
    now: Timestamp,
) -> Result<()> {
    let broadcast = get(conn, account_id, id)?;
    let current = broadcast.status;
    if !current.can_become(next) {
        return Err(Error::conflict(format!(
            "broadcast {id} is {}: it cannot become {}",
            current.as_str(),
            next.as_str()
        )));
    }
    let mut next = next;
    if next == Status::Running {
        // Only with its template approved again; one paused before it started goes back
        // to waiting for its time, if that is still ahead.
        if let Some(t) = broadcast.request.as_ref().and_then(|r| r.template.as_ref()) {
            let stored = templates::find(conn, account_id, &t.name, &t.language)?;
            stored.status.check_broadcast(&t.name, &t.language)?;
        }
        if broadcast.started_at.is_none() && broadcast.scheduled_at.is_some_and(|at| at > now) {
            next = Status::Scheduled;
        }
    }
    // A resume starts the count of failures in a row afresh.
    conn.prepare_cached(
        "UPDATE broadcasts SET status = ?2, updated_at = ?3, failure_run = 0, paused_reason = NULL
         WHERE id = ?1",
    )?
    .execute(params![id, next.code(), now])?;
    if next == Status::Cancelled {
        let cancelled = conn
            .prepare_cached(
                "UPDATE messages SET status = ?2, updated_at = ?3 WHERE broadcast_id = ?1 AND status = ?4",
            )?
            .execute(params![
                id,
                MessageStatus::Cancelled.code(),
                now,
                MessageStatus::Queued.code()
            ])?;
        tally::add(
            conn,
            id,
            MessageStatus::Cancelled.as_str(),
            cancelled as i64,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broadcasts::model::BroadcastBody;
    use crate::db::prepare_schema;
    use crate::segments::model::{Definition, SegmentBody};

    /// The members counted ahead decide the quota only for the segment as counted: planted
    /// too many, they refuse the broadcast (the writer did not count again); counted before
    /// the segment widened, they are set aside and the writer counts the segment as it is.
    #[test]
    fn members_counted_ahead_serve_only_the_segment_as_counted() {
        let mut conn = Connection::open_in_memory().unwrap();
        prepare_schema(&mut conn).unwrap();
        conn.execute_batch(
            "INSERT INTO accounts (id, email, password_hash, plan, limit_messages, created_at)
                 VALUES (1, 'a@example.com', 'x', 'trial', 2, 0);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5)
             INSERT INTO contacts (id, account_id, type, email, telegram_id, created_at, updated_at)
                 SELECT i, 1, 0, CASE i WHEN 1 THEN 'a@khan.co' ELSE 'p' || i || '@x.co' END,
                        'tg' || i, 0, 0 FROM n;
             INSERT INTO account_usage (account_id, people) VALUES (1, 5);",
        )
        .unwrap();
        let now = 1_000;
        let rule = |value: &str| {
            let body: SegmentBody = serde_json::from_value(json!({"name": "s", "groups":
                [{"conditions": [{"attribute": "email", "operator": "contains", "value": value}]}]}))
            .unwrap();
            Definition::parse(body).unwrap()
        };
        let id = segments::insert(&conn, 1, &rule("khan"), now, None).unwrap();
        let body: BroadcastBody = serde_json::from_value(json!({"name": "b",
            "segment": {"id": id}, "channel": "telegram", "textMessage": "hi"}))
        .unwrap();
        let broadcast = NewBroadcast::parse(body, now).unwrap();
        let ahead = count_ahead(&conn, None, 1, id, now).unwrap().unwrap();
        assert_eq!(ahead.members, 1);
        let planted = CountAhead {
            segment: ahead.segment.clone(),
            members: 100,
        };
        let refused = |counted, now| {
            let e = insert(&conn, 1, &broadcast, now, counted).unwrap_err();
            e.message
        };
        let adding = |n: i64| format!("this would add {n}.");
        assert!(refused(Some(planted), now).contains(&adding(100)));
        segments::update(&conn, 1, id, &rule("@"), None, now + 1).unwrap();
        assert!(refused(Some(ahead), now + 1).contains(&adding(5)));
        segments::update(&conn, 1, id, &rule("khan"), None, now + 2).unwrap();
        let ahead = count_ahead(&conn, None, 1, id, now + 2).unwrap();
        assert!(insert(&conn, 1, &broadcast, now + 2, ahead).is_ok());
    }

    #[test]
    fn a_recipients_unreadable_parameters_are_left_out_never_guessed() {
        let mut conn = Connection::open_in_memory().unwrap();
        prepare_schema(&mut conn).unwrap();
        conn.execute_batch(
            "INSERT INTO accounts (id, email, password_hash, plan, created_at)
                 VALUES (1, 'a@example.com', 'x', 'trial', 0);
             INSERT INTO broadcasts (id, account_id, name, segment_id, person_type, channel,
                                     request, status, created_at, updated_at)
                 VALUES (1, 1, 'b', 0, 0, 'whatsapp', '{}', 1, 0, 0);
             INSERT INTO broadcast_recipients (broadcast_id, contact_id, parameters)
                 VALUES (1, 7, '{\"header\": [], \"body\": [\"Asha\"]}'), (1, 8, 'not json');",
        )
        .unwrap();
        let own = list_parameters(&conn, 1, &[7, 8, 9]).unwrap();
        assert_eq!(own.len(), 1);
        assert_eq!(own[&7].body, ["Asha"]);
    }
}
