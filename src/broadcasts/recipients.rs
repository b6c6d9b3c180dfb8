//! A broadcast's recipients, filtered and paged (`GET /v1/broadcasts/{id}/recipients`) or
//! written as CSV for any size: each with their contact, status, error and times. A page is
//! read status by status, each in contact order along `messages_by_broadcast`, so every page
//! costs the same however far in it is; the cursor says where the last one ended.

use crate::clock;
use crate::contacts::export::defused;
use crate::error::{Error, Result};
use crate::messages::model::Status;
use rusqlite::{Connection, params};
use serde_json::{Value, json};

/// What to list: messages in these statuses (all when empty), only those replied to, only
/// those failed with this code.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub statuses: Vec<Status>,
    pub replied: bool,
    pub error_code: Option<String>,
}

impl Filter {
    /// `status` (a log status, or `replied`) and `errorCode`, as the query gives them.
    pub fn parse(status: Option<&str>, error_code: Option<&str>) -> Result<Filter> {
        let mut filter = Filter {
            error_code: error_code
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_string),
            ..Filter::default()
        };
        match status.map(str::trim).unwrap_or_default() {
            "" => {}
            "replied" => filter.replied = true,
            name => {
                filter.statuses = Status::named(name);
                if filter.statuses.is_empty() || name == "received" {
                    return Err(Error::invalid(format!(
                        "status: expected one of queued, sent, delivered, read, failed, cancelled, replied; got {name:?}"
                    )));
                }
            }
        }
        if filter.error_code.as_ref().is_some_and(|c| c.len() > 64) {
            return Err(Error::invalid("errorCode: at most 64 characters"));
        }
        Ok(filter)
    }

    /// The statuses to walk, in order.
    fn walk(&self) -> Vec<Status> {
        let mut statuses = match (&self.statuses, self.replied, &self.error_code) {
            (_, true, _) => vec![Status::Sent, Status::Delivered, Status::Read],
            (s, _, Some(_)) if s.is_empty() => vec![Status::Failed],
            (s, _, _) if s.is_empty() => Status::ALL.to_vec(),
            (s, _, _) => s.clone(),
        };
        statuses.retain(|s| *s != Status::Received);
        statuses.sort_by_key(|s| s.code());
        statuses
    }
}

/// Where a page ends: the status it was in and the last contact of that status.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cursor {
    pub status: i64,
    pub contact: i64,
}

impl Cursor {
    /// `after` as the API gives it back (`status.contact`); none is the start.
    pub fn parse(after: Option<&str>) -> Result<Cursor> {
        let Some(after) = after.map(str::trim).filter(|a| !a.is_empty()) else {
            return Ok(Cursor::default());
        };
        let bad = || Error::invalid("after: the next cursor of a previous page, such as 6.1234");
        let (status, contact) = after.split_once('.').ok_or_else(bad)?;
        Ok(Cursor {
            status: status.parse().map_err(|_| bad())?,
            contact: contact.parse().map_err(|_| bad())?,
        })
    }

    pub fn show(self) -> String {
        format!("{}.{}", self.status, self.contact)
    }
}

/// One recipient as the API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipient {
    pub contact: i64,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub status: Status,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub queued_at: i64,
    pub sent_at: Option<i64>,
    pub updated_at: i64,
    pub replied_at: Option<i64>,
}

/// Up to `limit` recipients after `cursor`, and the cursor after them (none at the end).
pub fn page(
    conn: &Connection,
    broadcast: i64,
    filter: &Filter,
    cursor: Cursor,
    limit: usize,
) -> Result<(Vec<Recipient>, Option<Cursor>)> {
    let mut found = Vec::with_capacity(limit);
    let replied = if filter.replied {
        " AND m.replied_at IS NOT NULL"
    } else {
        ""
    };
    let coded = if filter.error_code.is_some() {
        " AND m.error_code = ?5"
    } else {
        " AND ?5 IS NULL"
    };
    let sql = format!(
        "SELECT m.contact_id, coalesce(c.name, trim(coalesce(c.first_name, '') || ' ' ||
                coalesce(c.last_name, ''))), c.phone, m.error_code, m.error_message,
                m.created_at, m.sent_at, m.updated_at, m.replied_at
         FROM messages m LEFT JOIN contacts c ON c.id = m.contact_id
         WHERE m.broadcast_id = ?1 AND m.status = ?2 AND m.contact_id > ?3{replied}{coded}
         ORDER BY m.contact_id LIMIT ?4"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    for status in filter.walk() {
        if status.code() < cursor.status {
            continue;
        }
        let after = if status.code() == cursor.status {
            cursor.contact
        } else {
            0
        };
        let want = (limit - found.len()) as i64;
        let rows = stmt.query_map(
            params![broadcast, status.code(), after, want, filter.error_code],
            |r| {
                Ok(Recipient {
                    contact: r.get(0)?,
                    name: r.get::<_, Option<String>>(1)?.filter(|n| !n.is_empty()),
                    phone: r.get(2)?,
                    status,
                    error_code: r.get(3)?,
                    error_message: r.get(4)?,
                    queued_at: r.get(5)?,
                    sent_at: r.get(6)?,
                    updated_at: r.get(7)?,
                    replied_at: r.get(8)?,
                })
            },
        )?;
        for row in rows {
            found.push(row?);
        }
        if found.len() == limit {
            let last = found.last().map_or(0, |r| r.contact);
            let next = Cursor {
                status: status.code(),
                contact: last,
            };
            return Ok((found, Some(next)));
        }
    }
    Ok((found, None))
}

impl Recipient {
    pub fn view(&self) -> Value {
        let time = |t: Option<i64>| t.map(clock::rfc3339);
        json!({
            "contactId": self.contact.to_string(),
            "name": self.name,
            "phoneNumber": self.phone,
            "status": self.status.as_str(),
            "errorCode": self.error_code,
            "errorMessage": self.error_message,
            "queuedAt": clock::rfc3339(self.queued_at),
            "sentAt": time(self.sent_at),
            "updatedAt": clock::rfc3339(self.updated_at),
            "repliedAt": time(self.replied_at),
        })
    }
}

/// The CSV's columns. `id` is the contact's, as a contacts export names it, so that the
/// file's ids can make a static segment (`POST /v1/segments/{id}/contacts` takes it).
pub const CSV_HEADER: &str =
    "id,name,phoneNumber,status,errorCode,errorMessage,queuedAt,sentAt,updatedAt,repliedAt\n";

/// Recipients as CSV rows; text from outside (names, the provider's words) defused as a
/// contacts export defuses it.
pub fn csv_rows(recipients: &[Recipient]) -> Vec<u8> {
    let mut out = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::with_capacity(recipients.len() * 96));
    let time = |t: Option<i64>| t.map(clock::rfc3339).unwrap_or_default();
    for r in recipients {
        let text = |t: &Option<String>| defused(t.as_deref().unwrap_or_default()).into_owned();
        out.write_record([
            r.contact.to_string(),
            text(&r.name),
            text(&r.phone),
            r.status.as_str().to_string(),
            text(&r.error_code),
            text(&r.error_message),
            clock::rfc3339(r.queued_at),
            time(r.sent_at),
            clock::rfc3339(r.updated_at),
            time(r.replied_at),
        ])
        .expect("writing to memory");
    }
    out.into_inner().expect("writing to memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_and_cursors_read_as_the_api_gives_them() {
        let f = Filter::parse(Some("failed"), Some("131026")).unwrap();
        assert_eq!(f.walk(), [Status::Failed]);
        assert_eq!(
            Filter::parse(None, Some("131049")).unwrap().walk(),
            [Status::Failed]
        );
        let queued = Filter::parse(Some("queued"), None).unwrap().walk();
        assert_eq!(queued, [Status::Queued, Status::Sending]);
        let replied = Filter::parse(Some("replied"), None).unwrap();
        assert!(replied.replied);
        assert_eq!(
            replied.walk(),
            [Status::Sent, Status::Delivered, Status::Read]
        );
        assert_eq!(Filter::parse(None, None).unwrap().walk().len(), 8);
        let err = Filter::parse(Some("received"), None).unwrap_err();
        assert!(err.message.starts_with("status: expected one of"));
        assert!(Filter::parse(Some("lost"), None).is_err());
        assert_eq!(
            Cursor::parse(Some("6.1234")).unwrap(),
            Cursor {
                status: 6,
                contact: 1234
            }
        );
        assert_eq!(Cursor::parse(None).unwrap(), Cursor::default());
        assert!(
            Cursor::parse(Some("12"))
                .unwrap_err()
                .message
                .starts_with("after:")
        );
    }

    #[test]
    fn csv_cells_from_outside_are_defused() {
        let r = Recipient {
            contact: 7,
            name: Some("=HYPERLINK(\"x\")".into()),
            phone: Some("+919876543210".into()),
            status: Status::Failed,
            error_code: Some("131026".into()),
            error_message: Some("Message, undeliverable".into()),
            queued_at: 0,
            sent_at: None,
            updated_at: 60,
            replied_at: None,
        };
        let text = String::from_utf8(csv_rows(&[r])).unwrap();
        assert_eq!(
            text,
            "7,\"'=HYPERLINK(\"\"x\"\")\",'+919876543210,failed,131026,\"Message, undeliverable\",\
             1970-01-01T00:00:00Z,,1970-01-01T00:01:00Z,\n"
        );
    }
}
