//! Connection-URL parameters of libpq that sqlx 0.8 does not honour, refused at start rather
//! than ignored: several hosts (`host=a,b`, `postgres://a,b/db`), `target_session_attrs`
//! other than `any`, and `load_balance_hosts`. sqlx connects to one host and never asks it
//! whether it takes writes; ignored, these would leave a server writing to whichever node the
//! first name reaches. The way that works is one name that follows the primary (a DNS name or
//! a virtual IP, README "Running several replicas"): the outage monitor finds a read-only
//! node "not ready", and pool connections live a minute at most.

/// `Err` with a message naming the parameter when `url` asks for what sqlx cannot do.
pub fn refuse_unsupported(url: &str) -> Result<(), String> {
    let (before_query, query) = url.split_once('?').unwrap_or((url, ""));
    let authority = before_query.split_once("://").map_or("", |(_, rest)| rest);
    let authority = authority.split('/').next().unwrap_or("");
    let hosts = authority.rsplit_once('@').map_or(authority, |(_, hosts)| hosts);
    if hosts.contains(',') {
        return Err(several_hosts());
    }
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match &*key {
            "host" | "hostaddr" | "port" if value.contains(',') => return Err(several_hosts()),
            "target_session_attrs" | "target-session-attrs" if value != "any" => {
                return Err(format!(
                    "target_session_attrs={value} is not supported (the PostgreSQL driver connects to one host \
                     and cannot check what it accepts): point DATABASE_URL at one name that always leads to the \
                     primary (a DNS name or virtual IP your failover moves); the server reports a read-only node \
                     as not ready"
                ));
            }
            "load_balance_hosts" => {
                return Err("load_balance_hosts is not supported: give one host (see target_session_attrs)".to_owned())
            }
            _ => {}
        }
    }
    Ok(())
}

fn several_hosts() -> String {
    "several hosts are not supported (the PostgreSQL driver connects to one): point DATABASE_URL at one name \
     that always leads to the primary (a DNS name or virtual IP your failover moves)"
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::refuse_unsupported;

    #[test]
    fn one_host_passes_and_libpq_failover_parameters_are_refused() {
        assert!(refuse_unsupported("postgres://app:secret@db.example.org:5432/waldur?sslmode=require").is_ok());
        assert!(refuse_unsupported("postgres://app@db/waldur?target_session_attrs=any").is_ok());
        assert!(refuse_unsupported("postgres:///waldur?host=/run/postgresql").is_ok());

        let refused = [
            "postgres://app@a:5432,b:5432/waldur",
            "postgres://a,b/waldur",
            "postgres:///waldur?host=a,b",
            "postgres://app@db/waldur?target_session_attrs=read-write",
            "postgres://app@db/waldur?target_session_attrs=primary",
            "postgres://app@db/waldur?load_balance_hosts=random",
        ];
        for url in refused {
            let message = refuse_unsupported(url).expect_err(url);
            assert!(message.contains("not supported"), "{url}: {message}");
        }
    }

    #[test]
    fn a_comma_in_the_password_is_not_a_second_host() {
        assert!(refuse_unsupported("postgres://app:a,b@db/waldur").is_ok());
    }
}
