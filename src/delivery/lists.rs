//! Broadcasts to a list of people, each with template parameters of their own (Wati's
//! `sendTemplateMessages`): the recipients found or made by phone, the broadcast stored and
//! fanned out at once, in the caller's write transaction, so that the answer can name each
//! recipient's message.

use super::broadcasts::Running;
use super::fanout::{self, FANOUT_CHUNK};
use crate::broadcasts::model::{LIST, Parameters, Request, StoredTemplate};
use crate::broadcasts::store as broadcasts;
use crate::clock::Timestamp;
use crate::contacts::model::PersonType;
use crate::error::{Error, Result};
use crate::messages::model::Channel;
use crate::messages::store as messages;
use std::collections::HashSet;

/// Sends `template` as one broadcast named `name` to each receiver that was checked (its
/// normalised phone and parameters), in order. Each answer is the receiver's message, or
/// why it has none: named twice, opted out, or the error it came with. Without a single
/// recipient no broadcast is stored.
pub fn send(
    conn: &rusqlite::Connection,
    account_id: i64,
    name: &str,
    template: StoredTemplate,
    receivers: &[Result<(String, Parameters)>],
    now: Timestamp,
) -> Result<Vec<Result<i64>>> {
    let mut seen = HashSet::new();
    let mut recipients = Vec::new();
    let mut contacts = Vec::with_capacity(receivers.len());
    for receiver in receivers {
        contacts.push(match receiver {
            Ok((phone, own)) => {
                let to = messages::find_or_create(
                    conn,
                    account_id,
                    Channel::WhatsApp,
                    phone,
                    None,
                    now,
                )?;
                if seen.insert(to.id) {
                    recipients.push((to.id, own.clone()));
                    Ok(to.id)
                } else {
                    Err(Error::invalid(
                        "whatsappNumber: named twice in this request",
                    ))
                }
            }
            Err(e) => Err(e.clone()),
        });
    }
    if recipients.is_empty() {
        return Ok(contacts); // every one of them an error
    }
    let id = broadcasts::insert_list(conn, account_id, name, &template, &recipients, now)?;
    let b = Running {
        id,
        account_id,
        segment_id: LIST,
        kind: PersonType::Contact,
        channel: Channel::WhatsApp,
        request: Request {
            template: Some(template),
            text_message: None,
        },
        fanout_after: 0,
        fanout_done: false,
    };
    // A list longer than one step is finished by the worker.
    let step = fanout::judge(conn, &b, 0, FANOUT_CHUNK, now)?;
    fanout::queue(conn, &b, step, FANOUT_CHUNK, now)?;
    let sent = broadcasts::messages_by_contact(conn, id)?;
    // Found by phone, every recipient is reachable: one without a message opted out.
    Ok(contacts
        .into_iter()
        .map(|contact| {
            contact.and_then(|c| {
                sent.get(&c)
                    .copied()
                    .ok_or_else(|| Error::invalid("recipient: the contact opted out of broadcasts"))
            })
        })
        .collect())
}
