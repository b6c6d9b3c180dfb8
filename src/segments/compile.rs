//! Compiling a segment rule to an SQL condition over `contacts c`.
//!
//! Safety: an attribute name only ever selects one of a fixed set of columns (built-in
//! fields, or the value column `a{slot}` the account's attribute owns); every value is a
//! bound parameter. No input text reaches the SQL. The rule's values are typed already
//! ([`super::rules`]); what is checked here is what only the account knows: the kind of
//! each custom attribute. Pure: no connection, no HTTP.

use super::rules::{
    Attribute, Builtin, Condition, FieldKind, Group, Logic, Node, Number, Op, Operand, Rule,
    Scalar, bad, bool_value, number_value, text_value,
};
use crate::clock::{SECONDS_PER_DAY, Timestamp, date_of};
use crate::contacts::model::{AttrKey, AttrKind};
use crate::error::Error;
use rusqlite::types::Value as Sql;
use serde_json::Value;
use time::Date;

/// A compiled rule: a condition over `contacts c`, with its parameters in order (`?`).
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    pub sql: String,
    pub params: Vec<Sql>,
}

/// Where a condition's attribute lives for this account.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Field {
    Builtin(Builtin),
    /// A custom attribute's value column, with its kind.
    Slot(usize, AttrKind),
    /// A custom attribute the account never used: nobody has it.
    Nobody,
}

fn field(attribute: &Attribute, keys: &[AttrKey]) -> Field {
    match attribute {
        Attribute::Builtin(b) => Field::Builtin(*b),
        Attribute::Custom(name) => keys
            .iter()
            .find(|k| k.name.eq_ignore_ascii_case(name))
            .map_or(Field::Nobody, |k| Field::Slot(k.slot, k.kind)),
    }
}

/// The column holding a built-in field (tags have none).
fn builtin_column(b: Builtin) -> &'static str {
    match b {
        Builtin::Name => "c.name",
        Builtin::FirstName => "c.first_name",
        Builtin::LastName => "c.last_name",
        Builtin::PhoneNumber => "c.phone",
        Builtin::Email => "c.email",
        Builtin::ExternalId => "c.external_id",
        Builtin::Gender => "c.gender",
        Builtin::ContactStage => "c.contact_stage",
        Builtin::Channel => "c.channel",
        Builtin::LocationId => "c.location_id",
        Builtin::Age | Builtin::BirthDate => "c.birth_date",
        Builtin::CreatedAt => "c.created_at",
        Builtin::LastActivityAt => "c.last_activity_at",
        Builtin::OptedOut => "c.opted_out",
        Builtin::Tags => "NULL",
    }
}

/// "Has a value": for text, an empty string counts as none.
fn present(text: bool, column: &str) -> String {
    if text {
        format!("({column} IS NOT NULL AND {column} <> '')")
    } else {
        format!("({column} IS NOT NULL)")
    }
}

/// Compiles `rule` for an account whose custom attributes are `keys`, at time `now`.
/// `account_id` scopes the tag subqueries.
pub fn compile(
    rule: &Rule,
    keys: &[AttrKey],
    account_id: i64,
    now: Timestamp,
) -> Result<Compiled, Error> {
    compile_with(rule, keys, account_id, now, Purpose::Walk)
}

/// [`compile`], for a count: a phone prefix the whole rule needs gathers its range's ids
/// first, so its people are looked up in id order. Not for a walk of the members in id
/// order (a fan-out, a page of members): each step of it would gather every id again.
pub fn compile_for_count(
    rule: &Rule,
    keys: &[AttrKey],
    account_id: i64,
    now: Timestamp,
) -> Result<Compiled, Error> {
    compile_with(rule, keys, account_id, now, Purpose::Count)
}

/// [`compile`], for a scan of the narrow index ([`only_narrow_columns`]): a tag condition
/// then tests the person's tag bits (a probe of the tag's people for a tag without one),
/// never a lookup of each tagged person (which would read the index once per tagged
/// person, whatever the range scanned).
pub fn compile_for_scan(
    rule: &Rule,
    keys: &[AttrKey],
    account_id: i64,
    now: Timestamp,
) -> Result<Compiled, Error> {
    compile_with(rule, keys, account_id, now, Purpose::Scan)
}

/// What a rule is compiled for: the SQL differs where the best plan does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// A walk of the members in id order (a fan-out's steps, a page of members), and the
    /// condition stored with the segment.
    Walk,
    /// A count ([`compile_for_count`]).
    Count,
    /// A scan of the narrow index ([`compile_for_scan`]).
    Scan,
}

fn compile_with(
    rule: &Rule,
    keys: &[AttrKey],
    account_id: i64,
    now: Timestamp,
    purpose: Purpose,
) -> Result<Compiled, Error> {
    let mut out = Compiler {
        params: Vec::new(),
        keys,
        account_id,
        now,
        purpose,
        conjunct: rule.group_logic == Logic::And || rule.groups.len() == 1,
    };
    let mut groups: Vec<&Group> = rule.groups.iter().collect();
    if purpose == Purpose::Scan {
        groups.sort_by_key(|g| g.items.iter().any(reads_tags));
    }
    let parts = groups
        .into_iter()
        .map(|g| out.group(g))
        .collect::<Result<Vec<_>, _>>()?;
    let sql = join(parts, rule.group_logic);
    Ok(Compiled {
        sql,
        params: out.params,
    })
}

/// The tag names of a rule that is exactly one "has any of these tags" condition: such a
/// rule can be counted from the tag index alone. `None` for every other rule.
pub fn only_tags(rule: &Rule) -> Option<Vec<String>> {
    let [group] = rule.groups.as_slice() else {
        return None;
    };
    let [Node::Condition(c)] = group.items.as_slice() else {
        return None;
    };
    let any_of = matches!(c.op, Op::Has | Op::Eq | Op::Contains | Op::In);
    match (&c.attribute, &c.value) {
        (Attribute::Builtin(Builtin::Tags), Operand::Texts(names)) if any_of => Some(names.clone()),
        _ => None,
    }
}

/// Whether a condition, or any condition of a group, reads the tags.
fn reads_tags(node: &Node) -> bool {
    match node {
        Node::Condition(c) => matches!(c.attribute, Attribute::Builtin(Builtin::Tags)),
        Node::Group(g) => g.items.iter().any(reads_tags),
    }
}

/// Whether `rule` has conditions and every one of them, at any depth and with any logic,
/// meets `test`.
fn every_condition(rule: &Rule, test: &impl Fn(&Condition) -> bool) -> bool {
    fn group(g: &Group, test: &impl Fn(&Condition) -> bool) -> bool {
        !g.items.is_empty()
            && g.items.iter().all(|item| match item {
                Node::Condition(c) => test(c),
                Node::Group(g) => group(g, test),
            })
    }
    !rule.groups.is_empty() && rule.groups.iter().all(|g| group(g, test))
}

/// Whether every condition of `rule` (at any depth, with any logic) compares the birth
/// date, `age` or `birthDate`, in a way nobody without one meets. Such a rule holds alike
/// for everyone born on one day, so it can be counted from the people per day
/// (`birth_date_counts`, aliased `c`: its compiled SQL reads `c.birth_date` alone).
pub fn only_birth_dates(rule: &Rule) -> bool {
    every_condition(rule, &|c| {
        // Negative operators also match people lacking the date (docs/api.md#segments): not
        // these.
        let positive = matches!(
            c.op,
            Op::Eq
                | Op::Gt
                | Op::Ge
                | Op::Lt
                | Op::Le
                | Op::Before
                | Op::After
                | Op::WithinLastDays
                | Op::Exists
        );
        positive
            && matches!(
                c.attribute,
                Attribute::Builtin(Builtin::Age | Builtin::BirthDate)
            )
    })
}

/// The value slots `contacts_by_attributes` carries beside the built-in fields
/// [`only_narrow_columns`] names (schema.sql).
pub const NARROW_SLOTS: usize = 8;

/// Whether every condition of `rule` (at any depth, with any logic) reads a column of the
/// narrow index: the stage, the gender, the birth date (or age), the last activity, the
/// creation time, the opt-out, a custom attribute among the first [`NARROW_SLOTS`], or
/// the tags (a tag condition asks the tag links only for the person's id, which every
/// index carries). Such a rule is counted from that index and the tag links alone, and any
/// range of ids from them.
pub fn only_narrow_columns(rule: &Rule, keys: &[AttrKey]) -> bool {
    every_condition(rule, &|c| match &c.attribute {
        Attribute::Builtin(b) => matches!(
            b,
            Builtin::ContactStage
                | Builtin::Gender
                | Builtin::Age
                | Builtin::BirthDate
                | Builtin::LastActivityAt
                | Builtin::CreatedAt
                | Builtin::OptedOut
                | Builtin::Tags
        ),
        _ => matches!(field(&c.attribute, keys), Field::Slot(slot, _) if slot <= NARROW_SLOTS),
    })
}

/// Whether every condition of `rule` (at any depth, with any logic) reads the stage or
/// the gender: such a rule holds alike for everyone with one stage and gender, so it can
/// be summed from `stage_gender_counts` (when nobody with neither set matches it).
pub fn only_stage_and_gender(rule: &Rule) -> bool {
    every_condition(rule, &|c| {
        matches!(
            c.attribute,
            Attribute::Builtin(Builtin::Gender | Builtin::ContactStage)
        )
    })
}

fn join(parts: Vec<String>, logic: Logic) -> String {
    let glue = match logic {
        Logic::And => " AND ",
        Logic::Or => " OR ",
    };
    format!("({})", parts.join(glue))
}

struct Compiler<'a> {
    params: Vec<Sql>,
    keys: &'a [AttrKey],
    account_id: i64,
    now: Timestamp,
    /// For a scan, tag conditions test the person's tag bits ([`Self::tags_by_bits`]); for
    /// a count, a phone prefix gathers its ids first where `conjunct`.
    purpose: Purpose,
    /// Whether the condition being compiled must hold for the whole rule to (every group
    /// around it joins with AND): only then may it drive the count's plan.
    conjunct: bool,
}

impl Compiler<'_> {
    fn group(&mut self, group: &Group) -> Result<String, Error> {
        let mut items: Vec<&Node> = group.items.iter().collect();
        if self.purpose == Purpose::Scan {
            // AND and OR stop at the first answer, and SQLite tests terms in the order
            // written: the column tests go first, then the tags' (a probe of the links for
            // a tag without a bit) for who is left.
            items.sort_by_key(|item| reads_tags(item));
        }
        let around = self.conjunct;
        self.conjunct = around && (group.logic == Logic::And || items.len() == 1);
        let parts = items
            .into_iter()
            .map(|item| match item {
                Node::Condition(c) => self.condition(c),
                Node::Group(g) => self.group(g),
            })
            .collect::<Result<Vec<_>, _>>();
        self.conjunct = around;
        Ok(join(parts?, group.logic))
    }

    /// Binds a value and returns its placeholder.
    fn bind(&mut self, value: Sql) -> &'static str {
        self.params.push(value);
        "?"
    }

    fn binds(&mut self, values: Vec<Sql>) -> String {
        let n = values.len();
        self.params.extend(values);
        vec!["?"; n].join(", ")
    }

    fn condition(&mut self, c: &Condition) -> Result<String, Error> {
        let field = field(&c.attribute, self.keys);
        let (column, text) = match field {
            Field::Nobody => {
                return Ok(match c.op {
                    Op::Ne | Op::NotContains | Op::NotIn | Op::NotExists | Op::HasNone => {
                        "1".into()
                    }
                    _ => "0".into(),
                });
            }
            Field::Builtin(Builtin::Tags) => return self.tags(c),
            Field::Builtin(b) => (
                builtin_column(b),
                matches!(b.kind(), FieldKind::Text | FieldKind::Gender),
            ),
            Field::Slot(slot, kind) => (slot_column(slot), kind == AttrKind::String),
        };
        match c.op {
            Op::Exists => Ok(present(text, column)),
            Op::NotExists => Ok(format!("NOT {}", present(text, column))),
            // docs/api.md#segments: negative operators also match people lacking the
            // attribute.
            op if op.is_negative() => {
                let test = self.positive(field, column, op.positive(), c)?;
                Ok(format!("({column} IS NULL OR NOT ({test}))"))
            }
            op => self.positive(field, column, op, c),
        }
    }

    /// A positive test of `op` on a field with a column.
    fn positive(
        &mut self,
        field: Field,
        column: &str,
        op: Op,
        c: &Condition,
    ) -> Result<String, Error> {
        let place = format!("{}.value", c.place);
        let unsupported = || {
            bad(
                &format!("{}.operator", c.place),
                format!("{:?} does not apply to {}", c.op, c.attribute.name()),
            )
        };
        let value = match field {
            Field::Slot(_, kind) => self.custom_value(kind, op, &c.value, &place, unsupported)?,
            _ => c.value.clone(),
        };
        Ok(match (op, value) {
            (Op::Eq, Operand::Text(s)) => {
                format!("{column} = {} COLLATE NOCASE", self.bind(Sql::Text(s)))
            }
            // Phones are E.164 ('+' and digits, no case): a prefix of those is also a
            // range of contacts_by_phone, which a count or a fan-out then reads instead of
            // every row. For a count, when the whole rule needs the prefix, the range's
            // ids are gathered first (SQLite sorts them) and the people looked up in id
            // order: in phone order each lookup would land anywhere in the table. Under an
            // OR every person is read anyway, and testing the phone beats probing a list.
            // The LIKE stays, so the answer is the same either way.
            (Op::StartsWith, Operand::Text(s))
                if field == Field::Builtin(Builtin::PhoneNumber)
                    && !s.is_empty()
                    && s.bytes().all(|b| b == b'+' || b.is_ascii_digit()) =>
            {
                let mut upper = s.clone().into_bytes();
                *upper.last_mut().expect("not empty") += 1;
                let upper = String::from_utf8(upper).expect("ASCII");
                let like = crate::contacts::store::escape_like(&s);
                let (column, from_people) = if self.purpose == Purpose::Count && self.conjunct {
                    let account = self.bind(Sql::Integer(self.account_id));
                    let from = format!(
                        "FROM contacts p WHERE p.account_id = {account} AND p.type IN (0, 1) AND"
                    );
                    ("p.phone", Some(from))
                } else {
                    (column, None)
                };
                let (from, to) = (self.bind(Sql::Text(s)), self.bind(Sql::Text(upper)));
                let p = self.bind(Sql::Text(format!("{like}%")));
                let range = format!(
                    "{column} >= {from} AND {column} < {to} AND {column} LIKE {p} ESCAPE '\\'"
                );
                match from_people {
                    Some(people) => format!("c.id IN (SELECT p.id {people} {range})"),
                    None => format!("({range})"),
                }
            }
            (Op::Contains | Op::StartsWith | Op::EndsWith, Operand::Text(s)) => {
                let like = crate::contacts::store::escape_like(&s);
                let pattern = match op {
                    Op::StartsWith => format!("{like}%"),
                    Op::EndsWith => format!("%{like}"),
                    _ => format!("%{like}%"),
                };
                let p = self.bind(Sql::Text(pattern));
                format!("{column} LIKE {p} ESCAPE '\\'")
            }
            (Op::In, Operand::Texts(values)) => {
                let values = values.into_iter().map(Sql::Text).collect();
                format!("{column} COLLATE NOCASE IN ({})", self.binds(values))
            }
            (Op::Gt | Op::Ge | Op::Lt | Op::Le, Operand::Text(s)) => {
                let p = self.bind(Sql::Text(s));
                format!("{column} {} {p} COLLATE NOCASE", comparison(op))
            }
            (Op::Eq, Operand::Gender(g)) => {
                format!("c.gender = {}", self.bind(Sql::Text(g.as_str().into())))
            }
            (Op::In, Operand::Genders(values)) => {
                let values = values
                    .iter()
                    .map(|g| Sql::Text(g.as_str().into()))
                    .collect();
                format!("c.gender IN ({})", self.binds(values))
            }
            (Op::Eq | Op::Gt | Op::Ge | Op::Lt | Op::Le, Operand::Number(n)) => {
                format!("{column} {} {}", comparison(op), self.bind(number(n)))
            }
            (Op::In, Operand::Numbers(values)) => {
                let values = values.into_iter().map(number).collect();
                format!("{column} IN ({})", self.binds(values))
            }
            (Op::Eq, Operand::Bool(b)) => {
                format!("{column} = {}", self.bind(Sql::Integer(i64::from(b))))
            }
            (Op::WithinLastDays, Operand::Days(days)) => {
                let since = self.now - days * SECONDS_PER_DAY;
                let since = match field {
                    Field::Builtin(Builtin::BirthDate) => Sql::Text(date_of(since).to_string()),
                    _ => Sql::Integer(since),
                };
                format!("{column} >= {}", self.bind(since))
            }
            (op, Operand::Time(t)) => {
                format!(
                    "{column} {} {}",
                    time_comparison(op),
                    self.bind(Sql::Integer(t))
                )
            }
            (op, Operand::Date(d)) => {
                let p = self.bind(Sql::Text(d.to_string()));
                format!("{column} {} {p}", time_comparison(op))
            }
            (op, Operand::Years(n)) => self.age(op, n),
            _ => return Err(unsupported()),
        })
    }

    /// A custom attribute's value as the attribute's kind takes it with `op`.
    fn custom_value(
        &self,
        kind: AttrKind,
        op: Op,
        value: &Operand,
        place: &str,
        unsupported: impl Fn() -> Error,
    ) -> Result<Operand, Error> {
        let texts = |values: &[Scalar]| {
            values
                .iter()
                .enumerate()
                .map(|(i, s)| text_value(&scalar_json(s), &format!("{place}[{i}]")))
                .collect::<Result<Vec<_>, _>>()
        };
        let numbers = |values: &[Scalar]| {
            values
                .iter()
                .enumerate()
                .map(|(i, s)| number_value(&scalar_json(s), &format!("{place}[{i}]")))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(match (kind, op, value) {
            (AttrKind::String, Op::In, Operand::Scalars(v)) => Operand::Texts(texts(v)?),
            (
                AttrKind::String,
                Op::Eq
                | Op::Contains
                | Op::StartsWith
                | Op::EndsWith
                | Op::Gt
                | Op::Ge
                | Op::Lt
                | Op::Le,
                Operand::Scalar(s),
            ) => Operand::Text(text_value(&scalar_json(s), place)?),
            (AttrKind::Number, Op::In, Operand::Scalars(v)) => Operand::Numbers(numbers(v)?),
            (AttrKind::Number, Op::Eq | Op::Gt | Op::Ge | Op::Lt | Op::Le, Operand::Scalar(s)) => {
                Operand::Number(number_value(&scalar_json(s), place)?)
            }
            (AttrKind::Boolean, Op::Eq, Operand::Scalar(s)) => {
                Operand::Bool(bool_value(&scalar_json(s), place)?)
            }
            _ => return Err(unsupported()),
        })
    }

    /// Age in whole years, compiled to a range of birth dates (so an index can serve it):
    /// `age >= n` is born on or before today minus n years.
    fn age(&mut self, op: Op, n: i64) -> String {
        let today = date_of(self.now);
        let ago = |n: i64| Sql::Text(years_before(today, n).to_string());
        let col = "c.birth_date";
        match op {
            Op::Ge => format!("{col} <= {}", self.bind(ago(n))),
            Op::Gt => format!("{col} <= {}", self.bind(ago(n + 1))),
            Op::Lt => format!("{col} > {}", self.bind(ago(n))),
            Op::Le => format!("{col} > {}", self.bind(ago(n + 1))),
            _ => {
                let (a, b) = (self.bind(ago(n)), self.bind(ago(n + 1)));
                format!("({col} <= {a} AND {col} > {b})")
            }
        }
    }

    fn tags(&mut self, c: &Condition) -> Result<String, Error> {
        let names = match (c.op, &c.value) {
            (Op::Exists | Op::NotExists, _) if self.purpose == Purpose::Scan => {
                return Ok(self.tags_by_bits(c.op, None));
            }
            (Op::Exists, _) => {
                return Ok(
                    "EXISTS (SELECT 1 FROM contact_tags ct WHERE ct.contact_id = c.id)".into(),
                );
            }
            (Op::NotExists, _) => {
                return Ok(
                    "NOT EXISTS (SELECT 1 FROM contact_tags ct WHERE ct.contact_id = c.id)".into(),
                );
            }
            (_, Operand::Texts(names)) => names.clone(),
            _ => {
                return Err(bad(
                    &format!("{}.operator", c.place),
                    "tags take has, has_all, has_none, exists or not_exists",
                ));
            }
        };
        if self.purpose == Purpose::Scan {
            return Ok(self.tags_by_bits(c.op, Some(&names)));
        }
        let n = names.len() as i64;
        let account = self.bind(Sql::Integer(self.account_id));
        let names = self.binds(names.into_iter().map(Sql::Text).collect());
        let tagged = format!(
            "SELECT ct.contact_id FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id \
             WHERE t.account_id = {account} AND t.name IN ({names})"
        );
        Ok(match c.op {
            Op::HasNone | Op::Ne | Op::NotContains | Op::NotIn => format!("c.id NOT IN ({tagged})"),
            Op::HasAll => {
                let all = self.bind(Sql::Integer(n));
                format!(
                    "(SELECT count(*) FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id \
                     WHERE ct.contact_id = c.id AND t.account_id = {account} AND t.name IN ({names})) = {all}"
                )
            }
            _ => format!("c.id IN ({tagged})"),
        })
    }

    /// A tag condition for a scan of the narrow index, over the tags named (`None`: any
    /// tag, for `exists` and `not_exists`): those that own a bit are tested in the person's
    /// `tag_bits`; only those without one (made while the account's 63 bits were held) are
    /// probed in the tag links (`+c.id IN`: the unary plus keeps SQLite from driving the
    /// query by the tag's people). The subqueries over `tags` name no column of `c`, so
    /// SQLite runs each once per count, not once per person.
    fn tags_by_bits(&mut self, op: Op, names: Option<&[String]>) -> String {
        const MASK: &str = "coalesce(sum(1 << t.bit), 0)";
        const TAGS: &str = "tags t";
        const LINKS: &str = "contact_tags ct JOIN tags t ON t.id = ct.tag_id";
        // Each subquery binds its own copy of the names, in the order the SQL reads them.
        let named = |this: &mut Self, select: &str, from: &str, only: &str| {
            let account = this.bind(Sql::Integer(this.account_id));
            let list = match names {
                Some(names) => {
                    let list = this.binds(names.iter().cloned().map(Sql::Text).collect());
                    format!(" AND t.name IN ({list})")
                }
                None => String::new(),
            };
            format!("(SELECT {select} FROM {from} WHERE {only}t.account_id = {account}{list})")
        };
        let n = names.map_or(0, <[String]>::len) as i64;
        if op == Op::HasAll {
            let with_bits = named(self, "count(*)", TAGS, "t.bit IS NOT NULL AND ");
            let count = self.bind(Sql::Integer(n));
            let mask = named(self, MASK, TAGS, "");
            let links = named(self, "count(*)", LINKS, "ct.contact_id = c.id AND ");
            let all = self.bind(Sql::Integer(n));
            return format!(
                "CASE WHEN {with_bits} = {count} THEN (~c.tag_bits & {mask}) = 0 \
                 ELSE {links} = {all} END"
            );
        }
        // Any tag: any bit; else the bits of the tags named.
        let mask = match names {
            Some(_) => named(self, MASK, TAGS, ""),
            None => "-1".to_string(),
        };
        let without_bits = named(self, "1", TAGS, "t.bit IS NULL AND ");
        let probed = named(self, "ct.contact_id", LINKS, "t.bit IS NULL AND ");
        let has = format!(
            "((c.tag_bits & {mask}) <> 0 OR (EXISTS {without_bits} AND +c.id IN {probed}))"
        );
        match op {
            Op::HasNone | Op::Ne | Op::NotContains | Op::NotIn | Op::NotExists => {
                format!("NOT {has}")
            }
            _ => has,
        }
    }
}

fn number(n: Number) -> Sql {
    match n {
        Number::Int(i) => Sql::Integer(i),
        Number::Real(f) => Sql::Real(f),
    }
}

fn scalar_json(s: &Scalar) -> Value {
    match s {
        Scalar::Text(t) => Value::String(t.clone()),
        Scalar::Number(Number::Int(i)) => Value::from(*i),
        Scalar::Number(Number::Real(f)) => Value::from(*f),
        Scalar::Bool(b) => Value::Bool(*b),
    }
}

/// Times and dates: `before` is `<`, `after` is `>`.
fn time_comparison(op: Op) -> &'static str {
    match op {
        Op::Before | Op::Lt => "<",
        Op::After | Op::Gt => ">",
        Op::Le => "<=",
        Op::Ge => ">=",
        _ => "=",
    }
}

fn slot_column(slot: usize) -> &'static str {
    const COLUMNS: [&str; 64] = [
        "c.a1", "c.a2", "c.a3", "c.a4", "c.a5", "c.a6", "c.a7", "c.a8", "c.a9", "c.a10", "c.a11",
        "c.a12", "c.a13", "c.a14", "c.a15", "c.a16", "c.a17", "c.a18", "c.a19", "c.a20", "c.a21",
        "c.a22", "c.a23", "c.a24", "c.a25", "c.a26", "c.a27", "c.a28", "c.a29", "c.a30", "c.a31",
        "c.a32", "c.a33", "c.a34", "c.a35", "c.a36", "c.a37", "c.a38", "c.a39", "c.a40", "c.a41",
        "c.a42", "c.a43", "c.a44", "c.a45", "c.a46", "c.a47", "c.a48", "c.a49", "c.a50", "c.a51",
        "c.a52", "c.a53", "c.a54", "c.a55", "c.a56", "c.a57", "c.a58", "c.a59", "c.a60", "c.a61",
        "c.a62", "c.a63", "c.a64",
    ];
    COLUMNS[slot.clamp(1, 64) - 1]
}

fn comparison(op: Op) -> &'static str {
    match op {
        Op::Gt => ">",
        Op::Ge => ">=",
        Op::Lt => "<",
        Op::Le => "<=",
        _ => "=",
    }
}

/// `n` calendar years before `day` (29 February falls back to the 28th).
fn years_before(day: Date, n: i64) -> Date {
    let year = day.year() - n as i32;
    Date::from_calendar_date(year, day.month(), day.day())
        .or_else(|_| Date::from_calendar_date(year, day.month(), day.day() - 1))
        .unwrap_or(day)
}

#[cfg(test)]
#[path = "compile_tests.rs"]
mod tests;
