//! The delivery worker's SQL: releasing due scheduled messages, claiming queued ones, and
//! settling what the transports answered. Serves every account at once.

use super::model::{Channel, Content, Kind, Status};
use super::store::set_status;
use crate::clock::Timestamp;
use crate::error::Result;
use rusqlite::{Connection, params};

/// What the worker tells the log about a message that was handed to a transport when the
/// server stopped before the transport answered.
pub const INTERRUPTED: &str = "interrupted: the server stopped while this message was being \
    handed to the channel, so it may or may not have gone out. It is not retried \
    automatically, so that nobody gets it twice; send it again if it is missing.";

/// A claimed message, ready for its channel's transport.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub id: i64,
    pub account_id: i64,
    pub channel: Channel,
    pub kind: Kind,
    /// The person's address on the channel now (phone or channel id); `None` if removed
    /// since the message was accepted.
    pub to: Option<String>,
    pub content: Content,
}

/// Ends every message left `sending` by a previous run: the transport may have taken it, so
/// sending it again could deliver it twice. Run once before the worker starts.
pub fn interrupt_sending(conn: &Connection, now: Timestamp) -> Result<usize> {
    Ok(conn.prepare_cached(&interrupt_sql())?.execute(params![
        Status::Failed.code(),
        INTERRUPTED,
        now
    ])?)
}

// The worker's queries write status codes into the SQL instead of binding them: only then
// may SQLite use the partial indexes on status (a bound value could be anything when the
// plan is made), and they run every round over a log of millions.

fn interrupt_sql() -> String {
    format!(
        "UPDATE messages SET status = ?1, error_message = ?2, updated_at = ?3 WHERE status = {}",
        Status::Sending.code()
    )
}

fn release_sql() -> String {
    format!(
        "UPDATE messages SET status = ?1, updated_at = ?2 WHERE status = {} AND scheduled_at <= ?2",
        Status::Scheduled.code()
    )
}

fn claim_sql() -> String {
    format!(
        "SELECT m.id, m.account_id, m.channel, m.kind,
                CASE m.channel WHEN 'whatsapp' THEN c.phone WHEN 'telegram' THEN c.telegram_id
                               WHEN 'instagram' THEN c.instagram_id ELSE c.messenger_id END,
                m.text, m.header_text, m.footer_text, m.media_url, m.mime_type, m.options, m.payload
         FROM messages m JOIN contacts c ON c.id = m.contact_id
         WHERE m.status = {} AND m.broadcast_id IS NULL ORDER BY m.id LIMIT ?1",
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

/// Takes up to `limit` queued messages, oldest first, and marks them `sending` (committed
/// before any transport sees them).
pub fn claim(conn: &Connection, limit: i64, now: Timestamp) -> Result<Vec<Outgoing>> {
    let mut stmt = conn.prepare_cached(&claim_sql())?;
    let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    let claimed = stmt
        .query_map([limit], |r| {
            Ok(Outgoing {
                id: r.get(0)?,
                account_id: r.get(1)?,
                channel: Channel::parse(&r.get::<_, String>(2)?).unwrap_or(Channel::WhatsApp),
                kind: Kind::parse(&r.get::<_, String>(3)?).unwrap_or(Kind::Text),
                to: r.get(4)?,
                content: Content {
                    text: r.get(5)?,
                    header_text: r.get(6)?,
                    footer_text: r.get(7)?,
                    media_url: r.get(8)?,
                    mime_type: r.get(9)?,
                    options: json(r.get(10)?),
                    payload: json(r.get(11)?),
                },
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut mark = conn.prepare_cached(
        "UPDATE messages SET status = ?2, attempts = attempts + 1, updated_at = ?3 WHERE id = ?1",
    )?;
    for m in &claimed {
        mark.execute(params![m.id, Status::Sending.code(), now])?;
    }
    Ok(claimed)
}

/// What a transport made of a message: the provider's id, or why it failed.
pub type Outcome = std::result::Result<Option<String>, String>;

/// Records the transports' answers; a status only moves forward.
pub fn settle(conn: &Connection, outcomes: &[(i64, Outcome)], now: Timestamp) -> Result<()> {
    let mut provider = conn.prepare_cached("UPDATE messages SET provider_id = ?2 WHERE id = ?1")?;
    for (id, outcome) in outcomes {
        match outcome {
            Ok(provider_id) => {
                if set_status(conn, *id, Status::Sent, None, now)? && provider_id.is_some() {
                    provider.execute(params![id, provider_id])?;
                }
            }
            Err(error) => {
                set_status(conn, *id, Status::Failed, Some(error), now)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::prepare_schema;

    #[test]
    fn the_worker_never_scans_the_message_log() {
        let mut conn = Connection::open_in_memory().unwrap();
        prepare_schema(&mut conn).unwrap();
        for sql in [interrupt_sql(), release_sql(), claim_sql()] {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let nulls = vec![rusqlite::types::Null; stmt.parameter_count()];
            let plan: Vec<String> = stmt
                .query_map(rusqlite::params_from_iter(nulls), |r| r.get(3))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            // A scan of a partial index visits only the rows waiting; a bare scan is the table.
            assert!(
                plan.iter()
                    .all(|step| step != "SCAN messages" && step != "SCAN m"),
                "{sql}\n{plan:?}"
            );
        }
    }
}
