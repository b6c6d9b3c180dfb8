//! A broadcast's report (`GET /v1/broadcasts/{id}/report`): its audience, its funnel and
//! rates, its failures by code, its cost by pricing category and its timeline, made from
//! the counters its messages keep as they move (`messages::tally`). No SQL, no HTTP.

use super::store::Broadcast;
use crate::clock::{self, Timestamp};
use crate::messages::tally::{BILLABLE, ERROR, MESSAGES, PRICING, REPLIED};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// The timeline covers the first day from the broadcast's start.
pub const TIMELINE_MINUTES: i64 = 24 * 60;

/// One of a broadcast's counters: its metric, count, and (for an error code) sample words.
#[derive(Debug, Clone, PartialEq)]
pub struct Counter {
    pub metric: String,
    pub n: i64,
    pub sample: Option<String>,
}

/// The messages that reached sent, delivered and read in one minute (unix minute).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Minute {
    pub minute: i64,
    pub sent: i64,
    pub delivered: i64,
    pub read: i64,
}

/// The minutes (unix minute, both ends in) of the broadcast's timeline, once it started.
pub fn timeline_span(b: &Broadcast) -> Option<(i64, i64)> {
    let first = b.started_at?.div_euclid(60);
    Some((first, first + TIMELINE_MINUTES - 1))
}

/// `part / whole`, to four places; `null` when there is no whole.
fn rate(part: i64, whole: i64) -> Value {
    if whole <= 0 {
        return Value::Null;
    }
    json!(((part as f64 / whole as f64) * 10_000.0).round() / 10_000.0)
}

/// The report, as the API shows it.
pub fn render(b: &Broadcast, counters: &[Counter], minutes: &[Minute], window: i64) -> Value {
    let by: HashMap<&str, &Counter> = counters.iter().map(|c| (c.metric.as_str(), c)).collect();
    let n = |metric: &str| by.get(metric).map_or(0, |c| c.n);
    let (messages, sent, delivered, read) = (n(MESSAGES), n("sent"), n("delivered"), n("read"));
    let (failed, cancelled, replied) = (n("failed"), n("cancelled"), n(REPLIED));
    let mut failures: Vec<&Counter> = counters
        .iter()
        .filter(|c| c.metric.starts_with(ERROR))
        .collect();
    failures.sort_by(|a, b| b.n.cmp(&a.n).then(a.metric.cmp(&b.metric)));
    let mut categories = Map::new();
    for c in counters.iter().filter(|c| c.metric.starts_with(PRICING)) {
        categories.insert(c.metric[PRICING.len()..].to_string(), json!(c.n));
    }
    let skipped = b.skipped_opted_out + b.skipped_unreachable;
    let time = |t: Option<Timestamp>| t.map(clock::rfc3339);
    json!({
        "broadcast": {
            "id": b.id.to_string(),
            "name": b.name,
            "status": b.status.as_str(),
            "startedAt": time(b.started_at),
            "completedAt": time(b.completed_at),
        },
        "audience": {
            "members": messages + skipped,
            "skipped": {"optedOut": b.skipped_opted_out, "unreachable": b.skipped_unreachable},
            "messages": messages,
        },
        "funnel": {
            "queued": messages,
            "pending": (messages - sent - failed - cancelled).max(0),
            "sent": sent,
            "delivered": delivered,
            "read": read,
            "replied": replied,
            "failed": failed,
            "cancelled": cancelled,
            "deliveryRate": rate(delivered, sent),
            "readRate": rate(read, delivered),
            "replyRate": rate(replied, delivered),
        },
        "failures": failures.iter().map(|c| json!({
            "errorCode": &c.metric[ERROR.len()..],
            "errorMessage": c.sample,
            "count": c.n,
        })).collect::<Vec<_>>(),
        "cost": {"byCategory": categories, "billable": n(BILLABLE)},
        "timeline": minutes.iter().map(|m| json!({
            "minute": clock::rfc3339(m.minute * 60),
            "sent": m.sent,
            "delivered": m.delivered,
            "read": m.read,
        })).collect::<Vec<_>>(),
        "replyWindowHours": window / 3600,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broadcasts::model::Status;

    fn broadcast() -> Broadcast {
        Broadcast {
            id: 7,
            name: "Diwali".into(),
            segment_id: 1,
            channel: "whatsapp".into(),
            request: None,
            status: Status::Running,
            skipped_opted_out: 2,
            skipped_unreachable: 1,
            scheduled_at: None,
            started_at: Some(1_800_000_030),
            completed_at: None,
            created_at: 1_800_000_000,
            paused_reason: None,
        }
    }

    fn counter(metric: &str, n: i64, sample: Option<&str>) -> Counter {
        Counter {
            metric: metric.into(),
            n,
            sample: sample.map(str::to_string),
        }
    }

    #[test]
    fn the_report_reads_its_counters_exactly() {
        let counters = [
            counter("messages", 10, None),
            counter("sent", 8, None),
            counter("delivered", 6, None),
            counter("read", 3, None),
            counter("replied", 2, None),
            counter("failed", 2, None),
            counter("error:131026", 1, Some("Message undeliverable")),
            counter("error:131049", 1, Some("healthy ecosystem")),
            counter("pricing:marketing", 5, None),
            counter("pricing:utility", 1, None),
            counter("billable", 5, None),
        ];
        let minutes = [Minute {
            minute: 30_000_000,
            sent: 8,
            delivered: 6,
            read: 3,
        }];
        let r = render(&broadcast(), &counters, &minutes, 72 * 3600);
        assert_eq!(
            r["audience"],
            json!({"members": 13, "skipped": {"optedOut": 2, "unreachable": 1}, "messages": 10})
        );
        assert_eq!(
            r["funnel"],
            json!({"queued": 10, "pending": 0, "sent": 8, "delivered": 6, "read": 3, "replied": 2,
                   "failed": 2, "cancelled": 0, "deliveryRate": 0.75, "readRate": 0.5,
                   "replyRate": 0.3333})
        );
        assert_eq!(
            r["failures"],
            json!([{"errorCode": "131026", "errorMessage": "Message undeliverable", "count": 1},
                   {"errorCode": "131049", "errorMessage": "healthy ecosystem", "count": 1}])
        );
        assert_eq!(
            r["cost"],
            json!({"byCategory": {"marketing": 5, "utility": 1}, "billable": 5})
        );
        assert_eq!(r["timeline"][0]["minute"], "2027-01-15T08:00:00Z");
        assert_eq!(r["replyWindowHours"], 72);
    }

    #[test]
    fn a_broadcast_with_nothing_sent_has_no_rates_and_no_timeline() {
        let mut b = broadcast();
        b.started_at = None;
        let r = render(&b, &[], &[], 3600);
        assert_eq!(r["funnel"]["deliveryRate"], Value::Null);
        assert_eq!(r["funnel"]["queued"], 0);
        assert_eq!(timeline_span(&b), None);
        assert_eq!(
            timeline_span(&broadcast()),
            Some((30_000_000, 30_000_000 + 1439))
        );
    }
}
