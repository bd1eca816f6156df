//! Settings from flags and environment (`--help` documents each one).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::domain::user_attributes::{parse_default_attributes, UserAttribute};
use crate::telemetry::metrics::MetricsToken;
use crate::telemetry::LogFormat;

/// The command line of `waldur-offering-users`.
#[derive(Debug, Parser)]
#[command(
    name = "waldur-offering-users",
    version,
    about = "Waldur's /api/marketplace-offering-users/ API, reimplemented over PostgreSQL"
)]
pub struct Cli {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Log lines as plain text or one JSON object per line (to standard error).
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Listen, wait for the database, apply pending migrations, then serve the API until
    /// SIGINT/SIGTERM.
    Serve(Box<ServeArgs>),
    /// Apply pending migrations and exit.
    Migrate,
    /// Upsert a directory document (users, organisations, offerings, roles, …) in one transaction.
    Import {
        /// The JSON document to import; `-` reads standard input.
        file: PathBuf,
        #[command(flatten)]
        options: ImportArgs,
    },
    /// Ask a running server whether it is ready (GET /health/ready): exit 0 when it answers
    /// 200 in time, 1 otherwise. A container health check that needs no curl.
    Health(HealthArgs),
}

/// Flags of `import` (docs/spec/decisions.md item 32).
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct ImportArgs {
    /// Run the whole import and roll it back: print what it would create, update and leave
    /// alone, write nothing.
    #[arg(long, env = "IMPORT_DRY_RUN")]
    pub dry_run: bool,
    /// Replace what the API made of existing offering users (state, username, restriction,
    /// comments) by the document's values; every change writes an audit event. Without it an
    /// existing offering user keeps them.
    #[arg(long, env = "IMPORT_OVERWRITE_OFFERING_USERS")]
    pub overwrite_offering_users: bool,
}

/// Settings of `health`.
#[derive(Debug, Clone, Args)]
pub struct HealthArgs {
    /// The URL to probe (plain http://). Unset: /health/ready on the listen address below,
    /// 0.0.0.0 and [::] read as loopback.
    #[arg(long, env = "HEALTHCHECK_URL")]
    pub url: Option<String>,
    /// The server's listen address, as `serve --bind` takes it.
    #[arg(long = "bind", env = "BIND_ADDR", default_value = "127.0.0.1:8000")]
    pub bind: String,
    /// Time the server has to answer, connection included.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub timeout: Duration,
}

/// Where the data lives.
#[derive(Clone, Args)]
pub struct DatabaseArgs {
    /// PostgreSQL connection URL. Without it the server runs its own embedded cluster
    /// (see --data-dir) from the PostgreSQL binaries installed on the machine. Takes libpq's
    /// `connect_timeout` (seconds, default 10) and `application_name` (default the program's
    /// name); an unknown parameter is refused. Pass the password by environment (this
    /// variable, PGPASSWORD) or a password file (PGPASSFILE, ~/.pgpass), never as a flag.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// PostgreSQL connection URL for the migrations every command applies first, when they
    /// must not go through DATABASE_URL: behind PgBouncer in transaction mode, whose pooled
    /// sessions would keep the migrations' advisory lock. Unset: DATABASE_URL.
    #[arg(long, env = "DATABASE_MIGRATION_URL", global = true, hide_env_values = true)]
    pub migration_database_url: Option<String>,
    /// Data directory of the embedded PostgreSQL cluster, used when DATABASE_URL is unset.
    #[arg(long, env = "WALDUR_DATA_DIR", default_value = "./.data/postgres", global = true)]
    pub data_dir: PathBuf,
    /// How long PostgreSQL has to answer at start-up (retried with backoff, each attempt
    /// bounded by `connect_timeout`); then the command exits with code 3.
    #[arg(long, env = "DATABASE_WAIT", default_value = "60s", value_parser = parse_duration, global = true)]
    pub database_wait: Duration,
}

// The URL may carry a password: never print it.
impl std::fmt::Debug for DatabaseArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseArgs")
            .field("database_url", &self.database_url.as_ref().map(|_| "<redacted>"))
            .field("migration_database_url", &self.migration_database_url.as_ref().map(|_| "<redacted>"))
            .field("data_dir", &self.data_dir)
            .field("database_wait", &self.database_wait)
            .finish()
    }
}

/// Settings of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long = "bind", env = "BIND_ADDR", default_value = "127.0.0.1:8000")]
    pub bind: String,
    /// Import the bundled demo directory first and print its tokens. Refused when the
    /// database already holds users other than the demo's.
    #[arg(long)]
    pub demo: bool,
    /// Apply no migrations: wait (not ready meanwhile) until `migrate`, run as a job of its
    /// own, or a newer release has applied every migration this release knows.
    #[arg(long, env = "NO_MIGRATE", default_value_t = false,
          action = clap::ArgAction::Set, value_parser = parse_flag, num_args = 0..=1, default_missing_value = "true")]
    pub no_migrate: bool,
    /// Hide offering users from service providers until the user consents to the offering's
    /// active terms of service (list and retrieve only; staff, support and the user himself
    /// always see them).
    #[arg(long, env = "ENFORCE_USER_CONSENT_FOR_OFFERINGS", default_value_t = true,
          action = clap::ArgAction::Set, value_parser = parse_flag)]
    pub enforce_user_consent: bool,
    /// Hide offering users whose profile lacks an attribute that their offering's explicit
    /// exposure config names (list and retrieve only; staff, support and the user himself
    /// always see them), and fill `profile_field_warnings`.
    #[arg(long = "enforce-offering-user-profile-completeness", env = "ENFORCE_OFFERING_USER_PROFILE_COMPLETENESS",
          default_value_t = false, action = clap::ArgAction::Set, value_parser = parse_flag)]
    pub enforce_profile_completeness: bool,
    /// Comma-separated user attributes an offering without an explicit exposure config shows
    /// its service provider (username, full_name, email, phone_number, …; first_name and
    /// last_name count as full_name). Empty: username,full_name,email. An unknown name stops
    /// the server.
    #[arg(long = "default-offering-user-attributes", env = "DEFAULT_OFFERING_USER_ATTRIBUTES",
          default_value = "username,full_name,email", value_parser = parse_user_attributes)]
    pub default_offering_user_attributes: UserAttributes,
    /// Size of the database connection pool.
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value_t = 16)]
    pub pool_size: u32,
    /// Address of the management listener (`/metrics`, `/health/live`, `/health/ready`);
    /// `off` disables it.
    #[arg(long, env = "ADMIN_BIND", default_value = "127.0.0.1:9000")]
    pub admin_bind: String,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub links: LinkArgs,
    #[command(flatten)]
    pub cors: CorsArgs,
    #[command(flatten)]
    pub webhooks: WebhookArgs,
    /// Bearer token that `/metrics` on the management listener requires
    /// (`Authorization: Bearer <token>`, as Prometheus's `authorization` scrape setting sends);
    /// the health checks there stay open. Unset: `/metrics` needs none.
    #[arg(long, env = "METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<MetricsToken>,
    #[command(flatten)]
    pub amqp: AmqpArgs,
}

/// Publishing offering-user changes to RabbitMQ (AMQP 0-9-1); off unless `--amqp-url` is given.
#[derive(Debug, Clone, Args)]
pub struct AmqpArgs {
    /// RabbitMQ URL (`amqp://user:password@host:5672/%2f`, or `amqps://` for TLS): publish every
    /// offering-user change to it. Unset: nothing is published. Pass it by environment, never as
    /// a flag (a flag's password shows in the process list); it is never logged.
    #[arg(long, env = "AMQP_URL", hide_env_values = true, value_parser = parse_amqp_url)]
    pub amqp_url: Option<AmqpUrl>,
    /// The durable topic exchange the messages go to (declared if missing); routing key
    /// `offering.<offering uuid>.offering_user`.
    #[arg(long, env = "AMQP_EXCHANGE", default_value = "waldur.offering_users", value_parser = parse_exchange_name)]
    pub amqp_exchange: String,
    /// Time a connection to the broker (TCP, TLS, AMQP handshake, exchange declaration) may take.
    #[arg(long, env = "AMQP_CONNECT_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub amqp_connect_timeout: Duration,
    /// Time the broker has to confirm a message; then the publish counts as failed and is retried.
    #[arg(long, env = "AMQP_CONFIRM_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub amqp_confirm_timeout: Duration,
    /// Longest wait between two attempts to reach the broker (the wait doubles from 100ms up to it).
    #[arg(long, env = "AMQP_RETRY_MAX", default_value = "30s", value_parser = parse_duration)]
    pub amqp_retry_max: Duration,
}

/// A RabbitMQ URL. Its `Debug` and [`AmqpUrl::redacted`] hide the password; only
/// [`AmqpUrl::expose`] gives the URL itself, for the connection.
#[derive(Clone, PartialEq, Eq)]
pub struct AmqpUrl(String);

impl AmqpUrl {
    /// The URL with its password, to connect with. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL as logs may show it: the password replaced by `***`.
    pub fn redacted(&self) -> String {
        match url::Url::parse(&self.0) {
            Ok(mut url) => {
                if url.password().is_some() {
                    // Setting a password fails only on URLs without a host, refused at parse.
                    let _ = url.set_password(Some("***"));
                }
                url.to_string()
            }
            Err(_) => "<unparseable URL>".to_owned(),
        }
    }
}

impl std::fmt::Debug for AmqpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("AmqpUrl").field(&self.redacted()).finish()
    }
}

/// An `amqp://` or `amqps://` URL with a host. The error never repeats the value (it may
/// hold a password).
pub fn parse_amqp_url(value: &str) -> Result<AmqpUrl, String> {
    let value = value.trim();
    let url = url::Url::parse(value).map_err(|e| format!("not a URL ({e})"))?;
    if !matches!(url.scheme(), "amqp" | "amqps") || url.host_str().is_none_or(str::is_empty) {
        return Err("expected an amqp:// or amqps:// URL with a host".into());
    }
    if url.fragment().is_some() {
        return Err("expected a URL without fragment".into());
    }
    Ok(AmqpUrl(value.to_owned()))
}

/// An exchange name as RabbitMQ takes it: 1 to 127 letters, digits, `-`, `_`, `.` or `:`.
pub fn parse_exchange_name(value: &str) -> Result<String, String> {
    let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':');
    if value.is_empty() || value.len() > 127 || !value.chars().all(valid) {
        return Err(format!("{value:?}: expected 1 to 127 of A-Z a-z 0-9 - _ . :"));
    }
    if value.starts_with("amq.") {
        return Err(format!("{value:?}: names starting with amq. are the broker's own"));
    }
    Ok(value.to_owned())
}

/// How long and how much: the bounds that keep one client from taking the server down.
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Time a client has to send a request's headers before its connection is closed.
    #[arg(long, env = "HEADER_READ_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub header_read_timeout: Duration,
    /// Time a request may take, body included; then it is cancelled and answered 503, nothing
    /// it started committed (one already committing is waited for, at most the statement
    /// timeout and a second, then answered 500 "outcome unknown").
    #[arg(long, env = "REQUEST_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: Duration,
    /// Open connections at most; beyond it a new connection is answered 503 and closed.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 1000)]
    pub max_connections: usize,
    /// Requests in progress at most; beyond it a request is answered 503 with Retry-After at
    /// once instead of waiting.
    #[arg(long, env = "MAX_REQUESTS_IN_FLIGHT", default_value_t = 256)]
    pub max_in_flight: usize,
    /// At shutdown, time in-flight requests get to finish before the server stops anyway.
    #[arg(long, env = "SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub shutdown_timeout: Duration,
    /// Largest request body of every route but submit_answers (e.g. 256KiB, 1MB).
    #[arg(long, env = "MAX_BODY_SIZE", default_value = "256KiB", value_parser = parse_size)]
    pub max_body_size: usize,
    /// Largest submit_answers body, whatever the checklist's file questions allow.
    #[arg(long, env = "MAX_SUBMIT_ANSWERS_BODY_SIZE", default_value = "32MiB", value_parser = parse_size)]
    pub max_submit_body_size: usize,
    /// Bytes of submit_answers bodies held in memory at once, server-wide; a body that finds
    /// it spent is answered 503 with Retry-After.
    #[arg(long, env = "LARGE_BODY_BUDGET", default_value = "64MiB", value_parser = parse_size)]
    pub large_body_budget: usize,
    /// Bytes of uploaded files one checklist completion may hold in all.
    #[arg(long, env = "CHECKLIST_FILES_QUOTA", default_value = "64MiB", value_parser = parse_size)]
    pub checklist_files_quota: usize,
    /// PostgreSQL `statement_timeout` of the API's connections.
    #[arg(long, env = "DATABASE_STATEMENT_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub statement_timeout: Duration,
    /// PostgreSQL `idle_in_transaction_session_timeout` of the API's connections.
    #[arg(long, env = "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub idle_in_transaction_timeout: Duration,
    /// Time a request body may pause between two reads (like nginx's client_body_timeout);
    /// then the request is answered 408 and its connection closed.
    #[arg(long, env = "BODY_READ_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub body_read_timeout: Duration,
    /// Time a response may wait for a client that stopped reading it; then the connection is
    /// closed.
    #[arg(long, env = "WRITE_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub write_timeout: Duration,
}

/// How hyperlinks are built and which `Host` values are served.
#[derive(Debug, Clone, Args)]
pub struct LinkArgs {
    /// The server's public address (e.g. https://waldur.example.org): the root of every
    /// hyperlink and `Link` header. Unset: taken from the request's `Host`.
    #[arg(long, env = "PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<url::Url>,
    /// Comma-separated `Host` values to serve (a port may follow); others get 400.
    /// Unset: any host.
    #[arg(long, env = "ALLOWED_HOSTS", value_delimiter = ',')]
    pub allowed_hosts: Vec<String>,
    /// Build hyperlinks from `X-Forwarded-Proto` and `X-Forwarded-Host` (only behind a proxy
    /// that sets them).
    #[arg(long, env = "TRUST_FORWARDED_HEADERS", default_value_t = false,
          action = clap::ArgAction::Set, value_parser = parse_flag, num_args = 0..=1, default_missing_value = "true")]
    pub trust_forwarded_headers: bool,
}

/// Web-hook delivery (README, "Events and web hooks").
#[derive(Debug, Clone, Args)]
pub struct WebhookArgs {
    /// Let hooks send to private, loopback and link-local addresses (refused by default: a
    /// hook must not reach into the server's own network).
    #[arg(long, env = "WEBHOOK_ALLOW_PRIVATE_DESTINATIONS", default_value_t = false,
          action = clap::ArgAction::Set, value_parser = parse_flag, num_args = 0..=1, default_missing_value = "true")]
    pub webhook_allow_private_destinations: bool,
    /// Time one delivery attempt may take, connection and response included.
    #[arg(long, env = "WEBHOOK_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub webhook_timeout: Duration,
    /// Time to connect to a receiver.
    #[arg(long, env = "WEBHOOK_CONNECT_TIMEOUT", default_value = "3s", value_parser = parse_duration)]
    pub webhook_connect_timeout: Duration,
    /// Deliveries this server sends at once.
    #[arg(long, env = "WEBHOOK_MAX_CONCURRENT", default_value_t = 16,
          value_parser = clap::value_parser!(u32).range(1..=256))]
    pub webhook_max_concurrent: u32,
    /// First pause after a failed delivery; doubled after each further failure of the hook.
    #[arg(long, env = "WEBHOOK_RETRY_BASE", default_value = "1s", value_parser = parse_duration)]
    pub webhook_retry_base: Duration,
    /// Longest pause between two attempts while a receiver keeps failing.
    #[arg(long, env = "WEBHOOK_RETRY_CAP", default_value = "5m", value_parser = parse_duration)]
    pub webhook_retry_cap: Duration,
    /// How often an idle server looks for events to deliver.
    #[arg(long, env = "WEBHOOK_POLL_INTERVAL", default_value = "100ms", value_parser = parse_duration)]
    pub webhook_poll_interval: Duration,
}

/// Which web pages of other origins may call the API from a browser.
#[derive(Debug, Clone, Args)]
pub struct CorsArgs {
    /// Comma-separated origins (`scheme://host[:port]`, e.g. https://waldur.example.org) whose
    /// pages may call the API from a browser (CORS). Unset: no CORS headers at all, so browsers
    /// let only pages of the server's own origin read its answers.
    #[arg(long, env = "CORS_ALLOWED_ORIGINS", value_delimiter = ',', value_parser = parse_origin)]
    pub cors_allowed_origins: Vec<String>,
}

/// `30s`, `500ms`, `2m`: humantime's spellings.
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    humantime::parse_duration(value.trim()).map_err(|e| e.to_string())
}

/// `262144`, `256KiB`, `32MiB`, `1MB`: a byte count.
pub fn parse_size(value: &str) -> Result<usize, String> {
    let size: bytesize::ByteSize = value.trim().parse()?;
    usize::try_from(size.as_u64()).map_err(|_| format!("{value} is too large"))
}

/// An absolute http(s) URL without query or fragment; a trailing slash is dropped.
pub fn parse_public_url(value: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(value.trim()).map_err(|e| e.to_string())?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("expected an http or https URL with a host".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("expected a URL without query or fragment".into());
    }
    Ok(url)
}

/// An http(s) origin as browsers send it in `Origin`: scheme, host and a port other than the
/// scheme's default, lowercase, without path (`https://Example.org:443/` → `https://example.org`).
/// An empty item is kept empty, and dropped by `Settings`: `CORS_ALLOWED_ORIGINS=` means none.
pub fn parse_origin(value: &str) -> Result<String, String> {
    if value.trim().is_empty() {
        return Ok(String::new());
    }
    let url = url::Url::parse(value.trim()).map_err(|e| format!("{value:?}: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!("{value:?}: expected an http or https origin with a host"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(format!("{value:?}: an origin is scheme://host[:port], without path, query or user"));
    }
    Ok(url.origin().ascii_serialization())
}

/// The attributes of `DEFAULT_OFFERING_USER_ATTRIBUTES`, parsed (docs/spec/offering-users-2026.md §4.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAttributes(pub Vec<UserAttribute>);

/// `username,first_name,email`: the setting's names, `first_name`/`last_name` read as
/// `full_name`; an unknown name is refused, naming it.
pub fn parse_user_attributes(value: &str) -> Result<UserAttributes, String> {
    parse_default_attributes(value).map(UserAttributes)
}

/// Accepts the spellings people use for booleans in environment variables.
pub fn parse_flag(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        other => Err(format!("expected true or false, got {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_amqp_url, parse_exchange_name};

    #[test]
    fn an_amqp_url_never_shows_its_password() {
        let url = parse_amqp_url("amqp://guest:s3cret@127.0.0.1:5672/%2f").unwrap();
        assert_eq!(url.expose(), "amqp://guest:s3cret@127.0.0.1:5672/%2f");
        assert_eq!(url.redacted(), "amqp://guest:***@127.0.0.1:5672/%2f");
        let debug = format!("{url:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(debug.contains("guest:***@127.0.0.1"), "{debug}");
        // Without a password there is nothing to hide.
        let url = parse_amqp_url("amqps://broker.example.org/vhost").unwrap();
        assert_eq!(url.redacted(), "amqps://broker.example.org/vhost");
    }

    #[test]
    fn amqp_urls_and_exchange_names_are_checked_without_echoing_the_url() {
        for bad in ["http://guest:s3cret@host/", "amqp://", "not a url s3cret", "amqp://h/#s3cret"] {
            let error = parse_amqp_url(bad).unwrap_err();
            assert!(!error.contains("s3cret"), "{bad}: {error}");
        }
        assert!(parse_amqp_url("amqp://guest:guest@127.0.0.1:5672/%2f?heartbeat=10").is_ok());
        for good in ["waldur.offering_users", "a", "x-y_z.1:2"] {
            assert_eq!(parse_exchange_name(good).as_deref(), Ok(good));
        }
        for bad in ["", "amq.topic", "with space", "ünicode", &"x".repeat(128)] {
            assert!(parse_exchange_name(bad).is_err(), "{bad}");
        }
    }
}
