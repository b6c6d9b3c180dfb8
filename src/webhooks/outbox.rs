//! The webhook worker's SQL. Events wait in `webhook_events` (recorded with the changes that
//! cause them); each is
//! dispatched once (its body written, a delivery queued for each endpoint listening), and
//! each delivery is attempted until it succeeds, fails for good, or its endpoint is
//! disabled. Bodies are rendered on a reader so that the single writer only stores them.

use super::model::{Schedule, event_id};
use super::store::{self, FAILED, PENDING, SUCCEEDED};
use crate::broadcasts::store as broadcasts;
use crate::clock::{self, Timestamp};
use crate::contacts::names::AttributeNames;
use crate::contacts::store as contacts;
use crate::error::Result;
use crate::messages::store as messages;
use rusqlite::{Connection, params};
use serde_json::{Value, json};
use std::time::Duration;

/// An event not yet dispatched.
#[derive(Debug, Clone)]
pub struct Undispatched {
    pub id: i64,
    pub account_id: i64,
    pub event_type: String,
    pub object_id: Option<i64>,
    pub detail: Option<String>,
    pub created_at: Timestamp,
}

/// The oldest events not yet dispatched, at most `limit`. (Named, the index keeps SQLite
/// from scanning every event in id order when it has no statistics.)
pub fn undispatched(conn: &Connection, limit: usize) -> Result<Vec<Undispatched>> {
    let mut stmt = conn.prepare_cached(UNDISPATCHED_SQL)?;
    let rows = stmt.query_map([limit as i64], |r| {
        Ok(Undispatched {
            id: r.get(0)?,
            account_id: r.get(1)?,
            event_type: r.get(2)?,
            object_id: r.get(3)?,
            detail: r.get(4)?,
            created_at: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

const UNDISPATCHED_SQL: &str = "SELECT id, account_id, event_type, object_id, detail, created_at
     FROM webhook_events INDEXED BY webhook_events_undispatched
     WHERE dispatched = 0 ORDER BY id LIMIT ?1";

/// The body of an event: `{"type", "timestamp", "data"}`, `data` being the object as the
/// API shows it now (or, when it is gone, what the event kept of it).
pub fn render(conn: &Connection, names: &AttributeNames, e: &Undispatched) -> Result<String> {
    let detail: Value = e
        .detail
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or(Value::Null);
    let id = e.object_id.unwrap_or_default();
    let gone = || json!({"id": id.to_string()});
    let (kind, what) = e.event_type.split_once('.').unwrap_or((&e.event_type, ""));
    let data = match kind {
        "message" => match messages::view_of(conn, e.account_id, id)? {
            Some(mut view) => {
                // The status the event is about, even if the message has moved on since.
                view["status"] = json!(what);
                view
            }
            None => gone(),
        },
        "contact" if what == "deleted" => detail,
        "contact" => match contacts::view_of(conn, names, e.account_id, id)? {
            Some(person) => serde_json::to_value(person)
                .map_err(|e| crate::error::Error::internal(format!("rendering a person: {e}")))?,
            None => gone(),
        },
        "broadcast" => match broadcasts::view_of(conn, e.account_id, id) {
            Ok(mut view) => {
                if let Some(reason) = detail.get("reason") {
                    view["pausedReason"] = reason.clone();
                }
                view
            }
            Err(_) => gone(),
        },
        _ => detail,
    };
    Ok(body(&e.event_type, e.created_at, data))
}

pub fn body(event_type: &str, at: Timestamp, data: Value) -> String {
    json!({"type": event_type, "timestamp": clock::rfc3339(at), "data": data}).to_string()
}

/// Stores each event's body and queues a delivery to every enabled endpoint of its account
/// that listens to it.
pub fn dispatch(
    conn: &Connection,
    rendered: &[(Undispatched, String)],
    now: Timestamp,
) -> Result<usize> {
    let mut store_body = conn.prepare_cached(
        "UPDATE webhook_events SET payload = ?2, dispatched = 1 WHERE id = ?1 AND dispatched = 0",
    )?;
    let mut queue = conn.prepare_cached(
        "INSERT INTO webhook_deliveries (event_id, endpoint_id, status, next_attempt_at,
             created_at, updated_at)
         SELECT DISTINCT ?1, endpoint_id, 0, ?4, ?4, ?4 FROM webhook_subscriptions
         WHERE account_id = ?2 AND event_type IN ('*', ?3)",
    )?;
    let mut queued = 0;
    for (e, payload) in rendered {
        if store_body.execute(params![e.id, payload])? == 1 {
            queued += queue.execute(params![e.id, e.account_id, e.event_type, now])?;
        }
    }
    Ok(queued)
}

/// Records a `webhook.test` event for one endpoint, dispatched already, with its delivery
/// held for the caller to attempt (no due time). Returns (event id, delivery id).
pub fn record_test(
    conn: &Connection,
    s: &store::Stored,
    now: Timestamp,
) -> Result<(i64, i64, String)> {
    let data = json!({"webhookId": s.id.to_string(), "message": "A test event from Switchboard."});
    conn.prepare_cached(
        "INSERT INTO webhook_events (account_id, event_type, dispatched, created_at)
         VALUES (?1, 'webhook.test', 1, ?2)",
    )?
    .execute(params![s.account_id, now])?;
    let event = conn.last_insert_rowid();
    let payload = body("webhook.test", now, data);
    conn.prepare_cached("UPDATE webhook_events SET payload = ?2 WHERE id = ?1")?
        .execute(params![event, payload])?;
    conn.prepare_cached(
        "INSERT INTO webhook_deliveries (event_id, endpoint_id, status, created_at, updated_at)
         VALUES (?1, ?2, 0, ?3, ?3)",
    )?
    .execute(params![event, s.id, now])?;
    Ok((event, conn.last_insert_rowid(), payload))
}

/// A delivery to attempt, with what its attempt needs.
#[derive(Debug, Clone)]
pub struct Due {
    pub delivery_id: i64,
    pub endpoint_id: i64,
    pub account_id: i64,
    /// `webhook-id`: the event's, on every attempt and replay.
    pub event_id: String,
    /// Attempts made before this one.
    pub attempt: i64,
    pub payload: String,
    pub url: String,
    /// The endpoint's secrets as stored, newest first.
    pub secrets: Vec<String>,
}

/// Enabled endpoints with a delivery due, each with its `updated_at`.
pub fn due_endpoints(conn: &Connection, now: Timestamp) -> Result<Vec<(i64, i64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.id, p.updated_at FROM webhook_endpoints p WHERE p.enabled AND EXISTS (
             SELECT 1 FROM webhook_deliveries d
             WHERE d.endpoint_id = p.id AND d.status = 0 AND d.next_attempt_at <= ?1)",
    )?;
    let rows = stmt.query_map([now], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Up to `limit` of an endpoint's due deliveries, soonest first.
pub fn due(conn: &Connection, endpoint_id: i64, limit: usize, now: Timestamp) -> Result<Vec<Due>> {
    let mut stmt = conn.prepare_cached(
        "SELECT d.id, p.id, p.account_id, d.event_id, d.attempt, e.payload, p.url, p.secret,
                CASE WHEN p.previous_until > ?3 THEN p.previous_secret END
         FROM webhook_deliveries d
         JOIN webhook_events e ON e.id = d.event_id
         JOIN webhook_endpoints p ON p.id = d.endpoint_id
         WHERE d.endpoint_id = ?1 AND d.status = 0 AND d.next_attempt_at <= ?3
         ORDER BY d.next_attempt_at LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![endpoint_id, limit as i64, now], |r| {
        let mut secrets = vec![r.get::<_, String>(7)?];
        secrets.extend(r.get::<_, Option<String>>(8)?);
        Ok(Due {
            delivery_id: r.get(0)?,
            endpoint_id: r.get(1)?,
            account_id: r.get(2)?,
            event_id: event_id(r.get(3)?),
            attempt: r.get(4)?,
            payload: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
            url: r.get(6)?,
            secrets,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Any `2xx`.
    Succeeded,
    /// `410 Gone`: the receiver wants no more; the endpoint is disabled.
    Gone,
    /// Anything else: another attempt, as the schedule says.
    Failed,
}

/// One attempt's result, as the delivery log shows it.
#[derive(Debug, Clone)]
pub struct Attempted {
    pub delivery_id: i64,
    pub endpoint_id: i64,
    /// This attempt's number (1 for the first).
    pub attempt: i64,
    pub outcome: Outcome,
    pub http_status: Option<u16>,
    pub duration_ms: i64,
    pub error: Option<String>,
}

/// How deliveries are retried, and when a failing endpoint is given up on.
#[derive(Debug, Clone)]
pub struct Policy {
    pub schedule: Schedule,
    /// An endpoint whose every attempt has failed for this long is disabled.
    pub disable_after: Duration,
}

/// Records attempts: each delivery's state and next due time, each endpoint's run of
/// failures; a `410` disables its endpoint, and so do failures lasting `disable_after`.
pub fn record(
    conn: &Connection,
    attempts: &[Attempted],
    policy: &Policy,
    now: Timestamp,
) -> Result<()> {
    let mut settle = conn.prepare_cached(
        "UPDATE webhook_deliveries SET status = ?2, attempt = ?3, next_attempt_at = ?4,
             http_status = ?5, duration_ms = ?6, error = ?7, updated_at = ?8 WHERE id = ?1",
    )?;
    let mut healthy = conn.prepare_cached(
        "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ?1 AND failing_since IS NOT NULL",
    )?;
    let mut failing = conn.prepare_cached(
        "UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, ?2) WHERE id = ?1
         RETURNING failing_since",
    )?;
    for a in attempts {
        let (status, next) = match a.outcome {
            Outcome::Succeeded => (SUCCEEDED, None),
            Outcome::Gone => (FAILED, None),
            Outcome::Failed => {
                match policy
                    .schedule
                    .after(a.attempt as u32, rand::random::<f64>())
                {
                    Some(wait) => (PENDING, Some(now + wait.as_secs_f64().round() as i64)),
                    None => (FAILED, None),
                }
            }
        };
        settle.execute(params![
            a.delivery_id,
            status,
            a.attempt,
            next,
            a.http_status,
            a.duration_ms,
            a.error,
            now
        ])?;
        match a.outcome {
            Outcome::Succeeded => {
                healthy.execute([a.endpoint_id])?;
            }
            Outcome::Gone => {
                let why = format!("the receiver answered 410 Gone on {}", clock::rfc3339(now));
                store::disable(conn, a.endpoint_id, &why, now)?;
            }
            Outcome::Failed => {
                let since: Option<Timestamp> = failing
                    .query_row(params![a.endpoint_id, now], |r| r.get(0))
                    .ok()
                    .flatten();
                if let Some(since) = since
                    && now - since >= policy.disable_after.as_secs() as i64
                {
                    let why = format!(
                        "every delivery failed from {} to {}",
                        clock::rfc3339(since),
                        clock::rfc3339(now)
                    );
                    store::disable(conn, a.endpoint_id, &why, now)?;
                }
            }
        }
    }
    Ok(())
}

/// Accounts that may have events to prune.
pub fn accounts(conn: &Connection) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached("SELECT id FROM accounts")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Deletes up to `limit` of an account's events older than `before` that no delivery waits
/// on (their deliveries go with them). Returns how many. Only old events are visited.
pub fn prune(conn: &Connection, account_id: i64, before: Timestamp, limit: usize) -> Result<usize> {
    Ok(conn
        .prepare_cached(PRUNE_SQL)?
        .execute(params![account_id, before, limit as i64])?)
}

const PRUNE_SQL: &str = "DELETE FROM webhook_events WHERE id IN (
     SELECT e.id FROM webhook_events e INDEXED BY webhook_events_by_account
     WHERE e.account_id = ?1 AND e.created_at < ?2 AND e.dispatched = 1
     AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 0)
     LIMIT ?3)";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{prepare_schema, query_plan};

    #[test]
    fn the_worker_never_scans_every_event() {
        let mut conn = Connection::open_in_memory().unwrap();
        prepare_schema(&mut conn).unwrap();
        for sql in [UNDISPATCHED_SQL, PRUNE_SQL] {
            let plan = query_plan(&conn, sql);
            assert!(
                plan.iter().all(|step| !step.starts_with("SCAN")),
                "{sql}\n{plan:?}"
            );
        }
    }

    #[test]
    fn prunes_old_events_unless_a_delivery_waits_on_them() {
        let mut conn = Connection::open_in_memory().unwrap();
        prepare_schema(&mut conn).unwrap();
        conn.execute_batch(
            "INSERT INTO accounts (id, email, password_hash, plan, created_at)
                 VALUES (1, 'a@example.com', 'x', 'trial', 0), (2, 'b@example.com', 'x', 'trial', 0);
             INSERT INTO webhook_endpoints (id, account_id, url, events, secret, created_at,
                 updated_at) VALUES (1, 1, 'http://receiver.test/', '[\"*\"]', 'whsec_x', 0, 0);
             -- 1: old and delivered; 2: old with a delivery pending; 3: recent;
             -- 4: old, not dispatched; 5: old, another account's.
             INSERT INTO webhook_events (id, account_id, event_type, dispatched, created_at)
                 VALUES (1, 1, 'message.sent', 1, 100), (2, 1, 'message.sent', 1, 100),
                        (3, 1, 'message.sent', 1, 900), (4, 1, 'message.sent', 0, 100),
                        (5, 2, 'message.sent', 1, 100);
             INSERT INTO webhook_deliveries (event_id, endpoint_id, status, created_at,
                 updated_at) VALUES (1, 1, 1, 100, 100), (2, 1, 0, 100, 100),
                                    (3, 1, 1, 900, 900);",
        )
        .unwrap();
        assert_eq!(prune(&conn, 1, 500, 10).unwrap(), 1);
        assert_eq!(prune(&conn, 1, 500, 10).unwrap(), 0);
        let left: Vec<i64> = conn
            .prepare("SELECT id FROM webhook_events ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(left, [2, 3, 4, 5]);
        let deliveries: i64 = conn
            .query_row("SELECT count(*) FROM webhook_deliveries", [], |r| r.get(0))
            .unwrap();
        assert_eq!(deliveries, 2, "the pruned event's delivery went with it");
        assert_eq!(accounts(&conn).unwrap(), [1, 2]);
    }
}
