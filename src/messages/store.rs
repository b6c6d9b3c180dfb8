//! The message log in SQL: storing sends and incoming messages, reading a person's log or
//! a broadcast's messages, cancelling, and moving statuses forward. The delivery worker's
//! queries are in [`crate::delivery::sends`].

use super::body::{Ask, Draft, Recipient};
use super::incoming::{Incoming, Sender};
use super::model::{Channel, Content, Kind, OptWords, Receipt, Status, session_open};
use super::tally::{self, Tally};
use crate::accounts::store as accounts;
use crate::clock::{self, Timestamp};
use crate::contacts::model::{PersonChanges, PersonType};
use crate::contacts::store as contacts;
use crate::error::{Error, Result};
use crate::fields::Page;
use crate::locations::store as locations;
use crate::templates::store as templates;
use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use serde_json::{Value, json};

/// The person a message is for or from, as far as sending needs them.
#[derive(Debug)]
pub struct Target {
    pub id: i64,
    pub kind: PersonType,
    pub address: Option<String>,
    pub whatsapp_inbound_at: Option<Timestamp>,
}

fn target(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    id: i64,
    channel: Channel,
) -> Result<Option<Target>> {
    let sql = format!(
        "SELECT {}, whatsapp_inbound_at FROM contacts WHERE id = ?1 AND account_id = ?2 AND type = ?3",
        channel.address_column()
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![id, account_id, kind.code()], |r| {
            Ok(Target {
                id,
                kind,
                address: r.get(0)?,
                whatsapp_inbound_at: r.get(1)?,
            })
        })
        .optional()?)
}

/// The account's contact with this address on the channel, if there is one.
fn find_by_address(
    conn: &Connection,
    account_id: i64,
    channel: Channel,
    address: &str,
) -> Result<Option<i64>> {
    let sql = format!(
        "SELECT id FROM contacts WHERE account_id = ?1 AND type = ?2 AND {} = ?3 LIMIT 1",
        channel.address_column()
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(
            params![account_id, PersonType::Contact.code(), address],
            |r| r.get(0),
        )
        .optional()?)
}

/// The account's contact with this address on the channel, created (with `name`) if new.
pub fn find_or_create(
    conn: &Connection,
    account_id: i64,
    channel: Channel,
    address: &str,
    name: Option<&str>,
    now: Timestamp,
) -> Result<Target> {
    let kind = PersonType::Contact;
    let id = match find_by_address(conn, account_id, channel, address)? {
        Some(id) => id,
        None => {
            let mut person = PersonChanges {
                name: name.map(|n| Some(n.to_string())),
                ..PersonChanges::default()
            };
            let address = Some(Some(address.to_string()));
            match channel {
                Channel::WhatsApp => person.phone = address,
                Channel::Telegram => person.telegram_id = address,
                Channel::Instagram => person.instagram_id = address,
                Channel::Messenger => person.messenger_id = address,
            }
            contacts::insert(conn, account_id, kind, &person, now)?
        }
    };
    Ok(target(conn, account_id, kind, id, channel)?.expect("the contact was just found or made"))
}

/// What a send answers: `{"success": true, "id", "status"}`.
#[derive(Debug, Clone, Copy)]
pub struct Accepted {
    pub id: i64,
    pub status: Status,
}

impl Accepted {
    pub fn body(&self) -> Value {
        json!({"success": true, "id": self.id.to_string(), "status": self.status.as_str()})
    }
}

/// Checks a send against the data (recipient, reachability, session window, template,
/// location) and logs it as `queued` or `scheduled`.
pub fn send(conn: &Connection, account_id: i64, draft: &Draft, now: Timestamp) -> Result<Accepted> {
    accounts::check_room(conn, account_id, 0, 1)?;
    let channel = draft.channel;
    let to = match &draft.recipient {
        Recipient::Person(kind, id) => target(conn, account_id, *kind, *id, channel)?
            .ok_or_else(|| contacts::not_found(*kind, *id))?,
        Recipient::Phone { phone, name } => {
            find_or_create(conn, account_id, channel, phone, name.as_deref(), now)?
        }
    };
    if to.address.is_none() {
        return Err(Error::invalid(format!(
            "recipient: {} {} cannot be reached on {}: it has no {}",
            to.kind.as_str(),
            to.id,
            channel.as_str(),
            channel.address_field()
        )));
    }
    let goes_at = draft.scheduled_at.unwrap_or(now);
    if channel == Channel::WhatsApp
        && draft.kind != Kind::Template
        && !session_open(to.whatsapp_inbound_at, goes_at)
    {
        return Err(Error::invalid(format!(
            "recipient: {} {} has not written on WhatsApp in the 24 hours before this message \
             would go out; outside that window WhatsApp only delivers templates: use sendtemplate",
            to.kind.as_str(),
            to.id
        )));
    }
    locations::check_reference(conn, account_id, draft.location_id)?;
    let content = match &draft.ask {
        Ask::Content(c) => c.clone(),
        Ask::Template(request) => {
            let stored = templates::find(conn, account_id, &request.name, &request.language)?;
            request.render(&stored.template)?
        }
    };
    let status = match draft.scheduled_at {
        Some(_) => Status::Scheduled,
        None => Status::Queued,
    };
    let id = insert(
        conn,
        &NewMessage {
            account_id,
            contact_id: to.id,
            channel,
            incoming: false,
            kind: draft.kind,
            sent_by: Some("api"),
            status,
            location_id: draft.location_id,
            scheduled_at: draft.scheduled_at,
            provider_id: None,
        },
        &content,
        now,
    )?;
    touch(conn, to.id, now, false)?;
    Ok(Accepted { id, status })
}

/// Logs an incoming message; an unknown sender becomes a contact. Opens the WhatsApp
/// session window when it came on WhatsApp; a stop or start word sets `optedOut`; counts as
/// the reply to the person's broadcast messages of the last `reply_window` seconds. Answers
/// as a send does, plus the `contactId`.
pub fn receive(
    conn: &Connection,
    account_id: i64,
    m: &Incoming,
    words: &OptWords,
    reply_window: i64,
    now: Timestamp,
) -> Result<Value> {
    if let Some((id, contact_id)) = by_provider_id(conn, account_id, m.provider_id.as_deref())? {
        // A provider delivering the same message again: it was recorded the first time.
        return Ok(received(id, contact_id));
    }
    accounts::check_room(conn, account_id, 0, 1)?;
    let from = match &m.sender {
        Sender::Person(kind, id) => target(conn, account_id, *kind, *id, m.channel)?
            .ok_or_else(|| contacts::not_found(*kind, *id))?,
        Sender::Address { address, name } => {
            find_or_create(conn, account_id, m.channel, address, name.as_deref(), now)?
        }
    };
    let id = insert(
        conn,
        &NewMessage {
            account_id,
            contact_id: from.id,
            channel: m.channel,
            incoming: true,
            kind: m.kind,
            sent_by: None,
            status: Status::Received,
            location_id: None,
            scheduled_at: None,
            provider_id: m.provider_id.as_deref(),
        },
        &m.content,
        now,
    )?;
    touch(conn, from.id, now, m.channel == Channel::WhatsApp)?;
    tally::replied(conn, account_id, from.id, reply_window, now)?;
    if let Some(out) = m.content.text.as_deref().and_then(|t| words.opts_out(t)) {
        conn.prepare_cached("UPDATE contacts SET opted_out = ?2, updated_at = ?3 WHERE id = ?1")?
            .execute(params![from.id, out, now])?;
    }
    Ok(received(id, from.id))
}

/// Whether the account's quotas leave room to record `m` (and its sender, if new).
pub fn receivable(conn: &Connection, account_id: i64, m: &Incoming) -> Result<bool> {
    let new_sender = match &m.sender {
        Sender::Person(..) => false,
        Sender::Address { address, .. } => {
            find_by_address(conn, account_id, m.channel, address)?.is_none()
        }
    };
    accounts::has_room(conn, account_id, i64::from(new_sender), 1)
}

/// What `/receive` answers: as a send does, plus who wrote.
fn received(id: i64, contact_id: i64) -> Value {
    let mut answer = Accepted {
        id,
        status: Status::Received,
    }
    .body();
    answer["contactId"] = json!(contact_id.to_string());
    answer
}

/// The columns of a new log row besides its content.
pub struct NewMessage<'a> {
    pub account_id: i64,
    pub contact_id: i64,
    pub channel: Channel,
    pub incoming: bool,
    pub kind: Kind,
    pub sent_by: Option<&'static str>,
    pub status: Status,
    pub location_id: Option<i64>,
    pub scheduled_at: Option<Timestamp>,
    /// The provider's id of an incoming message.
    pub provider_id: Option<&'a str>,
}

pub fn insert(conn: &Connection, m: &NewMessage, c: &Content, now: Timestamp) -> Result<i64> {
    let json = |v: &Option<Value>| v.as_ref().map(Value::to_string);
    conn.prepare_cached(
        "INSERT INTO messages (account_id, contact_id, channel, incoming, kind, sent_by, status,
             text, header_text, footer_text, media_url, mime_type, options, payload, location_id,
             created_at, scheduled_at, updated_at, provider_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?16, ?18)",
    )?
    .execute(params![
        m.account_id,
        m.contact_id,
        m.channel.as_str(),
        m.incoming,
        m.kind.as_str(),
        m.sent_by,
        m.status.code(),
        c.text,
        c.header_text,
        c.footer_text,
        c.media_url,
        c.mime_type,
        json(&c.options),
        json(&c.payload),
        m.location_id,
        now,
        m.scheduled_at,
        m.provider_id,
    ])?;
    let id = conn.last_insert_rowid();
    accounts::count_stored(conn, m.account_id, 0, 1)?;
    record_event(conn, id, m.status, now)?;
    Ok(id)
}

/// Records the webhook event of a message that has just become `status` (`message.sent`,
/// …) when its account has an endpoint listening, in the transaction of the change, as the
/// other events' triggers do. Messages have no such trigger: it would cost every row of a
/// fan-out and of a settle, listening or not (benches/suite.sh, steps 4 and 6).
pub fn record_event(conn: &Connection, id: i64, status: Status, at: Timestamp) -> Result<()> {
    let Some(event) = status.event() else {
        return Ok(());
    };
    conn.prepare_cached(
        "INSERT INTO webhook_events (account_id, event_type, object_id, created_at)
         SELECT m.account_id, ?2, m.id, ?3 FROM messages m
         WHERE m.id = ?1 AND EXISTS (SELECT 1 FROM webhook_subscriptions s
             WHERE s.account_id = m.account_id AND s.event_type IN ('*', ?2))",
    )?
    .execute(params![id, event, at])?;
    Ok(())
}

/// Records activity on a person: every send and receive; an incoming WhatsApp message also
/// opens the session window.
pub fn touch(
    conn: &Connection,
    contact_id: i64,
    now: Timestamp,
    whatsapp_inbound: bool,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE contacts SET last_activity_at = ?2,
             whatsapp_inbound_at = CASE WHEN ?3 THEN ?2 ELSE whatsapp_inbound_at END
         WHERE id = ?1",
    )?
    .execute(params![contact_id, now, whatsapp_inbound])?;
    Ok(())
}

const VIEW_COLUMNS: &str = "m.id, m.contact_id, coalesce(c.channel, m.channel), c.phone, m.channel,
    m.incoming, m.kind, m.sent_by, m.status, m.error_message, m.media_url, m.mime_type, m.text,
    m.header_text, m.footer_text, m.options, m.created_at, m.scheduled_at, m.sent_at,
    m.provider_id, m.error_code,
    CASE WHEN m.kind = 'media' AND m.media_url IS NULL AND json_valid(m.payload)
         THEN m.payload ->> '$.file' END, m.pricing_category, m.billable";

/// A log entry in the seed's shape, plus `mimeType`, `headerText`, the times, the
/// provider's own id for the message and its `pricing`, and `mediaFile`, the kept file a
/// media message sends (`getMedia?fileName=`) instead of a `mediaUrl`.
fn view(r: &Row) -> rusqlite::Result<Value> {
    let time = |i: usize| -> rusqlite::Result<Option<String>> {
        Ok(r.get::<_, Option<i64>>(i)?.map(clock::rfc3339))
    };
    let options: Option<String> = r.get(15)?;
    let status = Status::from_code(r.get(8)?).map_or("unknown", Status::as_str);
    let billable: Option<bool> = r.get(23)?;
    let pricing = r
        .get::<_, Option<String>>(22)?
        .map(|category| json!({"category": category, "billable": billable.unwrap_or(true)}));
    Ok(json!({
        "id": r.get::<_, i64>(0)?.to_string(),
        "contact": {
            "id": r.get::<_, i64>(1)?.to_string(),
            "channel": r.get::<_, Option<String>>(2)?,
            "phoneNumber": r.get::<_, Option<String>>(3)?,
        },
        "channel": r.get::<_, String>(4)?,
        "isIncoming": r.get::<_, bool>(5)?,
        "type": r.get::<_, String>(6)?,
        "sentBy": r.get::<_, Option<String>>(7)?,
        "status": status,
        "errorCode": r.get::<_, Option<String>>(20)?,
        "errorMessage": r.get::<_, Option<String>>(9)?,
        "pricing": pricing,
        "mediaUrl": r.get::<_, Option<String>>(10)?,
        "mediaFile": r.get::<_, Option<String>>(21)?,
        "mimeType": r.get::<_, Option<String>>(11)?,
        "text": r.get::<_, Option<String>>(12)?,
        "headerText": r.get::<_, Option<String>>(13)?,
        "footerText": r.get::<_, Option<String>>(14)?,
        "options": options.and_then(|o| serde_json::from_str::<Value>(&o).ok()),
        "createdAt": time(16)?,
        "scheduledAt": time(17)?,
        "sentAt": time(18)?,
        "providerMessageId": r.get::<_, Option<String>>(19)?,
    }))
}

/// One message of the account as the log shows it, if it exists.
pub fn view_of(conn: &Connection, account_id: i64, id: i64) -> Result<Option<Value>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {VIEW_COLUMNS} FROM messages m JOIN contacts c ON c.id = m.contact_id
             WHERE m.id = ?1 AND m.account_id = ?2"
        ))?
        .query_row(params![id, account_id], view)
        .optional()?)
}

/// The account's message with the provider's id `provider_id`, if any, and its person.
fn by_provider_id(
    conn: &Connection,
    account_id: i64,
    provider_id: Option<&str>,
) -> Result<Option<(i64, i64)>> {
    let Some(provider_id) = provider_id else {
        return Ok(None);
    };
    Ok(conn
        .prepare_cached(
            "SELECT id, contact_id FROM messages WHERE account_id = ?1 AND provider_id = ?2",
        )?
        .query_row(params![account_id, provider_id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?)
}

/// A provider's status callback (sent, delivered, read, failed) for the message it knows
/// as `provider_id`, with its error and pricing. The status applies only if it moves the
/// message forward, so a late or repeated callback changes nothing; the first pricing is
/// kept whichever callback brings it. False when the status did not change.
pub fn provider_status(
    conn: &Connection,
    account_id: i64,
    receipt: &Receipt,
    now: Timestamp,
) -> Result<bool> {
    let Some((id, _)) = by_provider_id(conn, account_id, Some(&receipt.provider_id))? else {
        return Ok(false);
    };
    if let Some(pricing) = &receipt.pricing {
        // Every status callback of a million-message broadcast comes here: a plain update,
        // then a point read only for the first pricing (RETURNING costs a temporary table).
        let priced = conn
            .prepare_cached(
                "UPDATE messages SET pricing_category = ?2, billable = ?3
                 WHERE id = ?1 AND pricing_category IS NULL",
            )?
            .execute(params![id, pricing.category, pricing.billable])?;
        let broadcast: Option<i64> = match priced {
            0 => None,
            _ => conn
                .prepare_cached("SELECT broadcast_id FROM messages WHERE id = ?1")?
                .query_row([id], |r| r.get(0))?,
        };
        if let Some(broadcast) = broadcast {
            tally::priced(conn, broadcast, pricing)?;
        }
    }
    let (code, words) = match &receipt.error {
        Some(e) => (e.code.as_deref(), Some(e.message.as_str())),
        None => (None, None),
    };
    let mut tally = Tally::default();
    let changed = change(conn, id, receipt.status, code, words, now, &mut tally)?;
    tally.write(conn)?;
    Ok(changed)
}

/// Applies a receipt that names no message: everything sent on `channel` to the person
/// with that channel id, until `until`, moves forward to `status`. Answers how many moved.
pub fn provider_status_until(
    conn: &Connection,
    account_id: i64,
    channel: Channel,
    person: &str,
    status: Status,
    until: Timestamp,
    now: Timestamp,
) -> Result<usize> {
    let statuses = may_become(status);
    let whose = format!(
        "IN (SELECT id FROM contacts WHERE account_id = ?1 AND type IN (0, 1) AND {} = ?2)",
        channel.address_column()
    );
    let sql = format!(
        "SELECT m.id FROM messages AS m
         WHERE {} AND m.channel = ?3 AND m.incoming = 0 AND m.sent_at <= ?4
           AND m.status IN ({statuses})",
        of_person(&whose, "?1", &statuses)
    );
    let found: Vec<i64> = conn
        .prepare_cached(&sql)?
        .query_map(params![account_id, person, channel.as_str(), until], |r| {
            r.get(0)
        })?
        .collect::<rusqlite::Result<_>>()?;
    let (mut moved, mut tally) = (0, Tally::default());
    for id in found {
        moved += usize::from(change(conn, id, status, None, None, now, &mut tally)?);
    }
    tally.write(conn)?;
    Ok(moved)
}

/// A broadcast's messages by recipient (the order the fan-out created them in, so oldest
/// first, and its index's order for one status), optionally of some statuses only.
pub fn of_broadcast(
    conn: &Connection,
    broadcast_id: i64,
    statuses: &[Status],
    page: Page,
) -> Result<(Vec<Value>, i64)> {
    let mut filter = String::from("m.broadcast_id = ?1");
    if !statuses.is_empty() {
        let codes: Vec<String> = statuses.iter().map(|s| s.code().to_string()).collect();
        filter.push_str(&format!(" AND m.status IN ({})", codes.join(", ")));
    }
    let total: i64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM messages m WHERE {filter}"))?
        .query_row([broadcast_id], |r| r.get(0))?;
    let sql = format!(
        "SELECT {VIEW_COLUMNS} FROM messages m JOIN contacts c ON c.id = m.contact_id
         WHERE {filter} ORDER BY m.contact_id, m.id LIMIT {} OFFSET {}",
        page.limit, page.offset
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([broadcast_id], view)?;
    Ok((rows.collect::<rusqlite::Result<_>>()?, total))
}

fn not_found(id: i64) -> Error {
    Error::not_found(format!("no message with id {id}"))
}

/// A person's log, newest first. `before` (a message id) pages without shifting when new
/// messages arrive meanwhile; `page` counts from the newest.
pub fn log(
    conn: &Connection,
    account_id: i64,
    contact_id: i64,
    search: Option<&str>,
    before: Option<i64>,
    page: Page,
) -> Result<(Vec<Value>, i64)> {
    let person = conn
        .prepare_cached("SELECT 1 FROM contacts WHERE id = ?1 AND account_id = ?2")?
        .exists(params![contact_id, account_id])?;
    if !person {
        return Err(Error::not_found(format!(
            "no contact or client with id {contact_id}"
        )));
    }
    let every = Status::ALL.map(|s| s.code().to_string()).join(", ");
    let mut filter = format!("m.account_id = ?1 AND {}", of_person("= ?2", "?1", &every));
    let mut values = vec![Sql::Integer(account_id), Sql::Integer(contact_id)];
    if let Some(search) = search {
        filter.push_str(" AND m.text LIKE ? ESCAPE '\\'");
        values.push(Sql::Text(format!("%{}%", contacts::escape_like(search))));
    }
    let total: i64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM messages m WHERE {filter}"))?
        .query_row(params_from_iter(values.iter()), |r| r.get(0))?;
    if let Some(before) = before {
        filter.push_str(" AND m.id < ?");
        values.push(Sql::Integer(before));
    }
    let sql = format!(
        "SELECT {VIEW_COLUMNS} FROM messages m JOIN contacts c ON c.id = m.contact_id
         WHERE {filter} ORDER BY m.id DESC LIMIT {} OFFSET {}",
        page.limit, page.offset
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values.iter()), view)?;
    Ok((rows.collect::<rusqlite::Result<_>>()?, total))
}

/// Cancels a message that has not been handed to a transport yet.
pub fn cancel(conn: &Connection, account_id: i64, id: i64, now: Timestamp) -> Result<()> {
    let status: i64 = conn
        .prepare_cached("SELECT status FROM messages WHERE id = ?1 AND account_id = ?2")?
        .query_row(params![id, account_id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| not_found(id))?;
    let status = Status::from_code(status).unwrap_or(Status::Received);
    if !status.can_become(Status::Cancelled) {
        return Err(Error::conflict(format!(
            "message {id} is {}: only scheduled or queued messages can be cancelled",
            status.as_str()
        )));
    }
    set_status(conn, id, Status::Cancelled, None, now)?;
    Ok(())
}

/// The status codes that may become `next`, as an SQL list: literals, so that the partial
/// indexes on status can serve the statement.
/// Whether message `m` is to or from the person `person` picks out (`= ?2`, `IN (…)`),
/// asked of both halves the indexes keep apart (schema.sql): direct messages by person, and
/// each of the account's broadcasts by status (`statuses`, codes) and then person.
fn of_person(person: &str, account: &str, statuses: &str) -> String {
    format!(
        "((m.broadcast_id IS NULL AND m.contact_id {person})
          OR (m.broadcast_id IN (SELECT id FROM broadcasts WHERE account_id = {account})
              AND m.status IN ({statuses}) AND m.contact_id {person}))"
    )
}

fn may_become(next: Status) -> String {
    Status::ALL
        .into_iter()
        .filter(|s| s.can_become(next))
        .map(|s| s.code().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Moves a message to `next` if that is forward from where it is; false if it was not.
/// Records its event, and counts it in its broadcast's counters.
pub fn set_status(
    conn: &Connection,
    id: i64,
    next: Status,
    error: Option<&str>,
    now: Timestamp,
) -> Result<bool> {
    let mut tally = Tally::default();
    let changed = change(conn, id, next, None, error, now, &mut tally)?;
    tally.write(conn)?;
    Ok(changed)
}

/// Ends a message `failed` with its reason and code, if it may still fail; false if not.
pub fn fail(
    conn: &Connection,
    id: i64,
    code: Option<&str>,
    reason: &str,
    now: Timestamp,
) -> Result<bool> {
    let mut tally = Tally::default();
    let failed = change(
        conn,
        id,
        Status::Failed,
        code,
        Some(reason),
        now,
        &mut tally,
    )?;
    tally.write(conn)?;
    Ok(failed)
}

/// [`set_status`] for one of a batch, counted in the batch's `tally` (which the caller
/// writes); a failure takes `code` as its `error_code`.
pub fn change(
    conn: &Connection,
    id: i64,
    next: Status,
    code: Option<&str>,
    error: Option<&str>,
    now: Timestamp,
    tally: &mut Tally,
) -> Result<bool> {
    // One point read, then the update: an UPDATE … RETURNING costs SQLite a temporary table
    // per statement, on the path every sent message takes (docs/design.md).
    let found = conn
        .prepare_cached("SELECT status, broadcast_id FROM messages WHERE id = ?1")?
        .query_row([id], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?))
        })
        .optional()?;
    let Some((Some(from), broadcast)) = found.map(|(s, b)| (Status::from_code(s), b)) else {
        return Ok(false);
    };
    if !from.can_become(next) {
        return Ok(false);
    }
    conn.prepare_cached(&format!(
        "UPDATE messages SET status = ?2, error_message = coalesce(?3, error_message),
             error_code = CASE WHEN ?2 = {failed} THEN ?5 ELSE error_code END,
             sent_at = CASE WHEN ?2 = {sent} THEN ?4 ELSE sent_at END, updated_at = ?4
         WHERE id = ?1",
        failed = Status::Failed.code(),
        sent = Status::Sent.code()
    ))?
    .execute(params![id, next.code(), error, now, code])?;
    record_event(conn, id, next, now)?;
    if let Some(broadcast) = broadcast {
        tally.moved(broadcast, from, next, code, error, now);
    }
    Ok(true)
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
