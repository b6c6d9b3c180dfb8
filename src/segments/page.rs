//! The member counts of a page of segments (`GET /v1/segments`): each exact at the read,
//! as [`member_count`](super::count::member_count) gives it, but the rules counted along
//! the narrow index are counted together, one scan (in two halves) per type for all of
//! them. Stepping through the index is much of such a count, and a page of twenty
//! segments then pays it once.

use super::count::{Quick, count_otherwise, quick};
use super::store::{Segment, ready};
use crate::clock::Timestamp;
use crate::contacts::model::PersonType;
use crate::contacts::scan::{Reads, SPLIT_IDS, Tally, tally_in_halves};
use crate::db::Pool;
use crate::error::Result;
use rusqlite::Connection;
use rusqlite::types::Value as Sql;

/// How many people are in each of `segments` now, or why that cannot be known (as
/// [`member_count`](super::count::member_count) answers for one).
pub fn member_counts(
    conn: &Connection,
    pool: &Pool,
    account_id: i64,
    segments: &[Segment],
    now: Timestamp,
) -> Result<Vec<std::result::Result<i64, String>>> {
    let mut counts = Vec::with_capacity(segments.len());
    // Scans still to run: (position in `counts`, type, condition and its parameters).
    let mut scans = Vec::new();
    for (at, segment) in segments.iter().enumerate() {
        let ready = match ready(conn, account_id, segment, now)? {
            Ok(ready) => ready,
            Err(problem) => {
                counts.push(Err(problem));
                continue;
            }
        };
        let kind = segment.kind;
        counts.push(Ok(
            match quick(conn, account_id, kind, &ready, now, true)? {
                Some(Quick::Counted(n)) => n,
                Some(Quick::Narrow(scan)) => {
                    scans.push((at, kind, scan));
                    0
                }
                None => count_otherwise(conn, Some(pool), account_id, kind, ready, now)?.members,
            },
        ));
    }
    for kind in [PersonType::Contact, PersonType::Client] {
        let of_kind: Vec<_> = scans.iter().filter(|(_, k, _)| *k == kind).collect();
        if of_kind.is_empty() {
            continue;
        }
        let aggregates: Vec<String> = of_kind
            .iter()
            .map(|(_, _, scan)| format!("count(*) FILTER (WHERE {})", scan.sql))
            .collect();
        let values: Vec<Sql> = of_kind
            .iter()
            .flat_map(|(_, _, scan)| scan.params.iter().cloned())
            .collect();
        let tally = Tally {
            counts: &aggregates,
            counts_params: &values,
            condition: "1",
            params: &[],
        };
        let (split, reads) = (SPLIT_IDS, Reads::Index);
        let sums = tally_in_halves(conn, pool, account_id, kind, &tally, split, reads)?;
        for ((at, _, _), n) in of_kind.iter().zip(sums) {
            counts[*at] = Ok(n);
        }
    }
    Ok(counts)
}
