//! Counts over one account's people of one type that read every one of them: in two
//! halves of their ids at once, the upper one by a second reader on its own thread, so
//! that each core of a small server scans half. Segment counts (`segments::count`) and
//! list totals (`contacts::list`) that have no quicker way take them.

use crate::contacts::model::PersonType;
use crate::db::Pool;
use crate::error::{Error, Result};
use rusqlite::types::Value as Sql;
use rusqlite::{Connection, params, params_from_iter};

/// A count spanning at least this many ids runs as two halves at once (see
/// [`count_in_halves`]).
pub const SPLIT_IDS: i64 = 100_000;

/// The plan SQLite takes for a count that reads every person of the account through the
/// narrow index, looking up each one's row: such a count takes two halves at once as well.
/// Any other plan (a range of the phone index, a tag's people, a subquery) is left as it is.
pub const EVERY_PERSON: &str =
    "SEARCH c USING INDEX contacts_by_attributes (account_id=? AND type=?)";

/// Whether SQLite would count `sql` by reading every person's row ([`EVERY_PERSON`]).
pub fn reads_every_person(conn: &Connection, sql: &str, values: &[Sql]) -> Result<bool> {
    let mut plan = conn.prepare_cached(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let steps = plan
        .query_map(params_from_iter(values), |r| r.get::<_, String>(3))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(matches!(steps.as_slice(), [only] if only == EVERY_PERSON))
}

/// Everyone of `kind` meeting `condition` (with `params`): in two halves along the rows
/// when SQLite would read every person's row and `spare` lends a second reader, else by
/// SQLite's own plan.
pub fn count_where(
    conn: &Connection,
    spare: Option<&Pool>,
    account_id: i64,
    kind: PersonType,
    condition: &str,
    params: &[Sql],
) -> Result<i64> {
    let sql = format!(
        "SELECT count(*) FROM contacts c WHERE c.account_id = ? AND c.type = ? AND {condition}"
    );
    let mut values = vec![Sql::Integer(account_id), Sql::Integer(kind.code())];
    values.extend_from_slice(params);
    if let Some(pool) = spare
        && reads_every_person(conn, &sql, &values)?
    {
        let (split, reads) = (SPLIT_IDS, Reads::Rows);
        return count_in_halves(
            conn, pool, account_id, kind, condition, params, split, reads,
        );
    }
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params_from_iter(values), |r| r.get(0))?)
}

/// What a count's condition reads of each person.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Reads {
    /// Only columns the narrow index carries.
    Index,
    /// Columns of the person's row the index lacks.
    Rows,
}

/// Everyone of `kind` meeting `condition`, counted along the narrow index, or, when the
/// condition reads rows and the people fill their span of ids (see [`fill_their_span`]),
/// along the table's rows in that span. A span of at least `split` ids ([`SPLIT_IDS`]) is
/// counted as two halves read at once, the upper one by a second reader from `pool` on
/// its own thread, when one is free: each core of a small server then scans half (see
/// BENCHMARKS.md, "Segment counts"). The halves read two snapshots, so a write committed
/// between their starts may be counted in one half only.
#[allow(clippy::too_many_arguments)]
pub fn count_in_halves(
    conn: &Connection,
    pool: &Pool,
    account_id: i64,
    kind: PersonType,
    condition: &str,
    params: &[Sql],
    split: i64,
    reads: Reads,
) -> Result<i64> {
    let tally = Tally {
        counts: &["count(*)".to_string()],
        counts_params: &[],
        condition,
        params,
    };
    let counts = tally_in_halves(conn, pool, account_id, kind, &tally, split, reads)?;
    Ok(counts[0])
}

/// What a scan of one account's people of one type counts: each of `counts` (SQL
/// aggregates, whose parameters are `counts_params` in order) over those meeting
/// `condition` (with `params`).
pub struct Tally<'a> {
    pub counts: &'a [String],
    pub counts_params: &'a [Sql],
    pub condition: &'a str,
    pub params: &'a [Sql],
}

/// [`count_in_halves`] for a [`Tally`] of several counts, each summed over the halves.
pub fn tally_in_halves(
    conn: &Connection,
    pool: &Pool,
    account_id: i64,
    kind: PersonType,
    tally: &Tally,
    split: i64,
    reads: Reads,
) -> Result<Vec<i64>> {
    // Apart, min and max are one descent of the index each; together, a scan of it.
    let (lo, hi): (Option<i64>, Option<i64>) = conn
        .prepare_cached(
            "SELECT (SELECT min(id) FROM contacts WHERE account_id = ?1 AND type = ?2),
                    (SELECT max(id) FROM contacts WHERE account_id = ?1 AND type = ?2)",
        )?
        .query_row(params![account_id, kind.code()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let (Some(lo), Some(hi)) = (lo, hi) else {
        return Ok(vec![0; tally.counts.len()]);
    };
    // A row looked up from the index costs a descent of the table; rows read in id order
    // do not, so a span holding few rows of others is quicker read whole.
    let along = match reads {
        Reads::Rows if fill_their_span(conn, account_id, kind, lo, hi)? => "NOT INDEXED",
        _ => "INDEXED BY contacts_by_attributes",
    };
    let sql = span_count_sql(along, &tally.counts.join(", "), tally.condition);
    let run = |conn: &Connection, from: i64, to: i64| -> Result<Vec<i64>> {
        let mut values = tally.counts_params.to_vec();
        values.extend([
            Sql::Integer(account_id),
            Sql::Integer(kind.code()),
            Sql::Integer(from),
            Sql::Integer(to),
        ]);
        values.extend_from_slice(tally.params);
        Ok(conn
            .prepare_cached(&sql)?
            .query_row(params_from_iter(values), |r| {
                (0..tally.counts.len()).map(|i| r.get(i)).collect()
            })?)
    };
    let second = if hi - lo >= split {
        pool.try_get()
    } else {
        None
    };
    let Some(second) = second else {
        return run(conn, lo, hi);
    };
    let mid = lo + (hi - lo) / 2;
    std::thread::scope(|s| {
        let upper = s.spawn(move || run(&second, mid + 1, hi));
        let lower = run(conn, lo, mid);
        let upper = (upper.join()).map_err(|_| Error::internal("a count's upper half panicked"))?;
        Ok(lower?.iter().zip(upper?).map(|(a, b)| a + b).collect())
    })
}

/// `counts` (SQL aggregates) over the people of one account and type, from one id to
/// another, meeting `condition`, read `along` the narrow index or the rows.
pub fn span_count_sql(along: &str, counts: &str, condition: &str) -> String {
    format!(
        "SELECT {counts} FROM contacts c {along}
         WHERE c.account_id = ? AND c.type = ? AND c.id BETWEEN ? AND ? AND {condition}"
    )
}

/// Whether the account's people of `kind` are at least four fifths of the ids from `lo` to
/// `hi` (their first and last). They are counted from below, so a sparse span is never
/// taken for a full one: those with a stage or a gender (summed from the people per stage
/// and gender), or, when the account has nobody of the other kind, all its people (its
/// usage). Only the speed of a count depends on the answer, never the count.
pub fn fill_their_span(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    lo: i64,
    hi: i64,
) -> Result<bool> {
    let at_least: i64 = conn
        .prepare_cached(
            "SELECT max(
                 (SELECT coalesce(sum(n), 0) FROM stage_gender_counts
                  WHERE account_id = ?1 AND type = ?2),
                 CASE WHEN EXISTS (SELECT 1 FROM contacts WHERE account_id = ?1 AND type = 1 - ?2)
                      THEN 0
                      ELSE (SELECT coalesce(sum(people), 0) FROM account_usage WHERE account_id = ?1)
                 END)",
        )?
        .query_row(params![account_id, kind.code()], |r| r.get(0))?;
    Ok(at_least * 5 >= (hi - lo + 1) * 4)
}
