//! Broadcasts in SQL, as the worker sees them: starting scheduled ones, claiming paced
//! batches (filled in per recipient), and completing the ones with nothing left to send.
//! The fan-out into queued messages is [`super::fanout`].

use super::transport::Outgoing;
use crate::broadcasts::model::{LIST, Request, Status, personalize};
use crate::broadcasts::store as broadcasts;
use crate::clock::Timestamp;
use crate::contacts::model::{Person, PersonType};
use crate::contacts::names::AttributeNames;
use crate::contacts::store::{Condition, Window, people_where};
use crate::error::Result;
use crate::messages::model::{Channel, Content, Status as MessageStatus};
use crate::templates::store as templates;
use rusqlite::{Connection, params};
use std::collections::HashMap;

/// A running broadcast, as the worker needs it.
#[derive(Debug, Clone)]
pub struct Running {
    pub id: i64,
    pub account_id: i64,
    pub segment_id: i64,
    pub kind: PersonType,
    pub channel: Channel,
    pub request: Request,
    pub fanout_after: i64,
    pub fanout_done: bool,
}

/// Starts the scheduled broadcasts whose time has come (also while the server was down).
pub fn start_due(conn: &Connection, now: Timestamp) -> Result<usize> {
    Ok(conn
        .prepare_cached(
            "UPDATE broadcasts SET status = ?1, started_at = ?2, updated_at = ?2
             WHERE status = ?3 AND scheduled_at <= ?2",
        )?
        .execute(params![
            Status::Running.code(),
            now,
            Status::Scheduled.code()
        ])?)
}

/// The running broadcasts. One whose stored channel or request no longer reads is paused
/// with the reason, never sent on a guessed channel or with a guessed content.
pub fn running(conn: &Connection, now: Timestamp) -> Result<Vec<Running>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, account_id, segment_id, person_type, channel, request, fanout_after, fanout_done
         FROM broadcasts WHERE status = ?1 ORDER BY id",
    )?;
    let rows = stmt
        .query_map([Status::Running.code()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, bool>(7)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut running = Vec::with_capacity(rows.len());
    for (id, account_id, segment_id, kind, channel, request, fanout_after, fanout_done) in rows {
        let read = Channel::parse(&channel)
            .ok_or_else(|| format!("its stored channel {channel:?} is not one we know"))
            .and_then(|channel| {
                let request = serde_json::from_str::<Request>(&request)
                    .map_err(|e| format!("its stored request cannot be read ({e})"))?;
                Ok((channel, request))
            });
        match read {
            Ok((channel, request)) => running.push(Running {
                id,
                account_id,
                segment_id,
                kind: PersonType::from_code(kind),
                channel,
                request,
                fanout_after,
                fanout_done,
            }),
            Err(why) => {
                let why = format!("paused: {why}");
                log::error!("broadcast {id}: {why}");
                pause(conn, id, &why, now)?;
            }
        }
    }
    Ok(running)
}

/// Pauses a running broadcast with the reason.
pub fn pause(conn: &Connection, id: i64, reason: &str, now: Timestamp) -> Result<()> {
    conn.prepare_cached(
        "UPDATE broadcasts SET status = ?2, paused_reason = ?3, updated_at = ?4
         WHERE id = ?1 AND status = ?5",
    )?
    .execute(params![
        id,
        Status::Paused.code(),
        reason,
        now,
        Status::Running.code()
    ])?;
    Ok(())
}

/// A broadcast's next queued messages, read in `messages_by_broadcast` order.
const CLAIM_SQL: &str =
    "SELECT id, contact_id FROM messages WHERE broadcast_id = ?1 AND status = ?2
        AND (retry_at IS NULL OR retry_at <= ?4)
    ORDER BY contact_id, id LIMIT ?3";

/// Takes up to `limit` of the broadcast's queued messages (by recipient, its index's order),
/// fills each in for its recipient, and marks them `sending` (committed before any
/// transport sees them). A message that cannot be filled in (its template was deleted)
/// fails with the reason.
pub fn claim(
    conn: &Connection,
    b: &Running,
    limit: usize,
    now: Timestamp,
) -> Result<Vec<Outgoing>> {
    let queued: Vec<(i64, i64)> = conn
        .prepare_cached(CLAIM_SQL)?
        .query_map(
            params![b.id, MessageStatus::Queued.code(), limit as i64, now],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?
        .collect::<rusqlite::Result<_>>()?;
    if queued.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = queued.iter().map(|&(_, contact)| contact).collect();
    let people: HashMap<i64, Person> = people_where(
        conn,
        &AttributeNames::default(),
        b.account_id,
        b.kind,
        &Condition::ids(&ids),
        Window::first(u32::MAX),
    )?
    .into_iter()
    .filter_map(|p| Some((p.id.parse().ok()?, p)))
    .collect();
    let template = b
        .request
        .template
        .as_ref()
        .map(|t| templates::find(conn, b.account_id, &t.name, &t.language));
    // A list's recipients carry parameters of their own.
    let own = match b.segment_id {
        LIST => broadcasts::list_parameters(conn, b.id, &ids)?,
        _ => HashMap::new(),
    };
    let mut mark = conn.prepare_cached(
        "UPDATE messages SET status = ?2, attempts = attempts + 1, text = ?3, header_text = ?4,
             footer_text = ?5, media_url = ?6, options = ?7, payload = ?8, updated_at = ?9
         WHERE id = ?1",
    )?;
    let mut claimed = Vec::with_capacity(queued.len());
    for (id, contact_id) in queued {
        let Some(person) = people.get(&contact_id) else {
            // Deleted since the fan-out: its messages went with it, so this row is gone too.
            continue;
        };
        let content = match (&b.request.template, &template) {
            (Some(t), Some(Ok(stored))) if b.segment_id == LIST => match own.get(&contact_id) {
                Some(own) => t.with(own).render(&stored.template),
                None => Err(crate::error::Error::invalid(
                    "its recipient's stored parameters cannot be read",
                )),
            },
            (Some(t), Some(Ok(stored))) => t.for_person(person).render(&stored.template),
            (Some(_), Some(Err(e))) => Err(e.clone()),
            _ => Ok(Content {
                text: b
                    .request
                    .text_message
                    .as_deref()
                    .map(|m| personalize(m, person)),
                ..Content::default()
            }),
        };
        let content = match content {
            Ok(content) => content,
            Err(e) => {
                crate::messages::store::fail(conn, id, None, &e.message, now)?;
                continue;
            }
        };
        let json = |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string());
        mark.execute(params![
            id,
            MessageStatus::Sending.code(),
            content.text,
            content.header_text,
            content.footer_text,
            content.media_url,
            json(&content.options),
            json(&content.payload),
            now
        ])?;
        claimed.push(Outgoing {
            id,
            account_id: b.account_id,
            channel: b.channel,
            kind: b.request.kind(),
            to: address(person, b.channel),
            content,
        });
    }
    Ok(claimed)
}

fn address(p: &Person, channel: Channel) -> Option<String> {
    match channel {
        Channel::WhatsApp => p.phone_number.clone(),
        other => p
            .channel_ids
            .get(other.as_str())
            .and_then(|v| v.as_str())
            .map(str::to_string),
    }
}

/// Completes the running broadcasts that are fanned out and have nothing queued or in
/// a transport's hands.
pub fn complete(conn: &Connection, now: Timestamp) -> Result<usize> {
    Ok(conn
        .prepare_cached(
            "UPDATE broadcasts SET status = ?1, completed_at = ?2, updated_at = ?2
             WHERE status = ?3 AND fanout_done = 1 AND NOT EXISTS (
                 SELECT 1 FROM messages WHERE broadcast_id = broadcasts.id AND status IN (?4, ?5))",
        )?
        .execute(params![
            Status::Completed.code(),
            now,
            Status::Running.code(),
            MessageStatus::Queued.code(),
            MessageStatus::Sending.code()
        ])?)
}

/// Counts each ended message against its broadcast's run of failures: a message sent ends
/// the run; a failure lengthens it, and a run of `pause_after` (not 0) pauses a running
/// broadcast with the reason, so a broken channel does not burn through a whole segment.
pub fn record_results(
    conn: &Connection,
    ended: &[(i64, std::result::Result<(), String>)],
    pause_after: u32,
    now: Timestamp,
) -> Result<()> {
    let mut reset = conn.prepare_cached(
        "UPDATE broadcasts SET failure_run = 0
         WHERE id = (SELECT broadcast_id FROM messages WHERE id = ?1) AND failure_run > 0",
    )?;
    let mut failed = conn.prepare_cached(
        "UPDATE broadcasts SET failure_run = failure_run + 1
         WHERE id = (SELECT broadcast_id FROM messages WHERE id = ?1)",
    )?;
    let mut pause = conn.prepare_cached(
        "UPDATE broadcasts SET status = ?2, paused_reason = ?3, updated_at = ?4
         WHERE id = (SELECT broadcast_id FROM messages WHERE id = ?1)
           AND status = ?5 AND ?6 > 0 AND failure_run >= ?6",
    )?;
    for (id, result) in ended {
        match result {
            Ok(()) => {
                reset.execute([id])?;
            }
            Err(reason) => {
                if failed.execute([id])? == 1 {
                    let why = format!(
                        "paused after {pause_after} messages failed in a row; the last: {reason}"
                    );
                    pause.execute(params![
                        id,
                        Status::Paused.code(),
                        why,
                        now,
                        Status::Running.code(),
                        pause_after
                    ])?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broadcasts::model::StoredTemplate;
    use crate::db::{prepare_schema, query_plan};

    #[test]
    fn a_claim_walks_the_broadcast_index_without_sorting() {
        let mut conn = Connection::open_in_memory().unwrap();
        prepare_schema(&mut conn).unwrap();
        let plan = query_plan(&conn, CLAIM_SQL);
        // A sort would read every queued message of a million-person broadcast per claim.
        assert_eq!(
            plan,
            ["SEARCH messages USING INDEX messages_by_broadcast (broadcast_id=? AND status=?)"]
        );
    }

    /// A list broadcast of template `order_update` to people 1 and 2, each with a queued
    /// message: 1's parameters read, 2's stored ones no longer do.
    #[test]
    fn a_list_recipient_gets_their_own_parameters_or_a_failure_never_a_guess() {
        let mut conn = Connection::open_in_memory().unwrap();
        prepare_schema(&mut conn).unwrap();
        conn.execute_batch(
            "INSERT INTO accounts (id, email, password_hash, plan, created_at)
                 VALUES (1, 'a@example.com', 'x', 'trial', 0);
             INSERT INTO contacts (id, account_id, type, phone, created_at, updated_at)
                 VALUES (1, 1, 0, '+919876543210', 0, 0), (2, 1, 0, '+919876543211', 0, 0);
             INSERT INTO templates (id, account_id, name, language, body, created_at, updated_at)
                 VALUES (1, 1, 'order_update', 'en', 'Hi {{1}}', 0, 0);
             INSERT INTO broadcasts (id, account_id, name, segment_id, person_type, channel,
                                     request, status, created_at, updated_at)
                 VALUES (1, 1, 'list', 0, 0, 'whatsapp', '{}', 1, 0, 0);
             INSERT INTO broadcast_recipients (broadcast_id, contact_id, parameters)
                 VALUES (1, 1, '{\"header\": [], \"body\": [\"Asha\"]}'), (1, 2, '[');
             INSERT INTO messages (id, account_id, contact_id, channel, incoming, kind, status,
                                   broadcast_id, created_at, updated_at)
                 VALUES (1, 1, 1, 'whatsapp', 0, 'template', 1, 1, 0, 0),
                        (2, 1, 2, 'whatsapp', 0, 'template', 1, 1, 0, 0);",
        )
        .unwrap();
        let template = StoredTemplate {
            name: "order_update".into(),
            language: "en".into(),
            header_text_parameters: Vec::new(),
            body_text_parameters: Vec::new(),
            button_url_parameters: Vec::new(),
            header_media_url: None,
        };
        let b = Running {
            id: 1,
            account_id: 1,
            segment_id: LIST,
            kind: PersonType::Contact,
            channel: Channel::WhatsApp,
            request: Request {
                template: Some(template),
                text_message: None,
            },
            fanout_after: 0,
            fanout_done: true,
        };
        let claimed = claim(&conn, &b, 10, 5).unwrap();
        assert_eq!(claimed.len(), 1, "only the readable one goes out");
        let rows: Vec<(i64, Option<String>, Option<String>)> = conn
            .prepare("SELECT status, text, error_message FROM messages ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(rows[0].0, MessageStatus::Sending.code());
        assert_eq!(rows[0].1.as_deref(), Some("Hi Asha"));
        assert_eq!(rows[1].0, MessageStatus::Failed.code());
        assert!(
            rows[1]
                .2
                .as_deref()
                .unwrap()
                .contains("parameters cannot be read")
        );
    }
}
