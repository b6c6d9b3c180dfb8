//! Each broadcast's counters (`broadcast_counts`, `broadcast_minutes`), kept in the
//! transaction of every change of its messages, so that its report reads a few rows rather
//! than counting a million. The code that changes a message's status counts it in a
//! [`Tally`], written once per batch; nothing here is a trigger, so a fan-out's insert pays
//! for none of it.

use super::model::{Pricing, Status};
use crate::clock::Timestamp;
use crate::error::Result;
use rusqlite::{Connection, params};
use std::collections::HashMap;

/// Messages made for the broadcast (by its fan-out, or its list).
pub const MESSAGES: &str = "messages";
pub const REPLIED: &str = "replied";
pub const BILLABLE: &str = "billable";
/// Prefixes of the metrics per pricing category and per error code.
pub const PRICING: &str = "pricing:";
pub const ERROR: &str = "error:";
/// The code counted for a failure that gave none.
pub const NO_CODE: &str = "unknown";

/// The funnel's steps, in order.
const FUNNEL: [Status; 3] = [Status::Sent, Status::Delivered, Status::Read];

fn rank(s: Status) -> usize {
    FUNNEL.iter().position(|f| *f == s).map_or(0, |i| i + 1)
}

/// The funnel steps a message passes moving `from` → `to`, each counted once: a read that
/// comes without a delivered (or before it) passes delivered too.
pub fn steps(from: Status, to: Status) -> impl Iterator<Item = Status> {
    let (from, to) = (rank(from), rank(to));
    FUNNEL
        .into_iter()
        .enumerate()
        .filter(move |(i, _)| from <= *i && *i < to)
        .map(|(_, s)| s)
}

/// Adds `n` to the broadcast's `metric`.
pub fn add(conn: &Connection, broadcast: i64, metric: &str, n: i64) -> Result<()> {
    if n == 0 {
        return Ok(());
    }
    conn.prepare_cached(
        "INSERT INTO broadcast_counts (broadcast_id, metric, n) VALUES (?1, ?2, ?3)
         ON CONFLICT (broadcast_id, metric) DO UPDATE SET n = n + excluded.n",
    )?
    .execute(params![broadcast, metric, n])?;
    Ok(())
}

/// Changes of a batch of messages, counted in memory and written once per broadcast and
/// metric (and minute) by [`Tally::write`]: a settle of a hundred messages writes a few
/// counter rows, not two hundred.
#[derive(Debug, Default)]
pub struct Tally {
    counts: HashMap<(i64, String), (i64, Option<String>)>,
    minutes: HashMap<(i64, i64), [i64; 3]>,
}

impl Tally {
    /// Counts a message of `broadcast` that moved `from` → `to` at `at`: the funnel steps
    /// it passed (and their minute), or its failure under its code (keeping the latest
    /// words as the code's sample), or its cancellation.
    pub fn moved(
        &mut self,
        broadcast: i64,
        from: Status,
        to: Status,
        code: Option<&str>,
        reason: Option<&str>,
        at: Timestamp,
    ) {
        for step in steps(from, to) {
            self.add(broadcast, step.as_str(), 1);
            self.minutes
                .entry((broadcast, at.div_euclid(60)))
                .or_default()[rank(step) - 1] += 1;
        }
        match to {
            Status::Failed => {
                self.add(broadcast, Status::Failed.as_str(), 1);
                let code = format!("{ERROR}{}", code.unwrap_or(NO_CODE));
                let entry = self.counts.entry((broadcast, code)).or_default();
                entry.0 += 1;
                if let Some(reason) = reason {
                    entry.1 = Some(reason.to_string());
                }
            }
            Status::Cancelled => self.add(broadcast, Status::Cancelled.as_str(), 1),
            _ => {}
        }
    }

    fn add(&mut self, broadcast: i64, metric: &str, n: i64) {
        self.counts
            .entry((broadcast, metric.to_string()))
            .or_default()
            .0 += n;
    }

    /// Adds what was counted to the counters, in the caller's transaction.
    pub fn write(self, conn: &Connection) -> Result<()> {
        let mut count = conn.prepare_cached(
            "INSERT INTO broadcast_counts (broadcast_id, metric, n, sample) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (broadcast_id, metric) DO UPDATE
             SET n = n + excluded.n, sample = coalesce(excluded.sample, sample)",
        )?;
        for ((broadcast, metric), (n, sample)) in &self.counts {
            count.execute(params![broadcast, metric, n, sample])?;
        }
        let mut minute = conn.prepare_cached(
            "INSERT INTO broadcast_minutes (broadcast_id, minute, sent, delivered, read)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (broadcast_id, minute) DO UPDATE SET sent = sent + excluded.sent,
                 delivered = delivered + excluded.delivered, read = read + excluded.read",
        )?;
        for ((broadcast, at), [sent, delivered, read]) in &self.minutes {
            minute.execute(params![broadcast, at, sent, delivered, read])?;
        }
        Ok(())
    }
}

/// Counts the first pricing a provider gave a message of `broadcast`.
pub fn priced(conn: &Connection, broadcast: i64, pricing: &Pricing) -> Result<()> {
    add(
        conn,
        broadcast,
        &format!("{PRICING}{}", pricing.category),
        1,
    )?;
    add(conn, broadcast, BILLABLE, i64::from(pricing.billable))
}

/// Marks, and counts once, the broadcast messages `contact` was sent in the `window`
/// seconds before `now` that had no reply yet: the person just wrote. Found by the
/// broadcasts index (`messages_by_broadcast`) of each of the account's broadcasts that may
/// still hold such a message.
pub fn replied(
    conn: &Connection,
    account_id: i64,
    contact_id: i64,
    window: i64,
    now: Timestamp,
) -> Result<()> {
    let since = now - window;
    let answered: Vec<i64> = conn
        .prepare_cached(&format!(
            "UPDATE messages AS m SET replied_at = ?3
             WHERE m.broadcast_id IN (SELECT id FROM broadcasts WHERE account_id = ?1
                     AND started_at IS NOT NULL AND coalesce(completed_at, ?3) >= ?4)
               AND m.status IN ({}, {}, {}) AND m.contact_id = ?2
               AND m.sent_at >= ?4 AND m.replied_at IS NULL
             RETURNING broadcast_id",
            Status::Sent.code(),
            Status::Delivered.code(),
            Status::Read.code()
        ))?
        .query_map(params![account_id, contact_id, now, since], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for broadcast in answered {
        add(conn, broadcast, REPLIED, 1)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    #[test]
    fn each_funnel_step_is_passed_once_even_when_skipped() {
        let passed = |from, to| steps(from, to).collect::<Vec<_>>();
        assert_eq!(passed(Sending, Sent), [Sent]);
        assert_eq!(
            passed(Sent, Read),
            [Delivered, Read],
            "read without delivered"
        );
        assert_eq!(passed(Sending, Read), [Sent, Delivered, Read]);
        assert_eq!(passed(Delivered, Read), [Read]);
        assert_eq!(passed(Sent, Failed), []);
        assert_eq!(passed(Queued, Cancelled), []);
        assert_eq!(passed(Read, Read), []);
    }

    #[test]
    fn a_batch_is_counted_once_per_metric_and_minute() {
        let mut t = Tally::default();
        t.moved(1, Sending, Sent, None, None, 120);
        t.moved(1, Sending, Sent, None, None, 179);
        t.moved(1, Sent, Read, None, None, 180);
        t.moved(1, Sending, Failed, Some("131026"), Some("first"), 200);
        t.moved(1, Sending, Failed, Some("131026"), Some("latest"), 200);
        t.moved(2, Queued, Failed, None, None, 200);
        let n = |b: i64, m: &str| t.counts.get(&(b, m.to_string())).map(|c| c.0);
        assert_eq!(n(1, "sent"), Some(2));
        assert_eq!((n(1, "delivered"), n(1, "read")), (Some(1), Some(1)));
        assert_eq!(n(1, "failed"), Some(2));
        assert_eq!(
            t.counts[&(1, "error:131026".to_string())],
            (2, Some("latest".into()))
        );
        assert_eq!(t.counts[&(2, "error:unknown".to_string())], (1, None));
        assert_eq!(t.minutes[&(1, 2)], [2, 0, 0]);
        assert_eq!(t.minutes[&(1, 3)], [0, 1, 1]);
    }
}
