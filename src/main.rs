//! `waldur-offering-users`: parse the command line, find the database, run the command.

use std::io::Read;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use tokio::net::TcpListener;

use sqlx::ConnectOptions;
use waldur_offering_users::cli::demo_tokens::{demo_tokens, DemoToken};
use waldur_offering_users::cli::progress::ProgressView;
use waldur_offering_users::config::{Cli, Command, HealthArgs, ImportArgs, ServeArgs};
use waldur_offering_users::db::{self, url, Database, DatabaseError, SessionLimits};
use waldur_offering_users::directory::ImportOptions;
use waldur_offering_users::http::Settings;
use waldur_offering_users::lifecycle::exit::Exit;
use waldur_offering_users::lifecycle::startup::{self, Plan, Schema, StartError, StartupStatus};
use waldur_offering_users::lifecycle::stdio::say;
use waldur_offering_users::lifecycle::{signals, stdio};
use waldur_offering_users::server::{self, Listeners, Ready, Transport};
use waldur_offering_users::telemetry::LogFormat;
use waldur_offering_users::{directory, exposure, healthcheck, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    stdio::fill_closed_standard_descriptors();
    let cli = Cli::parse();
    if cli.log_format == LogFormat::Json {
        stdio::write_json_lines();
    }
    // The probe needs no database (and must not start the embedded one).
    if let Command::Health(args) = &cli.command {
        return health(args).await.into();
    }
    // A usage error, found before any database is touched.
    if let Command::Serve(args) = &cli.command {
        if let Some(refusal) = exposure::refusal(&args.bind, args.links.public_url.as_ref(), &args.links.allowed_hosts)
        {
            return Exit::Usage.after(format_args!("{refusal}")).into();
        }
    }
    telemetry::init(cli.log_format);
    let database = match Database::resolve(&cli.database) {
        Ok(database) => database,
        Err(e @ DatabaseError::NoDatabase) => {
            return Exit::Usage.after(format_args!("{e}")).into();
        }
        Err(e @ DatabaseError::Locked(_)) => {
            return Exit::DataDirectoryLocked.after(format_args!("error: {e}")).into();
        }
        Err(e) => {
            return Exit::Usage.after(format_args!("error: {e}")).into();
        }
    };
    // Migrations go to DATABASE_MIGRATION_URL when it is set (PostgreSQL itself, when
    // DATABASE_URL is a transaction-pooling PgBouncer), else where everything else goes.
    let schema = match cli.database.migration_database_url.as_deref().filter(|u| !u.is_empty()) {
        None => Schema::Migrate { options: Box::new(database.options.clone()), separate: false },
        Some(given) => match db::refuse_unsupported(given)
            .map_err(|e| format!("DATABASE_MIGRATION_URL: {e}"))
            .and_then(|()| url::parse("DATABASE_MIGRATION_URL", given).map_err(|e| e.to_string()))
        {
            Ok(checked) => Schema::Migrate { options: Box::new(checked.options), separate: true },
            Err(e) => {
                return Exit::Usage.after(format_args!("error: {e}")).into();
            }
        },
    };
    let schema = match &cli.command {
        Command::Serve(args) if args.no_migrate => Schema::WaitForMigrations,
        _ => schema,
    };
    let uses_database_url = !matches!(cli.command, Command::Migrate);
    let plan = Plan { schema, database_wait: cli.database.database_wait, uses_database_url };
    // A second SIGINT/SIGTERM (the first, for commands without a graceful stop) exits at once:
    // the embedded cluster is told to stop first, or it would run on without its server.
    let cluster = database.cluster.clone();
    let graceful = matches!(cli.command, Command::Serve(_));
    let stop = match signals::install(graceful, move || {
        if let Some(cluster) = cluster {
            cluster.stop_now();
        }
    }) {
        Ok(stop) => stop,
        Err(e) => {
            return Exit::Failure.after(format_args!("error: cannot handle signals: {e}")).into();
        }
    };
    let (exit, deadline) = match cli.command {
        Command::Serve(args) => serve(&database, &plan, *args, stop).await,
        command => (run(command, &database, &plan).await, None),
    };
    // What is left of the shutdown's deadline, or the time a command's end may take.
    let left = deadline
        .map_or(std::time::Duration::from_secs(30), |d| d.saturating_duration_since(tokio::time::Instant::now()));
    database.shutdown(left);
    exit.into()
}

/// The exit code of a start-up that failed.
fn start_failed(e: &StartError) -> Exit {
    let exit = match e {
        StartError::Embedded(_) => Exit::Failure,
        // A refusal (authentication, TLS required, no such database) is a setting to fix.
        StartError::Unreachable(e) if e.refused => Exit::Usage,
        StartError::Unreachable(_) => Exit::DatabaseUnreachable,
        StartError::Migration(_) => Exit::MigrationFailed,
    };
    exit.after(format_args!("error: {e}"))
}

/// `migrate` and `import`: the database made ready, then the command.
async fn run(command: Command, database: &Database, plan: &Plan) -> Exit {
    if let Err(e) = startup::prepare(database, plan, &StartupStatus::default()).await {
        return start_failed(&e);
    }
    match command {
        Command::Migrate => {
            say(format_args!("migrations applied"));
            Exit::Success
        }
        Command::Import { file, options } => {
            let mut view = ProgressView::new();
            let text = if file.as_os_str() == "-" {
                let mut text = String::new();
                std::io::stdin().read_to_string(&mut text).map(|_| text)
            } else {
                std::fs::read_to_string(&file)
            };
            let text = match text {
                Ok(text) => text,
                Err(e) => {
                    return Exit::Failure.after(format_args!("error: cannot read {}: {e}", file.display()));
                }
            };
            view.line(format_args!("read {} ({:.1} MB)", file.display(), text.len() as f64 / 1e6));
            // One statement per kind (per 20,000 offering users) takes seconds on a large
            // document: sqlx's slow-statement warnings would only interrupt the progress.
            match db::connect(database.options.clone().disable_statement_logging(), 2).await {
                Ok(pool) => import_text(&pool, &text, options, &mut view).await,
                Err(e) => Exit::DatabaseUnreachable.after(format_args!("error: {e}")),
            }
        }
        Command::Serve(_) | Command::Health(_) => unreachable!("handled by main"),
    }
}

/// `health`: exit 0 when the server answers its readiness check with 200 in time, else 1
/// (also for a URL that cannot be probed: Docker reserves exit code 2).
async fn health(args: &HealthArgs) -> Exit {
    let target = match healthcheck::target(args.url.as_deref(), &args.bind) {
        Ok(target) => target,
        Err(e) => return Exit::Failure.after(format_args!("error: {e}")),
    };
    match healthcheck::probe(&target, args.timeout).await {
        Ok(200) => {
            say(format_args!("ready: {} answered 200", target.url()));
            Exit::Success
        }
        Ok(status) => Exit::Failure.after(format_args!("not ready: {} answered {status}", target.url())),
        Err(e) => Exit::Failure.after(format_args!("not ready: {}: {e}", target.url())),
    }
}

async fn import_text(pool: &sqlx::PgPool, text: &str, args: ImportArgs, view: &mut ProgressView) -> Exit {
    let options = ImportOptions { dry_run: args.dry_run, overwrite_offering_users: args.overwrite_offering_users };
    let started = Instant::now();
    view.status(format_args!("parsing…"));
    let result = match directory::parse(text) {
        Ok(doc) => {
            view.line(format_args!("parsed"));
            directory::import_with(pool, &doc, options, &mut |event| view.show(event)).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(summary) => {
            view.line(format_args!("{}", if summary.dry_run { "rolled back (dry run)" } else { "committed" }));
            say(format_args!("{}", summary.to_string().trim_end()));
            let what = if summary.dry_run { "dry run done" } else { "imported" };
            say(format_args!("{what} in {:.2} s", started.elapsed().as_secs_f64()));
            Exit::Success
        }
        Err(e) => {
            view.clear();
            Exit::Failure.after(format_args!("import failed, nothing written: {e}"))
        }
    }
}

/// `serve`: the listeners first, then the database (`lifecycle::startup`), then the API until
/// a stop is requested. Returns the exit and the shutdown's deadline, if it got that far.
async fn serve(
    database: &Database,
    plan: &Plan,
    args: ServeArgs,
    stop: signals::StopRequest,
) -> (Exit, Option<tokio::time::Instant>) {
    // Client connections, pool connections, the monitor's and the fold's, and a margin for
    // listeners, logs and the embedded cluster's pipes.
    let descriptors = args.limits.max_connections as u64 + u64::from(args.pool_size) + 64;
    waldur_offering_users::fd_limit::raise_open_file_limit(descriptors);
    let listener = match TcpListener::bind(&args.bind).await {
        Ok(listener) => listener,
        Err(e) => {
            return (Exit::Usage.after(format_args!("error: cannot listen on {}: {e}", args.bind)), None);
        }
    };
    let admin = match args.admin_bind.as_str() {
        "off" | "" => None,
        address => match TcpListener::bind(address).await {
            Ok(listener) => Some(listener),
            Err(e) => {
                return (
                    Exit::Usage.after(format_args!(
                        "error: cannot listen on {address} (--admin-bind; `off` disables it): {e}"
                    )),
                    None,
                );
            }
        },
    };
    let address = listener.local_addr().map(|a| a.to_string()).unwrap_or(args.bind.clone());
    say(format_args!("serving http://{address}/api/marketplace-offering-users/"));
    if let Some(admin) = admin.as_ref().and_then(|l| l.local_addr().ok()) {
        say(format_args!("metrics and health on http://{admin}/metrics"));
    }
    let status = StartupStatus::default();
    let ready = async {
        startup::prepare(database, plan, &status).await.map_err(|e| start_failed(&e))?;
        let limits = SessionLimits {
            statement_timeout: args.limits.statement_timeout,
            idle_in_transaction_timeout: args.limits.idle_in_transaction_timeout,
        };
        let pool = db::connect(db::limit_sessions(database.options.clone(), limits), args.pool_size)
            .await
            .map_err(|e| Exit::DatabaseUnreachable.after(format_args!("error: {e}")))?;
        if args.demo {
            import_demo(&pool).await?;
        }
        tracing::info!("ready");
        Ok(Ready { pool, options: database.options.clone(), connect_timeout: database.connect_timeout })
    };
    let transport = Transport::from_args(&args.limits);
    let listeners = Listeners { api: listener, admin };
    let settings = Settings::from_args(&args);
    match server::start_and_run(status.clone(), ready, settings, transport, listeners, stop.requested()).await {
        Ok(deadline) => (Exit::Success, Some(deadline)),
        Err(exit) => (exit, None),
    }
}

/// `serve --demo`: the demo directory imported, its tokens printed.
async fn import_demo(pool: &sqlx::PgPool) -> Result<(), Exit> {
    match directory::import_demo(pool).await {
        Ok(summary) => say(format_args!("{}", summary.to_string().trim_end())),
        Err(e) => {
            return Err(Exit::Failure.after(format_args!("error: {e}")));
        }
    }
    say(format_args!("demo tokens (send as 'Authorization: Token <key>'):"));
    for DemoToken { username, token, what } in demo_tokens() {
        say(format_args!("  {username:<18} {token:<30} {what}"));
    }
    Ok(())
}
