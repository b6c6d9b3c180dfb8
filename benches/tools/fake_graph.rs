//! A local stand-in for the WhatsApp Cloud API, for `benches/provider.sh`: checks each
//! message request as the real one would (bearer token, `messaging_product`, `to`), answers
//! with a message id, and fails every Nth request with a 503 so that retries run. `GET
//! /stats` reports what arrived: counts, and each request's arrival in ms since start.
//!
//! Usage: cargo run --release --example fake_graph -- PORT TOKEN [FAIL_EVERY]

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};
use std::sync::Mutex;
use std::time::Instant;

struct Seen {
    started: Instant,
    token: String,
    fail_every: usize,
    /// (ms since start, answered 2xx)
    arrivals: Mutex<Vec<(u64, bool)>>,
}

async fn messages(req: HttpRequest, seen: web::Data<Seen>, body: web::Json<Value>) -> HttpResponse {
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    if auth != Some(&format!("Bearer {}", seen.token)) {
        return HttpResponse::Unauthorized()
            .json(json!({"error": {"message": "Invalid OAuth access token", "code": 190}}));
    }
    if body["messaging_product"] != "whatsapp" || !body["to"].is_string() {
        return HttpResponse::BadRequest()
            .json(json!({"error": {"message": "(#100) Invalid parameter", "code": 100}}));
    }
    let mut arrivals = seen.arrivals.lock().unwrap();
    let n = arrivals.len() + 1;
    let ok = seen.fail_every == 0 || !n.is_multiple_of(seen.fail_every);
    arrivals.push((seen.started.elapsed().as_millis() as u64, ok));
    if !ok {
        return HttpResponse::ServiceUnavailable()
            .json(json!({"error": {"message": "Service temporarily unavailable", "code": 2}}));
    }
    HttpResponse::Ok().json(json!({"messaging_product": "whatsapp",
        "contacts": [{"input": body["to"], "wa_id": body["to"]}],
        "messages": [{"id": format!("wamid.bench{n}")}]}))
}

async fn stats(seen: web::Data<Seen>) -> HttpResponse {
    let arrivals = seen.arrivals.lock().unwrap();
    let ok: Vec<u64> = arrivals.iter().filter(|a| a.1).map(|a| a.0).collect();
    let failed: Vec<u64> = arrivals.iter().filter(|a| !a.1).map(|a| a.0).collect();
    HttpResponse::Ok().json(json!({"ok": ok, "failed": failed}))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).expect("PORT");
    let token = args.next().expect("TOKEN");
    let fail_every = args.next().map_or(0, |n| n.parse().expect("FAIL_EVERY"));
    let seen = web::Data::new(Seen {
        started: Instant::now(),
        token,
        fail_every,
        arrivals: Mutex::default(),
    });
    HttpServer::new(move || {
        App::new()
            .app_data(seen.clone())
            .route(
                "/{version}/{phone_number_id}/messages",
                web::post().to(messages),
            )
            .route("/stats", web::get().to(stats))
    })
    .workers(1)
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
