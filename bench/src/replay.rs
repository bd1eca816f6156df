//! The SQL behind each scenario: captured from the server's own statement log
//! (`RUST_LOG=sqlx::query=debug`), counted per request, replayed with `pgbench` at the same
//! concurrency, and explained with `EXPLAIN (ANALYZE, BUFFERS)`.
//!
//! sqlx logs every statement it executes with its full text (placeholders `$1…`, no values),
//! including `COMMIT`, but not the `BEGIN` it queues as a simple query: a transaction's
//! `BEGIN` is counted from its `COMMIT`. The parameter values are not logged; each `$n` is
//! given the value the scenario's request carries, recognised from the SQL around it
//! (`key_sha256 = $1` → the token's hash, `LIMIT $7` → the page size, …). A placeholder in an
//! unknown context makes the replay of that scenario fail with a message naming it, rather
//! than guess.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use uuid::Uuid;
use waldur_offering_users::db::{monitor, API_SESSION_SETTINGS};
use waldur_offering_users::store::counters;

/// One captured statement.
#[derive(Debug, Clone)]
pub(crate) struct Statement {
    pub sql: String,
}

impl Statement {
    pub(crate) fn is_commit(&self) -> bool {
        matches!(self.sql.trim().to_ascii_uppercase().as_str(), "COMMIT" | "ROLLBACK")
    }

    /// The first few words, for messages and reports.
    pub(crate) fn summary(&self) -> String {
        let words: Vec<&str> = self.sql.split_whitespace().take(6).collect();
        words.join(" ")
    }
}

/// The authentication statement every request starts with (it also computes the reach).
pub(crate) fn is_token_lookup(statement: &Statement) -> bool {
    statement.sql.contains("key_sha256 = $")
}

/// Removes ANSI colour sequences (in case the log is coloured).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Reads a Rust `Debug`-quoted string starting right after its opening quote.
fn unquote(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('0') => out.push('\0'),
                Some('u') => {
                    let code: String = chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                    if let Some(c) = u32::from_str_radix(&code, 16).ok().and_then(char::from_u32) {
                        out.push(c);
                    }
                }
                Some(other) => out.push(other),
                None => break,
            },
            c => out.push(c),
        }
    }
    out
}

/// The statements in a piece of server log, in order.
pub(crate) fn parse_log(log: &str) -> Vec<Statement> {
    let log = strip_ansi(log);
    let mut statements = Vec::new();
    // An event may span lines only inside its quoted fields, which are escaped; one per line.
    for line in log.lines() {
        let Some(at) = line.find("summary=\"") else { continue };
        let summary = unquote(&line[at + 9..]);
        let full = line.find("db.statement=\"").map(|at| unquote(&line[at + 14..])).unwrap_or_default();
        let sql = if full.trim().is_empty() { summary } else { full.trim().to_owned() };
        // The server's background fold of count deltas, its vacuum and the outage monitor's
        // probes belong to no request.
        if [counters::FOLD_SQL, counters::VACUUM_SQL, monitor::READ_ONLY_PROBE_SQL, monitor::MIGRATIONS_PROBE_SQL]
            .contains(&sql.as_str())
        {
            continue;
        }
        statements.push(Statement { sql });
    }
    statements
}

/// Statements the server executed for one request, plus the `BEGIN`s sqlx does not log.
pub(crate) fn statement_count(statements: &[Statement]) -> usize {
    statements.len() + statements.iter().filter(|s| s.is_commit()).count()
}

/// What a request of a scenario carries, for giving placeholders their values.
#[derive(Debug, Clone, Default)]
pub(crate) struct Values {
    pub caller_id: i64,
    pub token_hash: [u8; 32],
    pub offering_uuid: Option<Uuid>,
    pub states: Option<Vec<i16>>,
    pub query: Option<String>,
    pub is_restricted: Option<bool>,
    pub limit: i64,
    pub offset: i64,
    /// The record of a detail request (S4).
    pub record_uuid: Option<Uuid>,
    /// S6: the record comes from the pgbench variable `:id` (uuid built from it).
    pub pool_record: bool,
    /// S6: the transition's target and source states, and the audit action.
    pub target_state: Option<i16>,
    pub source_states: Option<Vec<i16>>,
    pub action: Option<String>,
    pub new_username: Option<String>,
}

/// A placeholder's value: a constant (SQL literal text), or an expression of pgbench variables.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    /// A literal value as text (unquoted), sent as a parameter.
    Const(String),
    /// SQL NULL.
    Null,
    /// SQL text inlined in place of the placeholder (uses pgbench variables).
    Expr(String),
    /// A column of the token statement's row, which the scripts keep with `\gset` (the
    /// caller's reach, computed by the server in that statement).
    Var(&'static str),
}

fn array<T: ToString>(items: &[T]) -> String {
    format!("{{{}}}", items.iter().map(ToString::to_string).collect::<Vec<_>>().join(","))
}

/// The value of `$n` in `sql`, from the text before it.
fn infer(sql: &str, n: usize, at: usize, v: &Values) -> Result<Value, String> {
    let before: String = sql[..at].split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_lowercase();
    let ends = |s: &str| before.ends_with(s);
    let record_uuid = || -> Result<Value, String> {
        if v.pool_record {
            Ok(Value::Expr(format!("('{}' || lpad(:id::text, 12, '0'))::uuid", crate::seed::POOL_UUID_PREFIX)))
        } else {
            v.record_uuid.map(|u| Value::Const(u.to_string())).ok_or("no record uuid".into())
        }
    };
    let normalized = sql.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_lowercase();
    // An audit insert, alone (`VALUES` of actor, record, action, old, new) or as the last
    // part of a write (`SELECT` of actor, the CTE's uuid, action, old, new, where the old
    // values may be built from the state labels).
    if let Some(insert) = normalized.find("insert into audit_events").filter(|&i| i < before.len()) {
        let position = before[insert..].matches('$').count();
        let standalone = normalized.starts_with("insert");
        let old_values = || Value::Const("{\"state\": \"Requested\"}".into());
        let new_values = || Value::Const(format!("{{\"state\": \"{}\"}}", v.action.as_deref().unwrap_or("")));
        let action = || v.action.clone().map(Value::Const).ok_or_else(|| "no audit action".to_owned());
        return match (standalone, position) {
            (_, 0) => Ok(Value::Const(v.caller_id.to_string())),
            (true, 1) => record_uuid(),
            (true, 2) | (false, 1) => action(),
            (false, 2) if ends("jsonb_build_object('state', (") => Ok(Value::Const(state_labels())),
            (true, 3) | (false, 2) => Ok(old_values()),
            (true, 4) | (false, 3) => Ok(new_values()),
            _ => Err(format!("audit insert has a ${n} at position {position}")),
        };
    }
    let value = if ends("key_sha256 =") {
        Value::Const(format!("\\x{}", hex::encode(v.token_hash)))
    } else if ends("ou.id =") || ends("where id =") {
        if !v.pool_record {
            return Err(format!("${n} is a record id outside S6"));
        }
        Value::Expr(":id".into())
    } else if ends("user_id =") {
        Value::Const(v.caller_id.to_string())
    } else if ends("ou.user_id = any(") {
        Value::Var("reach_users")
    } else if ends("ou.offering_id <> all(") {
        Value::Var("reach_closed_offerings")
    } else if ends("case when f.ids <@") {
        Value::Var("reach_offerings")
    } else if ends("o2.uuid =") {
        Value::Const(v.offering_uuid.ok_or("no offering uuid")?.to_string())
    } else if ends("o2.uuid = any(") {
        Value::Const(array(&[v.offering_uuid.ok_or("no offering uuid")?]))
    } else if ends("c.state = any(") {
        Value::Const(array(v.states.as_deref().ok_or("no state filter")?))
    } else if ends("and ou.offering_id = any(") {
        Value::Var("reach_customer_offerings")
    } else if ends("ou.offering_id = any(") {
        Value::Var("reach_offerings")
    } else if ends("array[ou.customer_id] && (") {
        Value::Var("reach_customers")
    } else if ends("array[ou.offering_id] && (") {
        Value::Var("reach_managed_offerings")
    } else if ends("o.uuid = any(") {
        Value::Const(array(&[v.offering_uuid.ok_or("no offering uuid")?]))
    } else if ends("is_restricted =") {
        Value::Const(v.is_restricted.ok_or("no is_restricted")?.to_string())
    } else if ends("ou.state = any(") && v.source_states.is_some() {
        Value::Const(array(v.source_states.as_deref().ok_or("no source states")?))
    } else if ends("ou.state = any(") {
        Value::Const(array(v.states.as_deref().ok_or("no state filter")?))
    } else if ends("ilike") || ends("search_text like (select lower(") {
        Value::Const(format!("%{}%", v.query.as_deref().ok_or("no query")?))
    } else if ends("limit") {
        Value::Const(v.limit.to_string())
    } else if ends("offset") {
        Value::Const(v.offset.to_string())
    } else if ends("ou.uuid =") {
        record_uuid()?
    } else if ends("rp.permission =") {
        Value::Const(waldur_offering_users::domain::permissions::UPDATE_USER.to_owned())
    } else if ends("t.permitted and") {
        Value::Const("true".into())
    } else if ends("set state =") {
        Value::Const(v.target_state.ok_or("no target state")?.to_string())
    } else if ends("and state = any(") {
        Value::Const(array(v.source_states.as_deref().ok_or("no source states")?))
    } else if ends("state = coalesce(") {
        Value::Const("5".into())
    } else if ends("case when") {
        // The username completes the creation: both comments are cleared.
        Value::Const("true".into())
    } else if ends("comment = coalesce(") || ends("comment_url = coalesce(") {
        Value::Null
    } else if ends("set username =") || ends("||") {
        // The new username, and the home directory derived from it (`… || $n::text`).
        Value::Const(v.new_username.clone().ok_or("no username")?)
    } else if ends("->> 'homedir_prefix',") {
        Value::Const(waldur_offering_users::domain::posix::DEFAULT_HOMEDIR_PREFIX.to_owned())
    } else {
        let tail: String = before.chars().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect();
        return Err(format!("unknown context for ${n}: \"…{tail}\""));
    };
    Ok(value)
}

/// Every state's label in stored order, as an SQL array literal.
fn state_labels() -> String {
    let labels = waldur_offering_users::domain::state::ALL_STATES.iter().map(|s| format!("\"{}\"", s.label()));
    format!("{{{}}}", labels.collect::<Vec<_>>().join(","))
}

/// Replaces every `$n` of `sql` through `render`.
fn substitute(sql: &str, mut render: impl FnMut(usize, usize) -> Result<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(sql.len());
    let bytes = sql.as_bytes();
    let mut i = 0;
    let mut in_quote = false;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\'' {
            in_quote = !in_quote;
        }
        if c == b'$' && !in_quote && i + 1 < bytes.len() && bytes[i + 1].is_ascii_digit() {
            let start = i;
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let n: usize = sql[start + 1..i].parse().map_err(|_| "bad placeholder")?;
            out.push_str(&render(n, start)?);
            continue;
        }
        out.push(c as char);
        i += 1;
    }
    Ok(out)
}

/// Quotes text as an SQL literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A pgbench script replaying `requests` (each: its statements and values). Constants go in
/// as pgbench variables (`-D`), so `-M prepared` sends them as parameters like sqlx does.
pub(crate) struct PgbenchScript {
    pub text: String,
    pub defines: Vec<(String, String)>,
}

pub(crate) fn pgbench_script(
    requests: &[(Vec<Statement>, Values)],
    pool: Option<(i64, i64)>,
) -> Result<PgbenchScript, String> {
    let mut text = String::new();
    let mut defines = Vec::new();
    if let Some((first_id, per_client)) = pool {
        // Each client walks its own slice of the pool, one record per script run.
        defines.push(("n".to_owned(), "0".to_owned()));
        let _ = writeln!(text, "\\set n :n + 1");
        let _ = writeln!(text, "\\set id {first_id} + :client_id * {per_client} + :n");
    }
    for (r, (statements, values)) in requests.iter().enumerate() {
        let mut need_begin = statements.iter().any(Statement::is_commit);
        for (s, statement) in statements.iter().enumerate() {
            if statement.is_commit() {
                let _ = writeln!(text, "COMMIT;");
                continue;
            }
            let sql = substitute(&statement.sql, |n, at| match infer(&statement.sql, n, at, values)? {
                Value::Const(c) => {
                    let name = format!("r{r}s{s}p{n}");
                    defines.push((name.clone(), c));
                    Ok(format!(":{name}"))
                }
                Value::Null => Ok("NULL".to_owned()),
                Value::Expr(e) => Ok(e),
                Value::Var(name) => Ok(format!(":{name}")),
            })
            .map_err(|e| format!("{e} in `{}`", statement.summary()))?;
            let sql = sql.split_whitespace().collect::<Vec<_>>().join(" ");
            if is_token_lookup(statement) {
                let _ = writeln!(text, "{sql} \\gset");
            } else {
                let _ = writeln!(text, "{sql};");
            }
            // The transaction starts right after authentication (the token lookup).
            if need_begin && is_token_lookup(statement) {
                let _ = writeln!(text, "BEGIN;");
                need_begin = false;
            }
        }
    }
    Ok(PgbenchScript { text, defines })
}

/// A PostgreSQL client (pgbench, psql) whose sessions carry the server's session settings
/// (generic plans, no parallel workers) in `PGOPTIONS`. Without them, PostgreSQL re-plans at
/// every execution a statement whose generic plan it costs higher than a custom one, which the
/// server never does: the replay and the plans explained would be another statement's.
fn planned_as_server(program: &str) -> Command {
    let settings: Vec<String> = API_SESSION_SETTINGS.iter().map(|(k, v)| format!("-c {k}={v}")).collect();
    let mut cmd = Command::new(program);
    cmd.env("PGOPTIONS", settings.join(" "));
    cmd
}

/// The pgbench command that replays `file` (the text of `script`) against `conninfo`.
fn pgbench_command(file: &Path, script: &PgbenchScript, conninfo: &str, clients: u32, seconds: u64) -> Command {
    let mut cmd = planned_as_server("pgbench");
    cmd.args(["-n", "-M", "prepared", "-c", &clients.to_string(), "-j", "2", "-T", &seconds.to_string(), "-f"])
        .arg(file);
    for (k, v) in &script.defines {
        cmd.arg("-D").arg(format!("{k}={v}"));
    }
    cmd.arg(conninfo);
    cmd
}

/// Runs pgbench; returns script executions per second.
pub(crate) fn run_pgbench(
    script: &PgbenchScript,
    dir: &Path,
    name: &str,
    conninfo: &str,
    clients: u32,
    seconds: u64,
) -> Result<f64, String> {
    let file = dir.join(format!("{name}.pgbench.sql"));
    std::fs::write(&file, &script.text).map_err(|e| e.to_string())?;
    let out = pgbench_command(&file, script, conninfo, clients, seconds)
        .output()
        .map_err(|e| format!("cannot run pgbench: {e} (install PostgreSQL's client tools)"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tps = stdout
        .lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.trim_start_matches("tps = ").split_whitespace().next())
        .and_then(|v| v.parse::<f64>().ok());
    let failed = stdout.lines().find(|l| l.contains("number of failed transactions")).unwrap_or("");
    if !out.status.success() || tps.is_none() {
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        return Err(format!("pgbench failed: {}", tail.into_iter().rev().collect::<Vec<_>>().join(" | ")));
    }
    if failed.contains("failed transactions: ") && !failed.contains(": 0 ") {
        eprintln!("  pgbench {name}: {failed}");
    }
    Ok(tps.unwrap_or(0.0))
}

/// A psql script that prepares `statement`, runs it five times (as the server's connections
/// do, warm), then explains the sixth run; `run_psql` plans it as the server does.
pub(crate) fn explain_script(
    label: &str,
    token: &Statement,
    statement: &Statement,
    values: &Values,
) -> Result<String, String> {
    let mut text = String::new();
    let _ = writeln!(text, "\\echo '### {label}'");
    // The token statement first, keeping its row (the caller's reach) in psql variables.
    let (sql, args) = prepared(token, values)?;
    let _ = writeln!(text, "PREPARE t AS {sql};");
    let _ = writeln!(text, "EXECUTE t{args} \\gset");
    let _ = writeln!(text, "DEALLOCATE t;");
    let (sql, args) = prepared(statement, values)?;
    let _ = writeln!(text, "PREPARE q AS {sql};");
    let _ = writeln!(text, "\\o /dev/null");
    for _ in 0..5 {
        let _ = writeln!(text, "EXECUTE q{args};");
    }
    let _ = writeln!(text, "\\o");
    let _ = writeln!(text, "EXPLAIN (ANALYZE, BUFFERS) EXECUTE q{args};");
    let _ = writeln!(text, "DEALLOCATE q;");
    Ok(text)
}

/// The statement on one line and its `EXECUTE` arguments (psql syntax).
fn prepared(statement: &Statement, values: &Values) -> Result<(String, String), String> {
    let sql = statement.sql.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut positions = std::collections::BTreeMap::new();
    substitute(&statement.sql, |n, at| {
        positions.entry(n).or_insert(at);
        Ok(String::new())
    })?;
    let mut args = Vec::new();
    for (n, at) in positions {
        args.push(match infer(&statement.sql, n, at, values)? {
            Value::Const(c) => literal(&c),
            Value::Null => "NULL".to_owned(),
            Value::Var(name) => format!(":'{name}'"),
            Value::Expr(e) => return Err(format!("cannot explain an expression parameter ({e})")),
        });
    }
    let args = if args.is_empty() { String::new() } else { format!("({})", args.join(", ")) };
    Ok((sql, args))
}

/// Runs a psql script in a session planned as the server's are; returns its output.
pub(crate) fn run_psql(conninfo: &str, script: &str) -> Result<String, String> {
    use std::io::Write;
    let mut child = planned_as_server("psql")
        .args(["-X", "-q", "--no-align", "--tuples-only", "-v", "ON_ERROR_STOP=1", conninfo])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run psql: {e}"))?;
    child.stdin.take().ok_or("no stdin")?.write_all(script.as_bytes()).map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_statements_from_a_plain_log() {
        let log = "2026-01-01T00:00:00Z DEBUG summary=\"SELECT t.key_sha256, u.id …\" db.statement=\"\\n\\nSELECT t.key_sha256, u.id FROM api_tokens t WHERE t.key_sha256 = $1\\n\" rows_affected=0\n\
                   2026-01-01T00:00:00Z DEBUG summary=\"COMMIT\" db.statement=\"\" rows_affected=0\n";
        let statements = parse_log(log);
        assert_eq!(statements.len(), 2);
        assert_eq!(statements[0].sql, "SELECT t.key_sha256, u.id FROM api_tokens t WHERE t.key_sha256 = $1");
        assert!(statements[1].is_commit());
        assert_eq!(statement_count(&statements), 3);
    }

    #[test]
    fn the_background_fold_vacuum_and_monitor_probes_belong_to_no_request() {
        let line = |sql: &str| format!("T DEBUG summary=\"{sql}\" db.statement=\"\" rows_affected=1\n");
        let log = [
            counters::FOLD_SQL,
            counters::VACUUM_SQL,
            monitor::READ_ONLY_PROBE_SQL,
            monitor::MIGRATIONS_PROBE_SQL,
            "COMMIT",
        ]
        .map(line)
        .concat();
        let statements = parse_log(&log);
        assert_eq!(statements.len(), 1);
        assert!(statements[0].is_commit());
    }

    #[test]
    fn placeholders_get_values_from_their_context() {
        let v = Values { caller_id: 7, limit: 10, offset: 0, query: Some("smi".into()), ..Default::default() };
        let s = Statement {
            sql: "SELECT 1 FROM x WHERE r.user_id = $1 AND u.first_name ILIKE $2 LIMIT $3 OFFSET $4".into(),
        };
        let script = pgbench_script(&[(vec![s], v)], None).expect("script");
        assert_eq!(script.defines.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>(), ["7", "%smi%", "10", "0"]);
        assert!(script.text.contains("r.user_id = :r0s0p1"));
    }

    /// The replay's sessions plan as the server's pool does (`db::tune_for_api`): generic
    /// plans, no parallel workers.
    #[test]
    fn pgbench_replays_in_sessions_planned_as_the_server() {
        let script = PgbenchScript { text: String::new(), defines: vec![("n".into(), "0".into())] };
        let cmd = pgbench_command(Path::new("s.sql"), &script, "postgresql:///db", 16, 10);
        let options: Vec<_> = cmd.get_envs().filter(|(k, _)| *k == "PGOPTIONS").filter_map(|(_, v)| v).collect();
        assert_eq!(options, ["-c plan_cache_mode=force_generic_plan -c max_parallel_workers_per_gather=0"]);
        let args: Vec<_> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        assert_eq!(args.join(" "), "-n -M prepared -c 16 -j 2 -T 10 -f s.sql -D n=0 postgresql:///db");
    }

    #[test]
    fn an_unknown_context_is_an_error() {
        let s = Statement { sql: "SELECT $1".into() };
        assert!(pgbench_script(&[(vec![s], Values::default())], None).is_err());
    }
}
