//! `/v1/contacts` and `/v1/clients` (the same routes over the two person types), and
//! `/v1/tags`.

use crate::clock;
use crate::contacts::bulk::{self, Outcome};
use crate::contacts::export::CsvExport;
use crate::contacts::import::{self, Context};
use crate::contacts::list::{self, ListFilter};
use crate::contacts::model::{PersonChanges, PersonInput, PersonType, tags};
use crate::contacts::store::{self, Condition, Window};
use crate::contacts::tags;
use crate::db::{self, LocalReader};
use crate::error::{Error, Kind, Result};
use crate::fields::Page;
use crate::http::auth::ApiAccount;
use crate::http::state::AppState;
use crate::http::{self, ChannelBody, Json, paged, spool};
use crate::segments::store as segments;
use actix_web::dev::Payload;
use actix_web::http::header::{self, ContentType};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde::Deserialize;
use std::collections::VecDeque;
use std::future::{Ready, ready};
use std::io::{Seek, SeekFrom};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};

/// The person type of the scope a request came through.
impl FromRequest for PersonType {
    type Error = Error;
    type Future = Ready<Result<Self>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.app_data::<PersonType>()
                .copied()
                .ok_or_else(|| Error::internal("route without a person type")),
        )
    }
}

/// A person's body, checked with the server's phone rules as of today.
pub fn changes_of(state: &AppState, input: PersonInput) -> Result<PersonChanges> {
    PersonChanges::parse(input, &state.phones, clock::date_of(clock::now()))
}

pub async fn create(
    state: web::Data<AppState>,
    caller: ApiAccount,
    kind: PersonType,
    Json(input): Json<PersonInput>,
) -> Result<HttpResponse> {
    let changes = changes_of(&state, input)?;
    if !changes.identifies_someone() {
        return Err(Error::invalid(format!(
            "body: a {} needs at least one of name, firstName, phoneNumber, email, externalId or channelIds",
            kind.as_str()
        )));
    }
    let (account, now) = (caller.account_id, clock::now());
    let names = state.attribute_names.clone();
    let person = state
        .writer
        .run(move |conn| {
            let id = store::insert(conn, account, kind, &changes, now)?;
            store::get(conn, &names, account, kind, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(person))
}

pub async fn update(
    state: web::Data<AppState>,
    caller: ApiAccount,
    kind: PersonType,
    id: web::Path<i64>,
    Json(input): Json<PersonInput>,
) -> Result<HttpResponse> {
    let changes = changes_of(&state, input)?;
    let (account, id, now) = (caller.account_id, id.into_inner(), clock::now());
    let names = state.attribute_names.clone();
    let person = state
        .writer
        .run(move |conn| {
            store::update(conn, account, kind, id, &changes, now)?;
            store::get(conn, &names, account, kind, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(person))
}

/// The hottest route: it borrows the state and the worker's own connection from the
/// request (`http::worker_data`) rather than cloning shared handles (see `db::LocalReader`).
pub async fn get(
    req: HttpRequest,
    caller: ApiAccount,
    kind: PersonType,
    id: web::Path<i64>,
) -> Result<HttpResponse> {
    let state = http::worker_data::<web::Data<AppState>>(&req)?;
    let reader = http::worker_data::<LocalReader>(&req)?;
    // Written straight from the row: no owned copy of the person is made.
    let body = reader
        .read(|conn| {
            store::get_with(
                conn,
                &state.attribute_names,
                caller.account_id,
                kind,
                id.into_inner(),
                |person| {
                    let mut body = Vec::with_capacity(1024);
                    person.write_json(&mut body).map(|()| body)
                },
            )
        })?
        .map_err(|e| Error::internal(format!("writing a person: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(body))
}

pub async fn delete(
    state: web::Data<AppState>,
    caller: ApiAccount,
    kind: PersonType,
    id: web::Path<i64>,
) -> Result<HttpResponse> {
    let (account, id) = (caller.account_id, id.into_inner());
    state
        .writer
        .run(move |conn| store::delete(conn, account, kind, id))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"success": true})))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    limit: Option<u32>,
    page: Option<u32>,
    search_text: Option<String>,
    tag: Option<String>,
    contact_stage: Option<String>,
    location_id: Option<i64>,
}

pub async fn list(
    state: web::Data<AppState>,
    caller: ApiAccount,
    kind: PersonType,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse> {
    let query = query.into_inner();
    let page = Page::new(query.limit, query.page)?;
    let nonempty = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let filter = ListFilter {
        search: nonempty(query.search_text),
        tag: nonempty(query.tag),
        stage: nonempty(query.contact_stage),
        location_id: query.location_id,
    };
    // Counting and searching can scan: off the async workers.
    let (people, total) = web::block(move || {
        db::snapshot(&*state.pool.get()?, |conn| {
            list::people(
                conn,
                Some(&state.pool),
                &state.attribute_names,
                caller.account_id,
                kind,
                &filter,
                page,
            )
        })
    })
    .await??;
    Ok(paged(people, total))
}

#[derive(Debug, Deserialize)]
pub struct TagsBody {
    tags: Vec<String>,
}

pub async fn add_tags(
    state: web::Data<AppState>,
    caller: ApiAccount,
    kind: PersonType,
    id: web::Path<i64>,
    Json(body): Json<TagsBody>,
) -> Result<HttpResponse> {
    change_tags(state, caller, kind, id.into_inner(), body, tags::add_tags).await
}

pub async fn remove_tags(
    state: web::Data<AppState>,
    caller: ApiAccount,
    kind: PersonType,
    id: web::Path<i64>,
    Json(body): Json<TagsBody>,
) -> Result<HttpResponse> {
    change_tags(
        state,
        caller,
        kind,
        id.into_inner(),
        body,
        tags::remove_tags,
    )
    .await
}

type TagChange =
    fn(&rusqlite::Connection, i64, PersonType, i64, &[String], clock::Timestamp) -> Result<()>;

/// Applies `change` to a person's tags and answers the person.
async fn change_tags(
    state: web::Data<AppState>,
    caller: ApiAccount,
    kind: PersonType,
    id: i64,
    body: TagsBody,
    change: TagChange,
) -> Result<HttpResponse> {
    let names = tags(&body.tags)?;
    let (account, now) = (caller.account_id, clock::now());
    let attribute_names = state.attribute_names.clone();
    let person = state
        .writer
        .run(move |conn| {
            change(conn, account, kind, id, &names, now)?;
            store::get(conn, &attribute_names, account, kind, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(person))
}

/// `GET /v1/tags`: every tag of the account with how many people carry it.
pub async fn list_tags(state: web::Data<AppState>, caller: ApiAccount) -> Result<HttpResponse> {
    let tags =
        web::block(move || tags::tag_counts(&*state.pool.get()?, caller.account_id)).await??;
    Ok(HttpResponse::Ok().json(tags))
}

/// Bodies of imports (docs/api.md): a real export of a million people with every field
/// filled is about 100 MiB.
pub const IMPORT_LIMIT: usize = 128 * 1024 * 1024;
/// Batches of an import not yet answered: while the writer commits several in one
/// transaction ([`db::MAX_SERIES`]), the next are read.
const IN_FLIGHT: usize = db::MAX_SERIES + 1;
/// Batches of an import whose rows are held at once, queued or being written (the one
/// being read aside): enough for the writer to find the next one queued.
const HELD: usize = 2;
/// People per chunk of an export.
const EXPORT_PAGE: u32 = 2_000;

/// `POST /v1/contacts/import`: a CSV file (`text/csv`) or a JSON array (`application/json`).
/// Batches go to the writer while the next one is being parsed.
pub async fn import(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiAccount,
    kind: PersonType,
    payload: web::Payload,
) -> Result<HttpResponse> {
    let mime = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let csv = match mime.as_str() {
        "text/csv" | "application/csv" => true,
        "application/json" => false,
        _ => {
            return Err(Error::new(
                Kind::UnsupportedType,
                "Content-Type must be text/csv or application/json",
            ));
        }
    };
    // Before the body is read: a refused import costs nothing.
    let place = state.imports.enter(caller.account_id)?;
    // To a file, not memory: an import body may be larger than the server's memory budget.
    let mut body = spool::to_file(payload, IMPORT_LIMIT, &state.uploads).await?;

    let (account, now) = (caller.account_id, clock::now());
    if caller.limits.contacts.is_some() {
        // Every row is counted as new: an import is refused whole or done whole.
        let rows = web::block(move || {
            let mut file = &body;
            file.seek(SeekFrom::Start(0))
                .map_err(|e| Error::internal(format!("rewinding the upload: {e}")))?;
            import::rows_in(file, csv).map(|n| (n, body))
        });
        let (rows, spooled) = rows.await??;
        body = spooled;
        crate::accounts::store::check_room(&*state.pool.get()?, account, rows as i64, 0)?;
    }
    let kinds = store::attribute_keys(&*state.pool.get()?, account)?
        .into_iter()
        .map(|k| (k.name.to_lowercase(), k.kind))
        .collect();
    let report = web::block(move || -> Result<Report> {
        let _place = place;
        let ctx = Context {
            phones: &state.phones,
            today: clock::date_of(now),
            kinds,
        };
        let mut total = Report::default();
        let mut pending = VecDeque::with_capacity(IN_FLIGHT);
        let (home, returned) = mpsc::channel();
        let mut held = 0;
        let stop = StopAfterFailure::default();
        let emit = |rows: Vec<import::Row>| {
            while held >= HELD {
                drop(returned.recv());
                held -= 1;
            }
            state.writer.wait_for_wal_room();
            let batch = Returned {
                rows,
                home: home.clone(),
            };
            let stop = stop.clone();
            pending.push_back(state.writer.submit_alone(account, move |conn| {
                stop.run(|| bulk::upsert(conn, account, kind, &batch.rows, now))
            }));
            held += 1;
            if pending.len() == IN_FLIGHT
                && let Some(oldest) = pending.pop_front()
            {
                merge(&mut total, oldest.wait()?)?;
            }
            Ok(())
        };
        let rewound = || -> std::io::Result<&std::fs::File> {
            let mut file = &body;
            file.seek(SeekFrom::Start(0))?;
            Ok(file)
        };
        let invalid = if csv {
            import::read_csv(rewound, &ctx, emit)?
        } else {
            import::read_json(rewound, &ctx, emit)?
        };
        for last in pending {
            merge(&mut total, last.wait()?)?;
        }
        if total.created + total.updated > import::BATCH {
            state.writer.checkpoint();
        }
        total.failed.absorb(invalid);
        Ok(total)
    })
    .await??;
    Ok(HttpResponse::Ok().json(report.view()))
}

/// An import batch's rows, sent back when the writer is done with them (run, or dropped
/// unrun) to the thread that read them, and freed there: off the thread every import waits
/// on, and before the commit, so that rows waiting for it do not hold memory.
struct Returned {
    rows: Vec<import::Row>,
    home: mpsc::Sender<Vec<import::Row>>,
}

impl Drop for Returned {
    fn drop(&mut self) {
        let _ = self.home.send(std::mem::take(&mut self.rows));
    }
}

/// Shared by an import's batches: once one fails, those queued behind it write nothing
/// (the reading thread learns of the failure only when it waits for that batch's answer).
#[derive(Clone, Default)]
struct StopAfterFailure(Arc<AtomicBool>);

impl StopAfterFailure {
    fn run<T>(&self, write: impl FnOnce() -> Result<T>) -> Result<T> {
        if self.0.load(Ordering::Relaxed) {
            return Err(Error::unavailable(
                "an earlier batch of this import failed; the rest was not written",
            ));
        }
        let result = write();
        if result.is_err() {
            self.0.store(true, Ordering::Relaxed);
        }
        result
    }
}

/// What an import did: created, updated, and the failed rows (counted, the first listed).
#[derive(Default)]
struct Report {
    created: usize,
    updated: usize,
    failed: import::Failures,
}

impl Report {
    fn view(self) -> serde_json::Value {
        serde_json::json!({
            "created": self.created,
            "updated": self.updated,
            "failedCount": self.failed.count(),
            "failed": self.failed.into_sorted(),
        })
    }
}

fn merge(total: &mut Report, batch: Outcome) -> Result<()> {
    total.created += batch.created;
    total.updated += batch.updated;
    total.failed.extend(batch.failed);
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportQuery {
    segment_id: Option<String>,
}

/// `GET /v1/contacts/export[?segmentId=]`: every person (or a segment's members) as CSV,
/// streamed page by page (keyset paging, so late pages cost what early ones do), in the
/// columns an import reads back.
pub async fn export(
    state: web::Data<AppState>,
    caller: ApiAccount,
    kind: PersonType,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse> {
    let (account, pool) = (caller.account_id, state.pool.clone());
    let names = state.attribute_names.clone();
    // Only a segment of this account and of this kind of person can be exported here.
    let segment = match &query.segment_id {
        None => None,
        Some(raw) => {
            let missing = || {
                Error::not_found(format!(
                    "segmentId: no {} segment with id {raw}",
                    kind.as_str()
                ))
            };
            let id: i64 = raw.trim().parse().map_err(|_| missing())?;
            let conn = pool.get()?;
            let segment = segments::find(&conn, account, id)?
                .filter(|s| s.kind == kind)
                .ok_or_else(missing)?;
            if let Some(problem) = segments::problem(&conn, account, &segment, clock::now())? {
                return Err(segments::unevaluable(segment.id, &problem));
            }
            Some(segment)
        }
    };
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        let send = |chunk: Result<Vec<u8>>| tx.blocking_send(chunk.map(web::Bytes::from)).is_ok();
        let window = |after| Window {
            after,
            offset: 0,
            limit: EXPORT_PAGE,
        };
        let page = |after| match &segment {
            None => store::people_where(
                &*pool.get()?,
                &names,
                account,
                kind,
                &Condition::everyone(),
                window(after),
            ),
            Some(s) => segments::members(
                &*pool.get()?,
                &names,
                account,
                s,
                clock::now(),
                window(after),
            ),
        };
        let csv = match pool
            .get()
            .map_err(Error::from)
            .and_then(|c| bulk::attribute_names(&c, account))
        {
            Ok(names) => CsvExport::new(names),
            Err(e) => return send(Err(e)),
        };
        if !send(Ok(csv.header())) {
            return false;
        }
        let mut after = 0;
        loop {
            match page(after) {
                Ok(people) if people.is_empty() => return true,
                Ok(people) => {
                    after = people
                        .last()
                        .and_then(|p| p.id.parse().ok())
                        .unwrap_or(i64::MAX);
                    if !send(Ok(csv.rows(&people))) {
                        return false; // the client went away
                    }
                }
                Err(e) => return send(Err(e)),
            }
        }
    });
    let filename = format!("attachment; filename=\"{}s.csv\"", kind.as_str());
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, filename))
        .streaming(ChannelBody(rx)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// After a failed batch, the batches behind it are not run, and say why.
    #[test]
    fn an_import_stops_writing_after_a_failed_batch() {
        let stop = StopAfterFailure::default();
        let mut written = Vec::new();
        assert_eq!(stop.run(|| Ok(1)), Ok(1));
        let failed = stop.run(|| -> Result<i32> { Err(Error::unavailable("the disk is full")) });
        assert_eq!(failed.unwrap_err().message, "the disk is full");
        let after = stop.clone().run(|| {
            written.push(3);
            Ok(3)
        });
        assert!(after.unwrap_err().message.contains("earlier batch"));
        assert!(written.is_empty());
    }
}
