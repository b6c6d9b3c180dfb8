//! A broadcast's fan-out, step by step: [`judge`] picks the next members out of the
//! segment (any connection: the worker runs it on a reader, one step ahead), and [`queue`]
//! turns them into queued messages on the writer, with the broadcast's cursor, in one
//! transaction. Judging the next step while the writer inserts this one keeps both cores
//! busy; `queue` judges again on the writer when people in the step's id range were
//! deleted since, so no message is queued for someone who is gone.

use super::broadcasts::Running;
use crate::accounts::store as accounts;
use crate::broadcasts::model::LIST;
use crate::clock::Timestamp;
use crate::contacts::store::Condition;
use crate::error::Result;
use crate::messages::model::Status as MessageStatus;
use crate::messages::tally;
use crate::segments::store as segments;
use rusqlite::types::Value as Sql;
use rusqlite::{Connection, params, params_from_iter};
use std::rc::Rc;

/// Contacts considered per fan-out step: bounds how long one step holds the writer.
pub const FANOUT_CHUNK: i64 = 50_000;

/// One step's members as one snapshot saw them.
#[derive(Debug)]
pub struct Step {
    /// The broadcast's cursor the step was judged after.
    after: i64,
    /// The last contact id it considered; `None` when no member was left.
    pub last: Option<i64>,
    /// The members who get a message (ids), and the others by reason.
    recipients: Vec<Sql>,
    members: i64,
    opted_out: i64,
    unreachable: i64,
    /// People of the account and type with ids in `(after, last]`, members or not.
    people: i64,
    /// The segment was deleted: nobody more gets the broadcast.
    gone: bool,
    /// Why the segment cannot be evaluated (its stored rule does not read or no longer
    /// fits): the broadcast pauses rather than guess who is in it.
    problem: Option<String>,
}

impl Step {
    /// Whether a step follows this one.
    pub fn full(&self, chunk: i64) -> bool {
        !self.gone && self.problem.is_none() && self.members == chunk
    }
}

/// The next members after `after`, at most `chunk`, each judged once: the rule is
/// evaluated here, and the insert reads the chosen ids back from an array.
pub fn judge(
    conn: &Connection,
    b: &Running,
    after: i64,
    chunk: i64,
    now: Timestamp,
) -> Result<Step> {
    let mut step = Step {
        after,
        last: None,
        recipients: Vec::new(),
        members: 0,
        opted_out: 0,
        unreachable: 0,
        people: 0,
        gone: false,
        problem: None,
    };
    let Some(condition) = audience(conn, b, now, &mut step)? else {
        return Ok(step);
    };
    let address = format!("c.{}", b.channel.address_column());
    let mut values = vec![
        Sql::Integer(b.account_id),
        Sql::Integer(b.kind.code()),
        Sql::Integer(after),
    ];
    values.extend(condition.params);
    let mut select = conn.prepare_cached(&format!(
        "SELECT c.id, c.opted_out, {address} IS NULL FROM contacts c
         WHERE c.account_id = ? AND c.type = ? AND c.id > ? AND {}
         ORDER BY c.id LIMIT {chunk}",
        condition.sql
    ))?;
    let mut rows = select.query(params_from_iter(values.iter()))?;
    while let Some(row) = rows.next()? {
        let (id, out, no_address): (i64, bool, bool) = (row.get(0)?, row.get(1)?, row.get(2)?);
        step.members += 1;
        step.last = Some(id);
        match (out, no_address) {
            (true, _) => step.opted_out += 1,
            (false, true) => step.unreachable += 1,
            (false, false) => step.recipients.push(Sql::Integer(id)),
        }
    }
    if let Some(last) = step.last {
        step.people = people_between(conn, b, after, last)?;
    }
    Ok(step)
}

/// Who the broadcast is for, as a condition over `contacts c`: its list, or its segment's
/// members. None, with the step saying why, when the segment is gone or cannot be
/// evaluated.
fn audience(
    conn: &Connection,
    b: &Running,
    now: Timestamp,
    step: &mut Step,
) -> Result<Option<Condition>> {
    if b.segment_id == LIST {
        return Ok(Some(Condition {
            sql: "c.id IN (SELECT contact_id FROM broadcast_recipients WHERE broadcast_id = ?)"
                .to_string(),
            params: vec![Sql::Integer(b.id)],
        }));
    }
    let Some(segment) = segments::find(conn, b.account_id, b.segment_id)? else {
        step.gone = true;
        return Ok(None);
    };
    if let Some(problem) = segments::problem(conn, b.account_id, &segment, now)? {
        step.problem = Some(format!(
            "paused: segment {} cannot be evaluated: {problem}",
            segment.id
        ));
        return Ok(None);
    }
    Ok(Some(segments::members_condition(
        conn,
        b.account_id,
        &segment,
        now,
    )?))
}

/// People of the broadcast's account and type with ids in `(after, last]` (its index alone).
fn people_between(conn: &Connection, b: &Running, after: i64, last: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM contacts
             WHERE account_id = ?1 AND type = ?2 AND id > ?3 AND id <= ?4",
        )?
        .query_row(params![b.account_id, b.kind.code(), after, last], |r| {
            r.get(0)
        })?)
}

/// Queues the messages of `step` and moves the cursor past it, in the caller's write
/// transaction: a step is done whole or not at all. A step judged after another cursor, or
/// over a range that lost people since, is judged again here. Returns how many messages
/// it queued, and whether the fan-out is complete.
pub fn queue(
    conn: &Connection,
    b: &Running,
    step: Step,
    chunk: i64,
    now: Timestamp,
) -> Result<(usize, bool)> {
    let stale = step.after != b.fanout_after
        || match step.last {
            Some(last) => people_between(conn, b, step.after, last)? != step.people,
            None => false,
        };
    let step = if stale {
        judge(conn, b, b.fanout_after, chunk, now)?
    } else {
        step
    };
    if let Some(reason) = &step.problem {
        log::warn!("broadcast {}: {reason}", b.id);
        super::broadcasts::pause(conn, b.id, reason, now)?;
        return Ok((0, false));
    }
    if step.gone {
        log::warn!(
            "broadcast {}: its segment is gone; no more recipients",
            b.id
        );
    }
    let Some(last) = step.last else {
        conn.execute(
            "UPDATE broadcasts SET fanout_done = 1, updated_at = ?2 WHERE id = ?1",
            params![b.id, now],
        )?;
        return Ok((0, true));
    };
    let done = !step.full(chunk);
    let created = conn
        .prepare_cached(
            "INSERT INTO messages (account_id, contact_id, channel, incoming, kind, sent_by, status,
                 broadcast_id, created_at, updated_at)
             SELECT ?1, value, ?2, 0, ?3, 'broadcast', ?4, ?5, ?6, ?6 FROM rarray(?7)",
        )?
        .execute(params![
            b.account_id,
            b.channel.as_str(),
            b.request.kind().as_str(),
            MessageStatus::Queued.code(),
            b.id,
            now,
            Rc::new(step.recipients)
        ])?;
    accounts::count_stored(conn, b.account_id, 0, created as i64)?;
    tally::add(conn, b.id, tally::MESSAGES, created as i64)?;
    conn.prepare_cached(
        "UPDATE broadcasts SET fanout_after = ?2, fanout_done = ?3,
             skipped_opted_out = skipped_opted_out + ?4,
             skipped_unreachable = skipped_unreachable + ?5, updated_at = ?6
         WHERE id = ?1",
    )?
    .execute(params![
        b.id,
        last,
        done,
        step.opted_out,
        step.unreachable,
        now
    ])?;
    Ok((created, done))
}

#[cfg(test)]
#[path = "fanout_tests.rs"]
mod tests;
