//! Broadcasts and their template's approval: a WhatsApp broadcast starts and resumes only
//! with an `APPROVED` template, and one whose template turns `PAUSED`, `DISABLED` or
//! `REJECTED` pauses with that reason until someone resumes it by hand.

use crate::clock::Timestamp;
use crate::error::Result;
use crate::templates::approval::Status as Approval;
use rusqlite::{Connection, params};

/// Pauses the account's scheduled and running broadcasts that send template
/// `(name, language)`, saying why; how many it paused.
pub fn pause_for_template(
    conn: &Connection,
    account_id: i64,
    name: &str,
    language: &str,
    status: Approval,
    reason: Option<&str>,
    now: Timestamp,
) -> Result<usize> {
    let why = match reason {
        Some(reason) => format!(
            "template {name} ({language}) is {}: {reason}",
            status.as_str()
        ),
        None => format!("template {name} ({language}) is {}", status.as_str()),
    };
    // A stored request that no longer reads is not this template's: json_valid keeps
    // ->> from failing the whole statement over it.
    Ok(conn
        .prepare_cached(
            "UPDATE broadcasts SET status = 2, paused_reason = ?4, updated_at = ?5
             WHERE account_id = ?1 AND status IN (0, 1) AND channel = 'whatsapp'
               AND json_valid(request) AND request ->> '$.template.name' = ?2
               AND request ->> '$.template.language' = ?3",
        )?
        .execute(params![account_id, name, language, why, now])?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::prepare_schema;

    #[test]
    fn only_live_broadcasts_of_that_template_pause() {
        let mut conn = Connection::open_in_memory().unwrap();
        prepare_schema(&mut conn).unwrap();
        let t = |name: &str| format!(r#"{{"template": {{"name": "{name}", "language": "en"}}}}"#);
        conn.execute_batch(
            "INSERT INTO accounts (id, email, password_hash, plan, created_at)
                 VALUES (1, 'a@x.test', 'x', 'trial', 0), (2, 'b@x.test', 'x', 'trial', 0);",
        )
        .unwrap();
        for (id, account, status, request) in [
            (1, 1, 1, t("promo")),
            (2, 1, 0, t("promo")),
            (3, 1, 3, t("promo")),
            (4, 1, 1, t("other")),
            (5, 2, 1, t("promo")),
            (6, 1, 1, "not json".to_string()),
        ] {
            conn.execute(
                "INSERT INTO broadcasts (id, account_id, name, segment_id, person_type, channel,
                     request, status, created_at, updated_at)
                 VALUES (?1, ?2, 'b', 1, 0, 'whatsapp', ?3, ?4, 0, 0)",
                params![id, account, request, status],
            )
            .unwrap();
        }
        let paused = pause_for_template(
            &conn,
            1,
            "promo",
            "en",
            Approval::Paused,
            Some("low quality"),
            9,
        );
        assert_eq!(paused.unwrap(), 2);
        let statuses: Vec<(i64, Option<String>)> = conn
            .prepare("SELECT status, paused_reason FROM broadcasts ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let why = Some("template promo (en) is PAUSED: low quality".to_string());
        assert_eq!(
            statuses,
            [
                (2, why.clone()),
                (2, why),
                (3, None),
                (1, None),
                (1, None),
                (1, None)
            ]
        );
    }
}
