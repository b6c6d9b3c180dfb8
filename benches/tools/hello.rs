//! The baseline of `benches/suite.sh`: an actix-web hello-world answering a small JSON
//! body, with the same worker count as the server (one per core). It answers
//! `/v1/contacts/{id}` too, so that wrk can drive it with the very script (key header,
//! a new id per request) that drives the server: the client's own cost is then the same
//! on both sides of the ratio.
//!
//! Usage: cargo run --release --example hello -- PORT [WORKERS]   (default: one per core)

use actix_web::{App, HttpResponse, HttpServer, web};

async fn hello() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"hello": "world"}))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("PORT");
    let workers: Option<usize> = std::env::args().nth(2).and_then(|w| w.parse().ok());
    let mut server = HttpServer::new(|| {
        App::new()
            .route("/hello", web::get().to(hello))
            .route("/v1/contacts/{id}", web::get().to(hello))
    })
    .bind(("127.0.0.1", port))?;
    if let Some(workers) = workers {
        server = server.workers(workers);
    }
    server.run().await
}
