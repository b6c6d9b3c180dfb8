//! Single sends in SQL, as the worker sees them: releasing due scheduled messages, claiming
//! queued ones (each account's in turn), and settling what the transports answered. Serves
//! every account at once.

use super::slots::Slots;
use super::transport::{Outcome, Outgoing, codes};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::messages::model::{Channel, Content, Kind, Status};
use crate::messages::store::{change, fail, record_event};
use crate::messages::tally::Tally;
use rusqlite::{Connection, params};
use std::time::Duration;

/// What the worker tells the log about a message that was handed to a transport when the
/// server stopped before the transport answered.
pub const INTERRUPTED: &str = "interrupted: the server stopped while this message was being \
    handed to the channel, so it may or may not have gone out. It is not retried \
    automatically, so that nobody gets it twice; send it again if it is missing.";

/// Ends every message left `sending` by a previous run: the transport may have taken it, so
/// sending it again could deliver it twice. Run once before the worker starts.
pub fn interrupt_sending(conn: &Connection, now: Timestamp) -> Result<usize> {
    let ended: Vec<(i64, Option<i64>)> = conn
        .prepare_cached(&interrupt_sql())?
        .query_map(params![Status::Failed.code(), INTERRUPTED, now], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut tally = Tally::default();
    for (id, broadcast) in &ended {
        record_event(conn, *id, Status::Failed, now)?;
        if let Some(broadcast) = broadcast {
            let (from, to) = (Status::Sending, Status::Failed);
            let code = Some(codes::INTERRUPTED);
            tally.moved(*broadcast, from, to, code, Some(INTERRUPTED), now);
        }
    }
    tally.write(conn)?;
    Ok(ended.len())
}

// The worker's queries write status codes into the SQL instead of binding them: only then
// may SQLite use the partial indexes on status (a bound value could be anything when the
// plan is made), and they run every round over a log of millions.

fn interrupt_sql() -> String {
    format!(
        "UPDATE messages SET status = ?1, error_message = ?2, updated_at = ?3, error_code = '{}'
         WHERE status = {} RETURNING id, broadcast_id",
        codes::INTERRUPTED,
        Status::Sending.code()
    )
}

fn release_sql() -> String {
    format!(
        "UPDATE messages SET status = ?1, updated_at = ?2 WHERE status = {} AND scheduled_at <= ?2",
        Status::Scheduled.code()
    )
}

/// Accounts with queued single sends, each found by one seek of `messages_queued`
/// (however many messages each has waiting).
fn accounts_sql() -> String {
    let waiting = format!(
        "status = {} AND broadcast_id IS NULL",
        Status::Queued.code()
    );
    format!(
        "WITH RECURSIVE a(id) AS (
             SELECT (SELECT min(account_id) FROM messages WHERE {waiting})
             UNION ALL
             SELECT (SELECT min(account_id) FROM messages WHERE {waiting} AND account_id > a.id)
             FROM a WHERE a.id IS NOT NULL)
         SELECT id FROM a WHERE id IS NOT NULL"
    )
}

fn claim_sql() -> String {
    format!(
        "SELECT m.id, m.account_id, m.channel, m.kind,
                CASE m.channel WHEN 'whatsapp' THEN c.phone WHEN 'telegram' THEN c.telegram_id
                               WHEN 'instagram' THEN c.instagram_id ELSE c.messenger_id END,
                m.text, m.header_text, m.footer_text, m.media_url, m.mime_type, m.options, m.payload
         FROM messages m JOIN contacts c ON c.id = m.contact_id
         WHERE m.account_id = ?1 AND m.status = {} AND m.broadcast_id IS NULL
           AND (m.retry_at IS NULL OR m.retry_at <= ?3)
         ORDER BY m.id LIMIT ?2",
        Status::Queued.code()
    )
}

/// Queues scheduled messages whose time has come, also those that came due while the
/// server was down.
pub fn release_due(conn: &Connection, now: Timestamp) -> Result<usize> {
    Ok(conn
        .prepare_cached(&release_sql())?
        .execute(params![Status::Queued.code(), now])?)
}

/// Takes up to `limit` queued single sends, oldest first within each account, no more of an
/// account's than it has `slots` free (taking them), accounts in turn from the one after
/// the last served. Marks them `sending` (committed before any transport sees them). A
/// message whose stored data no longer reads (an unknown channel or kind, content that is
/// not JSON) fails, naming what: it is never sent on a guessed channel.
pub fn claim(
    conn: &Connection,
    limit: usize,
    slots: &mut Slots,
    now: Timestamp,
) -> Result<Vec<Outgoing>> {
    let accounts: Vec<i64> = conn
        .prepare_cached(&accounts_sql())?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut claimed = Vec::new();
    for account in slots.in_turn(accounts) {
        let room = slots.free(account).min(limit - claimed.len());
        if room > 0 {
            let taken = claim_of(conn, account, room, now)?;
            slots.take(account, taken.len());
            claimed.extend(taken);
        }
        if claimed.len() == limit {
            break;
        }
    }
    Ok(claimed)
}

/// Up to `limit` of one account's queued single sends, oldest first, marked `sending`.
fn claim_of(
    conn: &Connection,
    account_id: i64,
    limit: usize,
    now: Timestamp,
) -> Result<Vec<Outgoing>> {
    let mut stmt = conn.prepare_cached(&claim_sql())?;
    let rows = stmt
        .query_map(params![account_id, limit as i64, now], |r| {
            let read = |i: usize| r.get::<_, Option<String>>(i);
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                [read(2)?, read(3)?, read(4)?, read(5)?, read(6)?, read(7)?],
                [read(8)?, read(9)?, read(10)?, read(11)?],
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut mark = conn.prepare_cached(
        "UPDATE messages SET status = ?2, attempts = attempts + 1, updated_at = ?3 WHERE id = ?1",
    )?;
    let mut claimed = Vec::with_capacity(rows.len());
    for (
        id,
        account_id,
        [channel, kind, to, text, header, footer],
        [media, mime, options, payload],
    ) in rows
    {
        let outgoing = (|| -> std::result::Result<Outgoing, String> {
            let channel = channel.unwrap_or_default();
            let kind = kind.unwrap_or_default();
            Ok(Outgoing {
                id,
                account_id,
                channel: Channel::parse(&channel)
                    .ok_or_else(|| format!("its stored channel {channel:?} is not one we know"))?,
                kind: Kind::parse(&kind)
                    .ok_or_else(|| format!("its stored kind {kind:?} is not one we know"))?,
                to,
                content: Content {
                    text,
                    header_text: header,
                    footer_text: footer,
                    media_url: media,
                    mime_type: mime,
                    options: stored_json("options", options)?,
                    payload: stored_json("payload", payload)?,
                },
            })
        })();
        match outgoing {
            Ok(m) => {
                mark.execute(params![m.id, Status::Sending.code(), now])?;
                claimed.push(m);
            }
            Err(why) => {
                let why = format!("message {id} cannot be sent: {why}");
                log::error!("delivery: {why}");
                fail(conn, id, Some(codes::STORED_DATA_UNREADABLE), &why, now)?;
            }
        }
    }
    Ok(claimed)
}

/// A stored JSON column, `Err` naming it when it no longer parses.
fn stored_json(
    name: &str,
    text: Option<String>,
) -> std::result::Result<Option<serde_json::Value>, String> {
    text.map(|t| serde_json::from_str(&t))
        .transpose()
        .map_err(|e| format!("its stored {name} column is not JSON ({e})"))
}

/// How often a message a transport could not hand on is tried, and how long the first
/// wait is; each next wait doubles, with jitter, and never exceeds [`MAX_WAIT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retries {
    pub attempts: i64,
    pub first_wait: i64,
}

impl Default for Retries {
    fn default() -> Retries {
        Retries {
            attempts: 5,
            first_wait: 2,
        }
    }
}

/// The longest wait between two attempts, in seconds.
pub const MAX_WAIT: i64 = 300;

/// Seconds to wait after the `attempt`-th try failed: exponential, scaled by `jitter` (0.5
/// to 1.5, so many messages failing at once do not return at once), at least the
/// provider's `hint`.
pub fn wait_after(r: Retries, attempt: i64, hint: Option<Duration>, jitter: f64) -> i64 {
    let doubled = r
        .first_wait
        .saturating_mul(1 << attempt.clamp(1, 20).saturating_sub(1));
    let jittered = (doubled as f64 * jitter).round() as i64;
    let hinted = hint.map_or(0, |h| h.as_secs().min(MAX_WAIT as u64) as i64);
    jittered.max(hinted).clamp(1, MAX_WAIT)
}

/// Records the transports' answers. A status only moves forward; a message worth another
/// try goes back to the queue until its wait is over, up to `retries.attempts` tries.
/// Returns the messages that ended: sent (`Ok`) or failed for good (`Err(reason)`).
pub fn settle(
    conn: &Connection,
    outcomes: &[(i64, Outcome)],
    retries: Retries,
    now: Timestamp,
) -> Result<Vec<(i64, std::result::Result<(), String>)>> {
    let mut ended = Vec::with_capacity(outcomes.len());
    let mut provider = conn.prepare_cached("UPDATE messages SET provider_id = ?2 WHERE id = ?1")?;
    let mut attempts = conn.prepare_cached("SELECT attempts FROM messages WHERE id = ?1")?;
    let mut requeue = conn.prepare_cached(&format!(
        "UPDATE messages SET status = {}, retry_at = ?2, error_message = ?3, updated_at = ?4,
             error_code = ?5
         WHERE id = ?1 AND status = {}",
        Status::Queued.code(),
        Status::Sending.code()
    ))?;
    let mut tally = Tally::default();
    for (id, outcome) in outcomes {
        match outcome {
            Ok(provider_id) => {
                let sent = change(conn, *id, Status::Sent, None, None, now, &mut tally)?;
                if sent && provider_id.is_some() {
                    provider.execute(params![id, provider_id])?;
                }
                ended.push((*id, Ok(())));
            }
            Err(refusal) => {
                let tried: i64 = attempts.query_row([id], |r| r.get(0))?;
                match refusal.retry {
                    Some(hint) if tried < retries.attempts => {
                        let wait = wait_after(retries, tried, hint, 0.5 + rand::random::<f64>());
                        let code = &refusal.code;
                        requeue.execute(params![id, now + wait, refusal.reason, now, code])?;
                    }
                    Some(_) => {
                        let reason = format!("{} (gave up after {tried} attempts)", refusal.reason);
                        let code = refusal.code.as_deref();
                        let failed = Status::Failed;
                        change(conn, *id, failed, code, Some(&reason), now, &mut tally)?;
                        ended.push((*id, Err(reason)));
                    }
                    None => {
                        let (code, reason) = (refusal.code.as_deref(), Some(&*refusal.reason));
                        change(conn, *id, Status::Failed, code, reason, now, &mut tally)?;
                        ended.push((*id, Err(refusal.reason.clone())));
                    }
                }
            }
        }
    }
    tally.write(conn)?;
    Ok(ended)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{prepare_schema, query_plan};

    #[test]
    fn waits_double_with_jitter_honour_the_provider_and_stay_bounded() {
        let r = Retries {
            attempts: 5,
            first_wait: 2,
        };
        assert_eq!(wait_after(r, 1, None, 1.0), 2);
        assert_eq!(wait_after(r, 2, None, 1.0), 4);
        assert_eq!(wait_after(r, 4, None, 1.0), 16);
        assert_eq!(wait_after(r, 4, None, 0.5), 8);
        assert_eq!(
            wait_after(r, 1, Some(Duration::from_secs(30)), 1.0),
            30,
            "Retry-After wins"
        );
        assert_eq!(wait_after(r, 40, None, 1.5), MAX_WAIT);
        assert_eq!(
            wait_after(r, 1, Some(Duration::from_secs(86_400)), 1.0),
            MAX_WAIT
        );
        assert_eq!(
            wait_after(
                Retries {
                    attempts: 3,
                    first_wait: 0
                },
                1,
                None,
                1.0
            ),
            1,
            "at least a second"
        );
    }

    #[test]
    fn the_worker_never_scans_the_message_log() {
        let mut conn = Connection::open_in_memory().unwrap();
        prepare_schema(&mut conn).unwrap();
        let plan = |sql: &str| query_plan(&conn, sql);
        for sql in [interrupt_sql(), release_sql(), accounts_sql()] {
            // A scan of a partial index visits only the rows waiting; a bare scan is the table.
            let plan = plan(&sql);
            assert!(
                plan.iter()
                    .all(|step| step != "SCAN messages" && step != "SCAN m"),
                "{sql}\n{plan:?}"
            );
        }
        // Each account's claim seeks its own queued messages, whatever others have waiting.
        let claim = plan(&claim_sql());
        assert!(
            claim[0].starts_with("SEARCH m USING INDEX messages_queued (account_id=?)"),
            "{claim:?}"
        );
    }
}
