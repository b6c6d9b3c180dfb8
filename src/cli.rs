//! The command line (docs/operations.md). Without a subcommand it serves.
//!
//! Account and key commands open the database file directly: WAL and a busy timeout let
//! them run beside a server on the same file, and the server notices their revocations and
//! plan changes within a second (see `auth::keys`).

use crate::accounts::model::Overrides;
use crate::accounts::{Email, NewPassword, Plan, store};
use crate::auth::{keys, password};
use crate::channels::provider::ProviderUrls;
use crate::clock;
use crate::config::{Config, DEFAULT_BIND, DEFAULT_DB, DEFAULT_REPLY_WINDOW_HOURS};
use crate::db;
use crate::delivery;
use crate::delivery::worker::{
    DEFAULT_BROADCAST_RATE, DEFAULT_IN_FLIGHT_PER_ACCOUNT, DEFAULT_PAUSE_AFTER_FAILURES,
    DEFAULT_PROVIDER_TIMEOUT,
};
use crate::http::client::{Cidr, Edge};
use crate::http::state::SignupPolicy;
use crate::messages::model::{Channel, OptWords};
use crate::secrets::SecretKey;
use crate::startup::Application;
use crate::webhooks::{self, model::Schedule};
use anyhow::{Context, anyhow};
use clap::{Args, Parser, Subcommand};
use std::io::BufRead;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "switchboard", version, about)]
pub struct Cli {
    /// The SQLite database file (created if new).
    #[arg(long, global = true, env = "SWITCHBOARD_DB", default_value = DEFAULT_DB)]
    db: PathBuf,

    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the HTTP server (the default).
    Serve(ServeArgs),
    /// Create accounts and change their plans.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Create, list and revoke API keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Write a consistent copy of the database to FILE (a new file), also while a server
    /// runs on it.
    Backup {
        /// Where the copy goes; must not exist.
        file: PathBuf,
    },
    /// Seal channel secrets at rest with an operator's key, or change the key.
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// Fill an account with demo people (names, phones, emails, tags, attributes,
    /// locations, stages, birth dates, some WhatsApp history). The account is created, with
    /// a password and an API key printed, if it does not exist.
    Demo {
        /// How many people to add.
        #[arg(long, default_value_t = 1000)]
        contacts: u64,
        #[arg(long, default_value = "demo@example.com")]
        email: String,
        /// The same seed and count give the same people.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "SWITCHBOARD_BIND", default_value = DEFAULT_BIND)]
    bind: String,
    /// Let anyone sign up on the admin page, not only the first person.
    #[arg(long, env = "SWITCHBOARD_OPEN_SIGNUP")]
    open_signup: bool,
    /// Plan of accounts created by open sign-up.
    #[arg(long, env = "SWITCHBOARD_SIGNUP_PLAN", default_value = "trial", value_parser = parse_plan)]
    signup_plan: Plan,
    /// A reverse proxy whose X-Forwarded-For and X-Forwarded-Proto are believed: an address
    /// or CIDR network (repeatable; the variable takes a comma-separated list).
    #[arg(
        long = "trusted-proxy",
        env = "SWITCHBOARD_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_name = "CIDR",
        value_parser = Cidr::parse
    )]
    trusted_proxies: Vec<Cidr>,
    /// A file holding the key (64 hex digits, from `secrets new-key`) that seals channel
    /// secrets at rest, kept outside the database and its backups. Without it, secrets are
    /// stored as given.
    #[arg(long, env = "SWITCHBOARD_SECRET_KEY_FILE", value_name = "FILE")]
    secret_key_file: Option<PathBuf>,
    /// Always mark the admin session cookie Secure (set it when the server is reached over
    /// HTTPS only); otherwise only when a trusted proxy says the request came over HTTPS.
    #[arg(long, env = "SWITCHBOARD_SECURE_COOKIES")]
    secure_cookies: bool,
    /// HTTP worker threads (default: three per core).
    #[arg(long, env = "SWITCHBOARD_WORKERS")]
    workers: Option<usize>,
    /// Region assumed for phone numbers written without a country code (e.g. IN, US).
    #[arg(long, env = "SWITCHBOARD_DEFAULT_REGION")]
    default_region: Option<String>,
    /// Broadcast messages per second per account (0: unpaced).
    #[arg(long, env = "SWITCHBOARD_BROADCAST_RATE", default_value_t = DEFAULT_BROADCAST_RATE)]
    broadcast_rate: u32,
    /// A running broadcast pauses after this many of its messages failed in a row (0: never).
    #[arg(long, env = "SWITCHBOARD_BROADCAST_PAUSE_AFTER", default_value_t = DEFAULT_PAUSE_AFTER_FAILURES)]
    broadcast_pause_after: u32,
    /// Hours after a broadcast message in which its recipient's message counts as a reply
    /// in the broadcast's report.
    #[arg(long, env = "SWITCHBOARD_REPLY_WINDOW_HOURS", default_value_t = DEFAULT_REPLY_WINDOW_HOURS,
          value_parser = clap::value_parser!(i64).range(1..=720))]
    reply_window_hours: i64,
    /// Provider calls of one account in flight at once: a slow provider holds no more of
    /// its account's messages, and never another account's (at least rate × latency).
    #[arg(long, env = "SWITCHBOARD_IN_FLIGHT_PER_ACCOUNT", default_value_t = DEFAULT_IN_FLIGHT_PER_ACCOUNT)]
    in_flight_per_account: usize,
    /// Seconds a provider call may take in all; past it the message ends `failed` with
    /// `outcome_unknown` (the provider may have sent it), never resent on its own.
    #[arg(long, env = "SWITCHBOARD_PROVIDER_TIMEOUT", default_value_t = DEFAULT_PROVIDER_TIMEOUT)]
    provider_timeout: u64,
    /// Where a provider's API is, instead of its public address: CHANNEL=URL (repeatable;
    /// the variable takes a comma-separated list), for a proxy, an air-gapped install or a
    /// test stand-in.
    #[arg(
        long = "provider-url",
        env = "SWITCHBOARD_PROVIDER_URLS",
        value_delimiter = ',',
        value_name = "CHANNEL=URL",
        value_parser = ProviderUrls::parse_entry
    )]
    provider_urls: Vec<(Channel, String)>,
    /// Incoming texts that opt a person out of broadcasts (comma-separated, any case).
    #[arg(
        long,
        env = "SWITCHBOARD_STOP_WORDS",
        value_delimiter = ',',
        default_value = "STOP,UNSUBSCRIBE"
    )]
    stop_words: Vec<String>,
    /// Incoming texts that opt a person back in.
    #[arg(
        long,
        env = "SWITCHBOARD_START_WORDS",
        value_delimiter = ',',
        default_value = "START"
    )]
    start_words: Vec<String>,
    /// The waits before each attempt to deliver a webhook event, the first being the first
    /// attempt's; the event is given up after the last (units ms, s, m, h, d).
    #[arg(
        long,
        env = "SWITCHBOARD_WEBHOOK_RETRY_SCHEDULE",
        default_value = "0,5s,5m,30m,2h,5h,10h,10h",
        value_parser = Schedule::parse
    )]
    webhook_retry_schedule: Schedule,
    /// Let webhook URLs reach loopback, private and link-local addresses (local
    /// development and tests only: a tenant could then probe the server's network).
    #[arg(long, env = "SWITCHBOARD_ALLOW_PRIVATE_WEBHOOK_URLS")]
    allow_private_webhook_urls: bool,
    /// A replicator (Litestream) checkpoints the WAL: this server then never runs a
    /// checkpoint that waits for readers or truncates the WAL (docs/replication.md).
    #[arg(long, env = "SWITCHBOARD_WAL_MANAGED_EXTERNALLY")]
    wal_managed_externally: bool,
    /// Days a delivered webhook event (and its delivery log) is kept.
    #[arg(long, env = "SWITCHBOARD_WEBHOOK_RETENTION_DAYS", default_value_t = 7)]
    webhook_retention_days: u64,
}

#[derive(Subcommand, Debug)]
enum AccountCommand {
    /// Create an account; the password is read from the first line of standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "trial", value_parser = parse_plan)]
        plan: Plan,
    },
    /// Change an account's plan.
    SetPlan {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = parse_plan)]
        plan: Plan,
    },
    /// Override the plan's limits for one account: a number, or `plan` for the plan's own.
    SetLimits {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = parse_limit)]
        per_minute: Option<Limit>,
        #[arg(long, value_parser = parse_limit)]
        per_day: Option<Limit>,
        #[arg(long, value_parser = parse_limit)]
        segments: Option<Limit>,
        /// Contacts and clients stored at once.
        #[arg(long, value_parser = parse_limit)]
        contacts: Option<Limit>,
        /// Messages stored at once.
        #[arg(long, value_parser = parse_limit)]
        messages: Option<Limit>,
    },
}

#[derive(Subcommand, Debug)]
enum SecretsCommand {
    /// Print a new random key (64 hex digits) for a key file.
    NewKey,
    /// Seal every channel secret stored in clear with the key in FILE (also while a server
    /// runs on the database; restart it with --secret-key-file FILE).
    Seal {
        #[arg(long, value_name = "FILE")]
        secret_key_file: PathBuf,
    },
    /// Open every sealed secret with the old key and seal it with the new one.
    Rekey {
        #[arg(long, value_name = "FILE")]
        old_key_file: PathBuf,
        #[arg(long, value_name = "FILE")]
        secret_key_file: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum KeyCommand {
    /// Create a key; it is printed alone on the last line of standard output.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
    },
    /// List an account's keys (never their secrets).
    List {
        #[arg(long)]
        email: String,
    },
    /// Revoke a key; it stops working at once.
    Revoke {
        #[arg(long)]
        id: i64,
    },
}

/// A limit override: a number, or back to the plan's value.
#[derive(Debug, Clone, Copy)]
struct Limit(Option<u32>);

fn parse_plan(s: &str) -> Result<Plan, String> {
    s.parse()
}

fn parse_limit(s: &str) -> Result<Limit, String> {
    if s == "plan" {
        return Ok(Limit(None));
    }
    s.parse()
        .map(|n| Limit(Some(n)))
        .map_err(|_| format!("expected a whole number or `plan`, got {s:?}"))
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => serve(&cli.db, cli.serve),
        Some(Command::Serve(args)) => serve(&cli.db, args),
        Some(Command::Account(cmd)) => account(&cli.db, cmd),
        Some(Command::Key(cmd)) => key(&cli.db, cmd),
        Some(Command::Secrets(cmd)) => secrets(&cli.db, cmd),
        Some(Command::Demo {
            contacts,
            email,
            seed,
        }) => demo(&cli.db, &email, contacts, seed),
        Some(Command::Backup { file }) => {
            let copy = db::backup(&cli.db, &file)?;
            println!(
                "Backed up {} to {}: {} bytes, schema version {}; accounts: {}, contacts and clients: {}, messages: {}; check ok.",
                cli.db.display(),
                file.display(),
                copy.bytes,
                copy.schema_version,
                copy.accounts,
                copy.contacts,
                copy.messages
            );
            Ok(())
        }
    }
}

fn demo(db: &std::path::Path, email: &str, contacts: u64, seed: u64) -> anyhow::Result<()> {
    let conn = db::open_single(db)?;
    let started = std::time::Instant::now();
    let filled = crate::demo::fill(&conn, email, contacts, seed)?;
    println!(
        "Added {} demo people and {} messages to account {} ({email}) in {:.1} s.",
        filled.people,
        filled.messages,
        filled.account_id,
        started.elapsed().as_secs_f64()
    );
    if let (Some(password), Some(key)) = (filled.password, filled.key) {
        println!("Created the account: sign in on the admin page with password {password}");
        println!("Its API key (shown only now):");
        println!("{key}");
    }
    Ok(())
}

fn serve(db: &std::path::Path, args: ServeArgs) -> anyhow::Result<()> {
    let mut provider_urls = ProviderUrls::default();
    for (channel, url) in &args.provider_urls {
        provider_urls.set(*channel, url);
    }
    let secret_key = match &args.secret_key_file {
        Some(file) => Some(SecretKey::from_file(file)?),
        None => {
            log::warn!(
                "channel secrets are stored in the database as given: start with \
                 --secret-key-file (and run `switchboard secrets seal`) to seal them"
            );
            None
        }
    };
    let config = Config {
        secret_key,
        provider_urls,
        edge: Edge {
            trusted_proxies: args.trusted_proxies.clone(),
            secure_cookies: args.secure_cookies,
        },
        signup: SignupPolicy {
            open: args.open_signup,
            plan: args.signup_plan,
        },
        workers: args.workers,
        default_region: args.default_region.clone(),
        delivery: delivery::Settings {
            broadcast_rate: args.broadcast_rate,
            pause_after_failures: args.broadcast_pause_after,
            in_flight_per_account: args.in_flight_per_account,
            provider_timeout: std::time::Duration::from_secs(args.provider_timeout.max(1)),
            ..delivery::Settings::default()
        },
        opt_words: OptWords::new(&args.stop_words, &args.start_words),
        reply_window: args.reply_window_hours * 3600,
        wal: match args.wal_managed_externally {
            true => crate::db::WalCheckpoints::External,
            false => crate::db::WalCheckpoints::Ours,
        },
        webhooks: webhooks::Settings {
            policy: webhooks::outbox::Policy {
                schedule: args.webhook_retry_schedule.clone(),
                ..webhooks::Settings::default().policy
            },
            destinations: webhooks::Destinations {
                allow_private: args.allow_private_webhook_urls,
            },
            retention: std::time::Duration::from_secs(args.webhook_retention_days.max(1) * 86_400),
            ..webhooks::Settings::default()
        },
        ..Config::new(args.bind.clone(), db)
    };
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(&config)?;
        let host = args.bind.rsplit_once(':').map_or("127.0.0.1", |(h, _)| h);
        let base = format!("http://{host}:{}", app.port());
        println!(
            "Switchboard {} is listening on {base}",
            env!("CARGO_PKG_VERSION")
        );
        println!("Database: {}", config.db.display());
        println!("Admin page: {base}/admin");
        if !app.has_accounts() {
            println!(
                "No account yet: the first person to sign up on the admin page owns this server."
            );
        }
        Ok(app.run_until_stopped().await?)
    })
}

fn secrets(db: &std::path::Path, cmd: SecretsCommand) -> anyhow::Result<()> {
    let (from, to) = match cmd {
        SecretsCommand::NewKey => {
            println!("{}", SecretKey::generate());
            return Ok(());
        }
        SecretsCommand::Seal { secret_key_file } => (None, SecretKey::from_file(&secret_key_file)?),
        SecretsCommand::Rekey {
            old_key_file,
            secret_key_file,
        } => (
            Some(SecretKey::from_file(&old_key_file)?),
            SecretKey::from_file(&secret_key_file)?,
        ),
    };
    let mut conn = db::open_single(db)?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let sealed = crate::channels::store::reseal(&tx, from.as_ref(), &to)?;
    let signing = webhooks::store::reseal(&tx, from.as_ref(), &to)?;
    tx.commit()?;
    println!("Sealed the secrets of {sealed} channel settings and {signing} webhooks.");
    Ok(())
}

fn read_password() -> anyhow::Result<NewPassword> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    NewPassword::parse(password)
        .map_err(|e| anyhow!("{} (read from the first line of standard input)", e.message))
}

fn find(conn: &rusqlite::Connection, email: &str) -> anyhow::Result<store::Account> {
    store::find_account_by_email(conn, email)?
        .map(|(account, _)| account)
        .with_context(|| format!("no account with email {email}"))
}

fn account(db: &std::path::Path, cmd: AccountCommand) -> anyhow::Result<()> {
    match cmd {
        AccountCommand::Create { email, plan } => {
            let email = Email::parse(&email)?;
            let password = read_password()?;
            let hash = password::hash(password.expose())?;
            let conn = db::open_single(db)?;
            let account = store::create_account(&conn, &email, &hash, plan, clock::now())?;
            println!(
                "Created account {} ({}, plan {}).",
                account.id, account.email, account.plan
            );
        }
        AccountCommand::SetPlan { email, plan } => {
            let conn = db::open_single(db)?;
            store::set_plan(&conn, &email, plan)?;
            println!("{email} is now on the {plan} plan.");
        }
        AccountCommand::SetLimits {
            email,
            per_minute,
            per_day,
            segments,
            contacts,
            messages,
        } => {
            let conn = db::open_single(db)?;
            let current = find(&conn, &email)?.overrides;
            let pick = |new: Option<Limit>, old| new.map_or(old, |Limit(v)| v);
            let overrides = Overrides {
                per_minute: pick(per_minute, current.per_minute),
                per_day: pick(per_day, current.per_day),
                segments: pick(segments, current.segments),
                contacts: pick(contacts, current.contacts),
                messages: pick(messages, current.messages),
            };
            store::set_overrides(&conn, &email, overrides)?;
            let account = find(&conn, &email)?;
            println!("{email}: limits now {:?}", account.limits());
        }
    }
    Ok(())
}

fn key(db: &std::path::Path, cmd: KeyCommand) -> anyhow::Result<()> {
    let conn = db::open_single(db)?;
    match cmd {
        KeyCommand::Create { email, name } => {
            let account = find(&conn, &email)?;
            let issued = keys::issue(&conn, account.id, name.as_deref(), clock::now())?;
            println!(
                "Created key {} ({:?}) for {}. It is shown only now; store it safely:",
                issued.record.id, issued.record.name, account.email
            );
            println!("{}", issued.secret);
        }
        KeyCommand::List { email } => {
            let account = find(&conn, &email)?;
            let keys = store::list_keys(&conn, account.id)?;
            let time = |t: Option<i64>| t.map_or_else(|| "-".to_string(), clock::rfc3339);
            println!(
                "{:<6} {:<20} {:<16} {:<22} {:<22} REVOKED",
                "ID", "NAME", "PREFIX", "CREATED", "LAST USED"
            );
            for k in keys {
                println!(
                    "{:<6} {:<20} {:<16} {:<22} {:<22} {}",
                    k.id,
                    k.name,
                    k.prefix,
                    clock::rfc3339(k.created_at),
                    time(k.last_used_at),
                    time(k.revoked_at)
                );
            }
        }
        KeyCommand::Revoke { id } => {
            store::revoke_key(&conn, None, id, clock::now())?;
            println!("Revoked key {id}.");
        }
    }
    Ok(())
}
