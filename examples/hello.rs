//! The baseline of `benches/suite.sh`: an actix-web hello-world answering a small JSON
//! body, with the same worker count as the server (one per core).
//!
//! Usage: cargo run --release --example hello -- PORT

use actix_web::{App, HttpResponse, HttpServer, web};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("PORT");
    HttpServer::new(|| {
        App::new().route(
            "/hello",
            web::get()
                .to(|| async { HttpResponse::Ok().json(serde_json::json!({"hello": "world"})) }),
        )
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
