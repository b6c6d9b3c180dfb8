//! The tag links of an import batch, and what they change beside `contact_tags`: the
//! people's `tag_names` and the tags' counts.

use super::by_name;
use crate::contacts::model::{PersonChanges, PersonType};
use crate::contacts::tags::{Tag, copy_names, count_links, names_json, tag};
use crate::error::Result;
use rusqlite::Connection;
use std::collections::{HashMap, HashSet};

/// Tag links of a batch, written together at its end: sorted and many to a statement, so
/// SQLite appends to its B-trees instead of descending them from the root for each link.
/// A person the batch inserts gets its `tag_names` and `tag_bits` with its row; the others'
/// are copied from their links once these are written.
#[derive(Default)]
pub(super) struct TagLinks {
    /// Tags by name as spelled, and lowercased.
    ids: HashMap<String, Tag>,
    links: Vec<(i64, i64)>,
    /// People whose `tag_names` must be copied from their links.
    stale: Vec<i64>,
    /// People this batch created: none of their links can exist yet.
    created: HashSet<i64>,
}

/// Whose tags [`TagLinks::add`] queues.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Whose {
    /// A person inserted with its `tag_names` and `tag_bits` ([`TagLinks::names_json`]).
    Fresh,
    /// A person created one by one: its names are copied once the links are written.
    Created,
    /// Someone stored before: the links may exist already, and its names are copied.
    Updated,
}

impl TagLinks {
    const PER_STATEMENT: usize = 500;

    /// The tag of that name, making it if new to the account.
    pub(super) fn tag(&mut self, conn: &Connection, account_id: i64, name: &str) -> Result<i64> {
        if let Some(tag) = by_name(&self.ids, name) {
            return Ok(tag.id);
        }
        let tag = tag(conn, account_id, name)?;
        let id = tag.id;
        self.ids.insert(name.to_lowercase(), tag.clone());
        self.ids.insert(name.to_owned(), tag);
        Ok(id)
    }

    /// The `tag_names` and `tag_bits` of a new person with the row's tags, `None` without.
    pub(super) fn names_json(
        &mut self,
        conn: &Connection,
        account_id: i64,
        changes: &PersonChanges,
    ) -> Result<Option<(String, i64)>> {
        let Some(names) = changes.tags.as_ref().filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        for name in names {
            self.tag(conn, account_id, name)?;
        }
        let tags: Vec<&Tag> = names.iter().filter_map(|n| by_name(&self.ids, n)).collect();
        let bits = tags.iter().fold(0, |bits, t| bits | t.mask);
        let names = names_json(tags.iter().map(|t| t.name.as_str()).collect());
        Ok(Some((names, bits)))
    }

    /// Queues links from person `id` to the tags a row names, making tags new to the account.
    pub(super) fn add(
        &mut self,
        conn: &Connection,
        account_id: i64,
        id: i64,
        changes: &PersonChanges,
        whose: Whose,
    ) -> Result<()> {
        for name in changes.tags.iter().flatten() {
            let tag = self.tag(conn, account_id, name)?;
            self.links.push((id, tag));
        }
        if whose != Whose::Updated {
            self.created.insert(id);
        }
        if whose != Whose::Fresh && changes.tags.as_ref().is_some_and(|t| !t.is_empty()) {
            self.stale.push(id);
        }
        Ok(())
    }

    pub(super) fn write(mut self, conn: &Connection, kind: PersonType) -> Result<()> {
        self.links.sort_unstable();
        self.links.dedup();
        let (new, old): (Vec<_>, Vec<_>) =
            (self.links.iter()).partition(|(contact, _)| self.created.contains(contact));
        let mut added: HashMap<i64, i64> = HashMap::new();
        for (_, tag) in &new {
            *added.entry(*tag).or_default() += 1;
        }
        Self::insert(conn, kind, &new, None)?;
        Self::insert(conn, kind, &old, Some(&mut added))?;
        for (tag, n) in added {
            count_links(conn, kind, tag, n)?;
        }
        self.stale.sort_unstable();
        self.stale.dedup();
        copy_names(conn, self.stale)
    }

    /// Inserts links, skipping those stored already; with `added`, counts the others by
    /// tag (`RETURNING` names only the rows it inserted).
    fn insert(
        conn: &Connection,
        kind: PersonType,
        links: &[(i64, i64)],
        mut added: Option<&mut HashMap<i64, i64>>,
    ) -> Result<()> {
        for chunk in links.chunks(Self::PER_STATEMENT) {
            let one = format!("(?, ?, {})", kind.code());
            let values = vec![one.as_str(); chunk.len()].join(", ");
            let returning = if added.is_some() {
                " RETURNING tag_id"
            } else {
                ""
            };
            let sql = format!(
                "INSERT OR IGNORE INTO contact_tags (contact_id, tag_id, type) VALUES {values}{returning}"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            for (i, (contact, tag)) in chunk.iter().enumerate() {
                stmt.raw_bind_parameter(2 * i + 1, contact)?;
                stmt.raw_bind_parameter(2 * i + 2, tag)?;
            }
            match added.as_deref_mut() {
                None => {
                    stmt.raw_execute()?;
                }
                Some(added) => {
                    let mut rows = stmt.raw_query();
                    while let Some(row) = rows.next()? {
                        *added.entry(row.get(0)?).or_default() += 1;
                    }
                }
            }
        }
        Ok(())
    }
}
