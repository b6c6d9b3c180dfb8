//! A webhook receiver for `benches/suite.sh`: answers every `POST /hook` with 204 and counts
//! them, each event id once; `GET /stats` says how many it got and over how long (from the
//! first to the last request), so the suite can compute events per second; `GET /reset`
//! starts the count again.
//!
//! Usage: cargo run --release --example webhook_sink -- PORT

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Default)]
struct Seen {
    requests: u64,
    ids: HashSet<String>,
    first: Option<Instant>,
    last: Option<Instant>,
}

/// Takes the body as a receiver would (actix closes a connection whose body went unread).
async fn hook(req: HttpRequest, _body: web::Bytes, seen: web::Data<Mutex<Seen>>) -> HttpResponse {
    let now = Instant::now();
    let id = req
        .headers()
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let mut seen = seen.lock().unwrap();
    seen.requests += 1;
    seen.ids.insert(id);
    seen.first.get_or_insert(now);
    seen.last = Some(now);
    HttpResponse::NoContent().finish()
}

/// Forgets what came so far (the suite's own baseline requests).
async fn reset(seen: web::Data<Mutex<Seen>>) -> HttpResponse {
    *seen.lock().unwrap() = Seen::default();
    HttpResponse::NoContent().finish()
}

async fn stats(seen: web::Data<Mutex<Seen>>) -> HttpResponse {
    let seen = seen.lock().unwrap();
    let span = match (seen.first, seen.last) {
        (Some(first), Some(last)) => last.duration_since(first).as_secs_f64(),
        _ => 0.0,
    };
    HttpResponse::Ok().json(serde_json::json!({
        "requests": seen.requests, "events": seen.ids.len(), "seconds": span,
    }))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("PORT");
    let seen = web::Data::new(Mutex::new(Seen::default()));
    HttpServer::new(move || {
        App::new()
            .app_data(seen.clone())
            .route("/hook", web::post().to(hook))
            .route("/stats", web::get().to(stats))
            .route("/reset", web::get().to(reset))
    })
    .workers(1)
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
