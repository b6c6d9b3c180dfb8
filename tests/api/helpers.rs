//! `spawn_app()` and the small vocabulary the tests share.

use actix_web::{App, HttpServer, web};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use switchboard::accounts::model::Overrides;
use switchboard::accounts::{Email, Plan, store};
use switchboard::auth::{keys, password};
use switchboard::config::Config;
use switchboard::delivery::Transports;
use switchboard::startup::Application;
use tempfile::TempDir;

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub base: String,
    pub db_path: PathBuf,
    pub client: Client,
    dir: Arc<TempDir>,
    handle: actix_web::dev::ServerHandle,
    running: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// An account made for a test: its one API key.
pub struct TestAccount {
    pub key: String,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_with_sandbox(Transports::default(), configure).await
}

/// A server whose channels without settings deliver through `sandbox` (a transport that
/// records, or never answers) instead of the sandbox.
pub async fn spawn_app_with_sandbox(
    sandbox: Transports,
    configure: impl FnOnce(&mut Config),
) -> TestApp {
    // Server logs show with RUST_LOG=… (e.g. error) when a test needs them.
    let _ = env_logger::builder().is_test(true).try_init();
    switchboard::channels::install_tls_provider();
    let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
    let mut config = test_config(dir.path());
    configure(&mut config);
    start(config, dir, sandbox)
}

fn test_config(dir: &Path) -> Config {
    Config {
        workers: Some(2),
        handle_signals: false,
        shutdown_timeout: 5,
        ..Config::new("127.0.0.1:0", dir.join("switchboard.db"))
    }
}

fn start(config: Config, dir: Arc<TempDir>, sandbox: Transports) -> TestApp {
    let app = Application::build(&config)
        .expect("server starts")
        .with_sandbox(sandbox);
    let base = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    let running = tokio::spawn(app.run_until_stopped());
    TestApp {
        base,
        db_path: config.db.clone(),
        client: Client::new(),
        dir,
        handle,
        running,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops the server gracefully, as SIGTERM would; the database stays.
    pub async fn stop(self) -> Arc<TempDir> {
        self.handle.stop(true).await;
        self.running
            .await
            .expect("server task")
            .expect("server ran");
        self.dir
    }

    /// Stops and starts again on the same database file.
    pub async fn restart(self) -> TestApp {
        self.restart_with(|_| {}).await
    }

    /// [`TestApp::restart`] with settings of the new run changed by `configure`.
    pub async fn restart_with(self, configure: impl FnOnce(&mut Config)) -> TestApp {
        self.restart_with_sandbox_and(Transports::default(), configure)
            .await
    }

    /// [`TestApp::restart`] delivering through `sandbox` (see [`spawn_app_with_sandbox`]).
    pub async fn restart_with_sandbox(self, sandbox: Transports) -> TestApp {
        self.restart_with_sandbox_and(sandbox, |_| {}).await
    }

    async fn restart_with_sandbox_and(
        self,
        sandbox: Transports,
        configure: impl FnOnce(&mut Config),
    ) -> TestApp {
        let db = self.db_path.clone();
        let dir = self.stop().await;
        let mut config = Config {
            db,
            ..test_config(dir.path())
        };
        configure(&mut config);
        start(config, dir, sandbox)
    }

    /// Message `id` of a person's log, once `ready` holds for it (within 10 s).
    pub async fn message_when(
        &self,
        key: &str,
        contact: &str,
        id: &str,
        ready: impl Fn(&Value) -> bool,
    ) -> Value {
        let ready = &ready;
        let what = format!("message {id}");
        eventually(Duration::from_secs(10), &what, || async move {
            let log = self
                .ok("GET", &format!("/v1/messages/{contact}"), key, None)
                .await;
            let entry = log.as_array()?.iter().find(|m| m["id"] == id)?;
            ready(entry).then(|| entry.clone())
        })
        .await
    }

    pub async fn get(&self, path: &str, key: &str) -> Response {
        self.client
            .get(self.url(path))
            .header("x-api-key", key)
            .send()
            .await
            .expect("request")
    }

    /// Sends `method path` with the key and, if given, a JSON body.
    pub async fn call(&self, method: &str, path: &str, key: &str, body: Option<Value>) -> Response {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .client
            .request(method, self.url(path))
            .header("x-api-key", key);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.expect("request")
    }

    /// `call` expecting `200`; the JSON answer.
    pub async fn ok(&self, method: &str, path: &str, key: &str, body: Option<Value>) -> Value {
        let res = self.call(method, path, key, body).await;
        let status = res.status();
        let text = res.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{method} {path}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// `POST /v1/contacts/import` of a CSV file, expecting `200`; the JSON answer.
    pub async fn import_csv(&self, key: &str, csv: &str) -> Value {
        let res = self
            .client
            .post(self.url("/v1/contacts/import"))
            .header("x-api-key", key)
            .header("content-type", "text/csv")
            .body(csv.to_string())
            .send()
            .await
            .expect("request");
        let status = res.status();
        let text = res.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "import: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// POSTs JSON to the admin API with an optional session cookie.
    pub async fn admin_post(&self, path: &str, cookie: Option<&str>, body: Value) -> Response {
        let mut req = self
            .client
            .post(self.url(&format!("/admin/api{path}")))
            .json(&body);
        if let Some(cookie) = cookie {
            req = req.header("cookie", cookie);
        }
        req.send().await.expect("request")
    }

    pub async fn admin_get(&self, path: &str, cookie: &str) -> Response {
        self.client
            .get(self.url(&format!("/admin/api{path}")))
            .header("cookie", cookie)
            .send()
            .await
            .expect("request")
    }

    pub async fn admin_delete(&self, path: &str, cookie: &str) -> Response {
        self.client
            .delete(self.url(&format!("/admin/api{path}")))
            .header("cookie", cookie)
            .header("content-type", "application/json")
            .send()
            .await
            .expect("request")
    }

    /// Signs up through the admin API; returns the session cookie (`sb_session=…`).
    pub async fn signup(&self, email: &str) -> String {
        let res = self
            .admin_post(
                "/signup",
                None,
                json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "signup of {email}");
        session_cookie(&res).expect("signup sets a cookie")
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.admin_post(
            "/login",
            None,
            json!({"email": email, "password": password}),
        )
        .await
    }

    pub async fn create_key(&self, cookie: &str, name: &str) -> Value {
        let res = self
            .admin_post("/keys", Some(cookie), json!({"name": name}))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    /// Creates an account and a key straight in the database, as the command line does.
    pub fn create_account(&self, email: &str, plan: Plan) -> TestAccount {
        self.create_account_with(email, plan, Overrides::default())
    }

    pub fn create_account_with(
        &self,
        email: &str,
        plan: Plan,
        overrides: Overrides,
    ) -> TestAccount {
        let conn = switchboard::db::open_single(&self.db_path).unwrap();
        let hash = password::hash(PASSWORD).unwrap();
        let email = Email::parse(email).unwrap();
        let account = store::create_account(&conn, &email, &hash, plan, 1_795_341_600).unwrap();
        store::set_overrides(&conn, email.as_str(), overrides).unwrap();
        let issued = keys::issue(&conn, account.id, Some("test"), 1_795_341_600).unwrap();
        TestAccount { key: issued.secret }
    }
}

/// The `sb_session=…` pair of a response's Set-Cookie, if it sets one.
pub fn session_cookie(res: &Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("sb_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
}

/// Polls `check` every 50 ms until it gives a value, for at most `within`, then panics
/// naming `what`: how a test waits for background work (delivery, fan-out, another
/// process).
pub async fn eventually<T, F, Fut>(within: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Asserts the contract's error body and returns its message.
pub async fn error_message(res: Response, status: StatusCode) -> String {
    assert_eq!(res.status(), status);
    let body: Value = res.json().await.expect("JSON error body");
    assert_eq!(body["statusCode"], status.as_u16(), "{body}");
    assert_eq!(body["error"], status.canonical_reason().unwrap(), "{body}");
    body["message"].as_str().expect("message").to_string()
}

/// The server binary as its own process (so it can be killed with SIGKILL), on port 0,
/// with what it writes to stderr (its log) kept.
pub struct Process {
    pub child: tokio::process::Child,
    pub base: String,
    pub log: Arc<std::sync::Mutex<String>>,
}

impl Process {
    pub async fn serve(db: &Path, args: &[&str], rust_log: &str) -> Process {
        use tokio::io::{AsyncBufReadExt, BufReader};
        switchboard::channels::install_tls_provider();
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .arg("--db")
            .arg(db)
            .args(["--bind", "127.0.0.1:0"])
            .args(args)
            .env("RUST_LOG", rust_log)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the binary runs");
        let log = Arc::new(std::sync::Mutex::new(String::new()));
        let mut errors = BufReader::new(child.stderr.take().unwrap()).lines();
        let kept = log.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = errors.next_line().await {
                let mut log = kept.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(at) = line.split("listening on ").nth(1) {
                tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
                return Process {
                    child,
                    base: at.trim().to_string(),
                    log,
                };
            }
        }
        panic!("the server did not start");
    }
}

/// Runs the binary's command line on `db` with `stdin`; its standard output.
pub async fn cli(db: &Path, args: &[&str], stdin: &str) -> String {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("--db")
        .arg(db)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .await
        .unwrap();
    let out = child.wait_with_output().await.unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// Serves `handler` for POSTs to `route` on port 0, with `state` as app data: a local
/// stand-in for a provider's API. Its base URL.
pub fn stand_in<S, F, Args>(route: &'static str, state: S, handler: F) -> String
where
    S: Clone + Send + 'static,
    F: actix_web::Handler<Args> + Clone + Send + 'static,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .route(route, web::post().to(handler.clone()))
    })
    .workers(1)
    .disable_signals()
    .bind("127.0.0.1:0")
    .unwrap();
    let base = format!("http://{}", server.addrs()[0]);
    tokio::spawn(server.run());
    base
}
