//! Reading `DATABASE_URL` (and `DATABASE_MIGRATION_URL`) before sqlx does.
//!
//! sqlx accepts any query parameter it does not know with a warning that prints the value, and
//! it ignores libpq's `connect_timeout`. Here every parameter is checked against a list of
//! those the server honours, so a misspelt or unsupported one stops start-up (naming the
//! parameter, never its value: a value may be a password); `connect_timeout` is taken out and
//! returned for the server to apply around each connection attempt; and `application_name`
//! defaults to the program's name, so `pg_stat_activity` tells whose sessions these are.

use std::time::Duration;

use sqlx::postgres::PgConnectOptions;

/// The time a connection attempt gets when the URL sets no `connect_timeout`. libpq waits
/// without end; a server that must answer its health checks cannot.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// libpq counts any `connect_timeout` below 2 s as 2 s.
const MIN_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// The session's `application_name` unless the URL or `PGAPPNAME` says otherwise.
pub const APPLICATION_NAME: &str = env!("CARGO_PKG_NAME");

/// Query parameters the server honours: sqlx's own (each spelling it accepts), ours
/// (`connect_timeout`), and `target_session_attrs`, which multi-host deployments set.
const SUPPORTED: &[&str] = &[
    "sslmode",
    "ssl-mode",
    "sslrootcert",
    "ssl-root-cert",
    "ssl-ca",
    "sslcert",
    "ssl-cert",
    "sslkey",
    "ssl-key",
    "statement-cache-capacity",
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "application_name",
    "options",
    "connect_timeout",
    "target_session_attrs",
];

/// Parameters whose values are no secrets: the paths of certificate files, which a message
/// about them must name to be of use, and the TLS mode when it is one of libpq's (a value that
/// is not may be anything pasted there, and stays hidden).
const CERTIFICATE_FILES: &[&str] =
    &["sslrootcert", "ssl-root-cert", "ssl-ca", "sslcert", "ssl-cert", "sslkey", "ssl-key"];
const TLS_MODES: &[&str] = &["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

/// Whether `value` of parameter `key` may be shown in a message.
fn shown(key: &str, value: &str) -> bool {
    CERTIFICATE_FILES.contains(&key) || (matches!(key, "sslmode" | "ssl-mode") && TLS_MODES.contains(&value))
}

/// A connection URL, checked.
#[derive(Debug, Clone)]
pub struct DatabaseUrl {
    pub options: PgConnectOptions,
    /// Bound on each connection attempt (`connect_timeout`, else [`DEFAULT_CONNECT_TIMEOUT`]).
    pub connect_timeout: Duration,
    /// `target_session_attrs` as given. sqlx knows no such parameter (it would log its value
    /// as unrecognised), so it is taken out here for whoever acts on it.
    pub target_session_attrs: Option<String>,
}

/// Why a URL was refused. The messages name parameters, never values.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UrlError {
    #[error("invalid {variable}: not a URL: {reason}")]
    Malformed { variable: &'static str, reason: String },
    #[error("{variable}: unsupported parameter `{parameter}` (supported: {})", SUPPORTED.join(", "))]
    Unsupported { variable: &'static str, parameter: String },
    #[error("{variable}: `connect_timeout` must be a whole number of seconds")]
    BadTimeout { variable: &'static str },
    #[error("invalid {variable}: {reason}")]
    Invalid { variable: &'static str, reason: String },
    /// TLS settings that cannot work (the message names the setting and where it came from).
    #[error("{0}")]
    Tls(String),
}

/// Checks `url` (the value of the environment variable `variable`) and turns it into
/// connection options.
pub fn parse(variable: &'static str, url: &str) -> Result<DatabaseUrl, UrlError> {
    // url's parse errors name the kind of mistake ("invalid port number"), never the text.
    let mut parsed =
        url::Url::parse(url.trim()).map_err(|e| UrlError::Malformed { variable, reason: e.to_string() })?;
    let mut connect_timeout = DEFAULT_CONNECT_TIMEOUT;
    let mut target_session_attrs = None;
    let mut kept: Vec<(String, String)> = Vec::new();
    for (key, value) in parsed.query_pairs() {
        let supported = SUPPORTED.contains(&key.as_ref()) || is_option_entry(&key);
        if !supported {
            return Err(UrlError::Unsupported { variable, parameter: printable(&key) });
        }
        if key == "connect_timeout" {
            connect_timeout = parse_connect_timeout(&value).ok_or(UrlError::BadTimeout { variable })?;
        } else if key == "target_session_attrs" {
            target_session_attrs = Some(value.into_owned());
        } else {
            kept.push((key.into_owned(), value.into_owned()));
        }
    }
    // Values may be secrets and are never shown, but for the TLS settings ([`shown`]).
    let secrets: Vec<String> = kept
        .iter()
        .filter(|(key, value)| !shown(key, value))
        .map(|(_, value)| value.clone())
        .chain(parsed.password().map(str::to_owned))
        .collect();
    if kept.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(&kept);
    }
    // TLS settings (`sslmode`, `sslrootcert`, …, or their `PGSSL*` variables) are read and
    // checked as libpq reads them (`db::tls`).
    let options = super::tls::options_from_url(variable, parsed.as_str()).map_err(|e| match e {
        super::tls::UrlError::Invalid { error, .. } => {
            UrlError::Invalid { variable, reason: redact(&error.to_string(), &secrets) }
        }
        super::tls::UrlError::Tls(tls) => UrlError::Tls(redact(&tls.to_string(), &secrets)),
    })?;
    Ok(DatabaseUrl { options: with_application_name(options), connect_timeout, target_session_attrs })
}

/// `options` with `application_name` set to the program's name when nothing set it.
pub fn with_application_name(options: PgConnectOptions) -> PgConnectOptions {
    if options.get_application_name().is_some() {
        return options;
    }
    options.application_name(APPLICATION_NAME)
}

/// `options[name]=value`: one server setting, as sqlx spells it.
fn is_option_entry(key: &str) -> bool {
    key.strip_prefix("options[").is_some_and(|rest| rest.ends_with(']'))
}

/// libpq's reading: whole seconds; 0 or less waits without end (here: the default bound, since
/// a start-up that waits without end is what `--database-wait` exists to prevent); below 2 is 2.
fn parse_connect_timeout(value: &str) -> Option<Duration> {
    let seconds: i64 = value.trim().parse().ok()?;
    if seconds <= 0 {
        return Some(DEFAULT_CONNECT_TIMEOUT);
    }
    Some(Duration::from_secs(seconds.unsigned_abs()).max(MIN_CONNECT_TIMEOUT))
}

/// A parameter name as it may be shown: printable ASCII, at most 64 characters.
fn printable(name: &str) -> String {
    name.chars().take(64).map(|c| if c.is_ascii_graphic() { c } else { '?' }).collect()
}

/// `message` with every occurrence of each of `secrets` replaced.
fn redact(message: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .fold(message.to_owned(), |text, secret| text.replace(secret.as_str(), "<redacted>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_timeout_is_taken_out_and_read_as_libpq_reads_it() {
        let table = [
            ("postgres://u@h/db", DEFAULT_CONNECT_TIMEOUT),
            ("postgres://u@h/db?connect_timeout=7", Duration::from_secs(7)),
            ("postgres://u@h/db?connect_timeout=1", MIN_CONNECT_TIMEOUT),
            ("postgres://u@h/db?connect_timeout=0", DEFAULT_CONNECT_TIMEOUT),
            ("postgres://u@h/db?sslmode=disable&connect_timeout=3", Duration::from_secs(3)),
        ];
        for (url, expected) in table {
            assert_eq!(parse("DATABASE_URL", url).unwrap().connect_timeout, expected, "{url}");
        }
        let error = parse("DATABASE_URL", "postgres://u@h/db?connect_timeout=soon").unwrap_err();
        assert_eq!(error, UrlError::BadTimeout { variable: "DATABASE_URL" });
        assert!(!error.to_string().contains("soon"));
    }

    #[test]
    fn an_unsupported_parameter_is_named_and_its_value_never_shown() {
        let error = parse("DATABASE_URL", "postgres://u:pw@h/db?sslmode=disable&pasword=hunter2").unwrap_err();
        assert_eq!(error, UrlError::Unsupported { variable: "DATABASE_URL", parameter: "pasword".into() });
        let text = error.to_string();
        assert!(text.contains("`pasword`") && !text.contains("hunter2") && !text.contains("pw"), "{text}");
    }

    #[test]
    fn the_parameters_of_tls_and_multi_host_setups_are_accepted() {
        // `disable`: the certificate files are named, not read (`db::tls` reads them otherwise).
        let url = "postgres://u@h/db?sslmode=disable&sslrootcert=/ca.pem&sslcert=/c.pem&sslkey=/k.pem\
                   &options=-c%20search_path%3Dx&target_session_attrs=read-write&options[lock_timeout]=1s";
        assert_eq!(parse("DATABASE_URL", url).unwrap().target_session_attrs.as_deref(), Some("read-write"));
    }

    #[test]
    fn application_name_defaults_to_the_program_and_the_url_wins() {
        let plain = parse("DATABASE_URL", "postgres://u@h/db").unwrap().options;
        let named = parse("DATABASE_URL", "postgres://u@h/db?application_name=etl").unwrap().options;
        if std::env::var_os("PGAPPNAME").is_none() {
            assert_eq!(plain.get_application_name(), Some(APPLICATION_NAME));
        }
        assert_eq!(named.get_application_name(), Some("etl"));
    }

    #[test]
    fn an_invalid_value_is_refused_without_being_shown() {
        let error = parse("DATABASE_URL", "postgres://u:pw@h/db?sslmode=sometimes-secret").unwrap_err();
        let text = error.to_string();
        assert!(matches!(error, UrlError::Invalid { .. }), "{text}");
        assert!(!text.contains("sometimes-secret"), "{text}");
        let error = parse("DATABASE_URL", "postgres://u:secret@h:99999/db").unwrap_err();
        assert!(!error.to_string().contains("secret"), "{error}");
    }
}
