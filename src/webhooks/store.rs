//! Event webhooks' SQL: endpoints and their subscriptions, the delivery log, replays. The
//! worker's part (dispatching events, claiming and settling attempts, pruning) is in
//! `outbox.rs`.

use super::model::{Endpoint, event_id};
use crate::clock::{self, Timestamp};
use crate::error::{Error, Result};
use crate::secrets::{SecretKey, is_sealed};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::{Value, json};

/// A delivery's state, as stored.
pub const PENDING: i64 = 0;
pub const SUCCEEDED: i64 = 1;
pub const FAILED: i64 = 2;

pub fn status_name(code: i64) -> &'static str {
    match code {
        SUCCEEDED => "succeeded",
        FAILED => "failed",
        _ => "pending",
    }
}

/// An endpoint as stored, its secrets sealed or not.
#[derive(Debug, Clone)]
pub struct Stored {
    pub id: i64,
    pub account_id: i64,
    pub endpoint: Endpoint,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<Timestamp>,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_until: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Stored {
    /// The endpoint as answers show it: never its secret.
    pub fn view(&self) -> Value {
        json!({
            "id": self.id.to_string(),
            "url": self.endpoint.url.as_str(),
            "events": self.endpoint.events,
            "description": self.endpoint.description,
            "enabled": self.enabled,
            "disabledReason": self.disabled_reason,
            "failingSince": self.failing_since.map(clock::rfc3339),
            "createdAt": clock::rfc3339(self.created_at),
            "updatedAt": clock::rfc3339(self.updated_at),
        })
    }
}

/// Where an endpoint's secret is sealed for: its account's webhooks.
fn place(account_id: i64) -> String {
    format!("webhooks/{account_id}")
}

/// `secret` as stored: sealed with `key` when there is one.
pub fn seal(account_id: i64, secret: &str, key: Option<&SecretKey>) -> String {
    match key {
        Some(key) => key.seal(&place(account_id), secret),
        None => secret.to_string(),
    }
}

/// A stored secret opened with `key`.
pub fn open(account_id: i64, stored: &str, key: Option<&SecretKey>) -> Result<String, String> {
    if !is_sealed(stored) {
        return Ok(stored.to_string());
    }
    key.ok_or("the signing secret is sealed, and the server has no --secret-key-file")?
        .open(&place(account_id), stored)
        .map_err(|e| format!("the signing secret cannot be opened: {e}"))
}

const COLUMNS: &str = "id, account_id, url, events, description, enabled, disabled_reason,
    failing_since, secret, previous_secret, previous_until, created_at, updated_at";

fn from_row(r: &Row) -> rusqlite::Result<Stored> {
    let url: String = r.get(2)?;
    let events: String = r.get(3)?;
    // Both were checked when stored; one that no longer reads shows as it is and matches
    // no event, never every event.
    let url = url::Url::parse(&url)
        .unwrap_or_else(|_| url::Url::parse("http://invalid.invalid/").expect("a URL"));
    let events: Vec<String> = serde_json::from_str(&events).unwrap_or_default();
    Ok(Stored {
        id: r.get(0)?,
        account_id: r.get(1)?,
        endpoint: Endpoint {
            url,
            events,
            description: r.get(4)?,
        },
        enabled: r.get(5)?,
        disabled_reason: r.get(6)?,
        failing_since: r.get(7)?,
        secret: r.get(8)?,
        previous_secret: r.get(9)?,
        previous_until: r.get(10)?,
        created_at: r.get(11)?,
        updated_at: r.get(12)?,
    })
}

fn not_found(id: i64) -> Error {
    Error::not_found(format!("no webhook with id {id}"))
}

pub fn get(conn: &Connection, account_id: i64, id: i64) -> Result<Stored> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM webhook_endpoints WHERE id = ?1 AND account_id = ?2"
    ))?
    .query_row(params![id, account_id], from_row)
    .optional()?
    .ok_or_else(|| not_found(id))
}

pub fn list(conn: &Connection, account_id: i64) -> Result<Vec<Stored>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM webhook_endpoints WHERE account_id = ?1 ORDER BY id"
    ))?;
    let rows = stmt.query_map([account_id], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Stores a new endpoint with its (stored) secret; at most `max` per account.
pub fn insert(
    conn: &Connection,
    account_id: i64,
    endpoint: &Endpoint,
    secret: &str,
    max: i64,
    now: Timestamp,
) -> Result<i64> {
    let count: i64 = conn
        .prepare_cached("SELECT count(*) FROM webhook_endpoints WHERE account_id = ?1")?
        .query_row([account_id], |r| r.get(0))?;
    if count >= max {
        return Err(Error::conflict(format!(
            "this account has {max} webhooks already; delete one first"
        )));
    }
    conn.prepare_cached(
        "INSERT INTO webhook_endpoints (account_id, url, events, description, secret,
             created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    )?
    .execute(params![
        account_id,
        endpoint.url.as_str(),
        json!(endpoint.events).to_string(),
        endpoint.description,
        secret,
        now
    ])?;
    let id = conn.last_insert_rowid();
    subscribe(conn, account_id, id, &endpoint.events)?;
    Ok(id)
}

/// Writes what an endpoint listens to: its events while enabled, nothing while disabled.
fn subscribe(conn: &Connection, account_id: i64, id: i64, events: &[String]) -> Result<()> {
    conn.prepare_cached("DELETE FROM webhook_subscriptions WHERE endpoint_id = ?1")?
        .execute([id])?;
    let mut add = conn.prepare_cached(
        "INSERT INTO webhook_subscriptions (account_id, event_type, endpoint_id) VALUES (?1, ?2, ?3)",
    )?;
    for event in events {
        add.execute(params![account_id, event, id])?;
    }
    Ok(())
}

/// Changes an endpoint. Enabling one clears why it was disabled and its run of failures.
pub fn update(
    conn: &Connection,
    stored: &Stored,
    endpoint: &Endpoint,
    enabled: bool,
    now: Timestamp,
) -> Result<()> {
    let reenabled = enabled && !stored.enabled;
    conn.prepare_cached(
        "UPDATE webhook_endpoints SET url = ?2, events = ?3, description = ?4, enabled = ?5,
             disabled_reason = CASE WHEN ?5 THEN NULL ELSE coalesce(disabled_reason, 'disabled by the account') END,
             failing_since = CASE WHEN ?6 THEN NULL ELSE failing_since END,
             updated_at = ?7
         WHERE id = ?1",
    )?
    .execute(params![
        stored.id,
        endpoint.url.as_str(),
        json!(endpoint.events).to_string(),
        endpoint.description,
        enabled,
        reenabled,
        now
    ])?;
    let events: &[String] = if enabled { &endpoint.events } else { &[] };
    subscribe(conn, stored.account_id, stored.id, events)
}

/// Disables an endpoint, saying why: it hears of no new event until enabled again.
pub fn disable(conn: &Connection, id: i64, reason: &str, now: Timestamp) -> Result<()> {
    conn.prepare_cached(
        "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?2, updated_at = ?3
         WHERE id = ?1 AND enabled",
    )?
    .execute(params![id, reason, now])?;
    conn.prepare_cached("DELETE FROM webhook_subscriptions WHERE endpoint_id = ?1")?
        .execute([id])?;
    Ok(())
}

pub fn delete(conn: &Connection, account_id: i64, id: i64) -> Result<()> {
    let n = conn
        .prepare_cached("DELETE FROM webhook_endpoints WHERE id = ?1 AND account_id = ?2")?
        .execute(params![id, account_id])?;
    if n == 0 {
        return Err(not_found(id));
    }
    Ok(())
}

/// Makes `secret` the endpoint's; the one it replaces goes on signing until `keep_until`.
pub fn rotate(
    conn: &Connection,
    stored: &Stored,
    secret: &str,
    keep_until: Timestamp,
    now: Timestamp,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE webhook_endpoints SET previous_secret = secret, previous_until = ?3, secret = ?2,
             updated_at = ?4 WHERE id = ?1",
    )?
    .execute(params![stored.id, secret, keep_until, now])?;
    Ok(())
}

/// Which deliveries a listing shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeliveryFilter {
    pub status: Option<i64>,
    pub limit: u32,
    /// The last delivery id of the previous page (newest first).
    pub after: Option<i64>,
}

/// An endpoint's deliveries, newest first.
pub fn deliveries(conn: &Connection, endpoint_id: i64, f: DeliveryFilter) -> Result<Vec<Value>> {
    let mut stmt = conn.prepare_cached(
        "SELECT d.id, d.event_id, e.event_type, d.attempt, d.status, d.http_status,
                d.duration_ms, d.error, d.next_attempt_at, d.created_at, d.updated_at
         FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
         WHERE d.endpoint_id = ?1 AND (?2 IS NULL OR d.status = ?2) AND (?3 IS NULL OR d.id < ?3)
         ORDER BY d.id DESC LIMIT ?4",
    )?;
    let rows = stmt.query_map(params![endpoint_id, f.status, f.after, f.limit], |r| {
        let time = |i: usize| -> rusqlite::Result<Option<String>> {
            Ok(r.get::<_, Option<i64>>(i)?.map(clock::rfc3339))
        };
        Ok(json!({
            "id": r.get::<_, i64>(0)?.to_string(),
            "eventId": event_id(r.get(1)?),
            "type": r.get::<_, String>(2)?,
            "attempt": r.get::<_, i64>(3)?,
            "status": status_name(r.get(4)?),
            "httpStatus": r.get::<_, Option<i64>>(5)?,
            "durationMs": r.get::<_, Option<i64>>(6)?,
            "error": r.get::<_, Option<String>>(7)?,
            "nextAttemptAt": time(8)?,
            "createdAt": time(9)?,
            "updatedAt": time(10)?,
        }))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Where a replay has got to: the (`created_at`, id) of the last event it read.
pub type ReplayCursor = (Timestamp, i64);

/// A page of a replay, read on a reader: up to `limit` of the account's events from
/// `since`, after `after`, that have gone out to some endpoint; of those, the ids this
/// endpoint listens to; and the cursor for the next page, none when this was the last.
pub fn replay_page(
    conn: &Connection,
    stored: &Stored,
    since: Timestamp,
    after: Option<ReplayCursor>,
    limit: usize,
) -> Result<(Vec<i64>, Option<ReplayCursor>)> {
    let (at, id) = after.unwrap_or((since, 0));
    let rows: Vec<(Timestamp, i64, String, bool)> = conn
        .prepare_cached(
            "SELECT created_at, id, event_type, dispatched = 1 AND payload IS NOT NULL
             FROM webhook_events INDEXED BY webhook_events_by_account
             WHERE account_id = ?1 AND created_at >= ?2 AND (created_at, id) > (?3, ?4)
             ORDER BY created_at, id LIMIT ?5",
        )?
        .query_map(
            params![stored.account_id, since, at, id, limit as i64],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?
        .collect::<rusqlite::Result<_>>()?;
    let next = (rows.len() == limit)
        .then(|| rows.last().map(|r| (r.0, r.1)))
        .flatten();
    let ids = rows
        .into_iter()
        .filter(|(_, _, kind, sent)| *sent && kind != "webhook.test" && stored.endpoint.wants(kind))
        .map(|(_, id, _, _)| id)
        .collect();
    Ok((ids, next))
}

/// Queues a delivery of each event to the endpoint, with the event's id and body. Events
/// pruned since the page was read, or an endpoint deleted, queue nothing. Returns how many
/// were queued.
pub fn queue_replay(
    conn: &Connection,
    endpoint_id: i64,
    events: &[i64],
    now: Timestamp,
) -> Result<usize> {
    let mut queue = conn.prepare_cached(
        "INSERT INTO webhook_deliveries (event_id, endpoint_id, status, next_attempt_at,
             created_at, updated_at)
         SELECT e.id, p.id, 0, ?3, ?3, ?3 FROM webhook_events e, webhook_endpoints p
         WHERE e.id = ?1 AND p.id = ?2",
    )?;
    let mut queued = 0;
    for id in events {
        queued += queue.execute(params![id, endpoint_id, now])?;
    }
    Ok(queued)
}

/// Seals every webhook's signing secrets with `to`: plain ones, and sealed ones opened with
/// `from` (`to` itself when `None`). All or nothing, in the caller's transaction. Returns
/// how many webhooks were written.
pub fn reseal(conn: &Connection, from: Option<&SecretKey>, to: &SecretKey) -> Result<usize> {
    let rows: Vec<(i64, i64, String, Option<String>)> = conn
        .prepare("SELECT id, account_id, secret, previous_secret FROM webhook_endpoints")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let key = from.or(Some(to));
    for (id, account_id, secret, previous) in &rows {
        let what =
            |why: String| Error::conflict(format!("webhook {id} of account {account_id}: {why}"));
        let secret = open(*account_id, secret, key).map_err(what)?;
        let previous = previous
            .as_deref()
            .map(|p| open(*account_id, p, key).map_err(what))
            .transpose()?;
        conn.execute(
            "UPDATE webhook_endpoints SET secret = ?2, previous_secret = ?3 WHERE id = ?1",
            params![
                id,
                seal(*account_id, &secret, Some(to)),
                previous.map(|p| seal(*account_id, &p, Some(to)))
            ],
        )?;
    }
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::prepare_schema;

    #[test]
    fn a_replay_reads_every_event_since_in_pages_and_skips_others() {
        let mut conn = Connection::open_in_memory().unwrap();
        prepare_schema(&mut conn).unwrap();
        // Events 1–7 at times 100, 200, 200, 200, 200, 300, 300: 2 is another account's,
        // 4 was never dispatched, 5 is a contact event the endpoint does not listen to.
        conn.execute_batch(
            "INSERT INTO accounts (id, email, password_hash, plan, created_at)
                 VALUES (1, 'a@example.com', 'x', 'trial', 0), (2, 'b@example.com', 'x', 'trial', 0);
             INSERT INTO webhook_endpoints (id, account_id, url, events, secret, created_at,
                 updated_at) VALUES (1, 1, 'http://receiver.test/', '[\"message.sent\"]',
                 'whsec_x', 0, 0);
             INSERT INTO webhook_events (id, account_id, event_type, payload, dispatched, created_at)
                 VALUES (1, 1, 'message.sent', '{}', 1, 100), (2, 2, 'message.sent', '{}', 1, 200),
                        (3, 1, 'message.sent', '{}', 1, 200), (4, 1, 'message.sent', NULL, 0, 200),
                        (5, 1, 'contact.created', '{}', 1, 200), (6, 1, 'message.sent', '{}', 1, 300),
                        (7, 1, 'message.sent', '{}', 1, 300);",
        )
        .unwrap();
        let stored = get(&conn, 1, 1).unwrap();
        let mut pages = Vec::new();
        let mut after = None;
        loop {
            let (ids, next) = replay_page(&conn, &stored, 150, after, 2).unwrap();
            pages.push(ids);
            match next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(pages, [vec![3], vec![6], vec![7]]);
        assert_eq!(
            queue_replay(&conn, 1, &[3, 6, 99], 400).unwrap(),
            2,
            "99 is gone"
        );
    }
}
