//! The rule for migrations that keeps rolling upgrades safe (README, "Rolling upgrades"),
//! as a check: while a migration runs, the previous release keeps serving on the same tables,
//! so no migration may hold a lock that stops their reads or writes for long.
//!
//! A migration file newer than the shipped ones ([`SHIPPED`], exempt: they cannot change) is
//! refused when, on a table it did not create itself (small lookup tables, [`SMALL_TABLES`],
//! excepted), it
//! - builds an index without `CONCURRENTLY` (that blocks writes while it builds), or uses
//!   `CONCURRENTLY` in a file without the `-- no-transaction` first line (it fails inside
//!   sqlx's transaction);
//! - rewrites the table: `ALTER COLUMN … TYPE`, `ADD COLUMN` with a volatile default, an
//!   identity, serial or stored generated column, `SET TABLESPACE`, `SET LOGGED`/`UNLOGGED`,
//!   `VACUUM FULL`, `CLUSTER`;
//! - scans it under its lock: `SET NOT NULL` without a `CHECK (… IS NOT NULL)` in the same
//!   file (PostgreSQL then skips the scan), a `CHECK` or `FOREIGN KEY` constraint added
//!   without `NOT VALID` (validate it in a later statement: that takes a weaker lock), a
//!   `UNIQUE` or `PRIMARY KEY` constraint built in place (build its index concurrently first,
//!   then `ADD CONSTRAINT … USING INDEX`).
//!
//! The check reads SQL text, not a parse tree: statements are split on `;` outside comments,
//! quotes and dollar-quoted bodies, then matched word by word.

/// Migrations already shipped: exempt (they may never be edited: sqlx checks their checksums).
pub const SHIPPED: &[&str] = &[
    "0001_directory.sql",
    "0002_checklists.sql",
    "0003_offering_user_counts.sql",
    "0004_filter_indexes.sql",
    "0005_consent_flag.sql",
    "0006_counts_by_consent.sql",
    "0007_count_deltas.sql",
    "0008_checklist_file_question.sql",
];

/// Tables that stay small whatever the directory's size (a few rows per role, checklist or
/// offering): locking them briefly is harmless. Every other table counts as large.
pub const SMALL_TABLES: &[&str] = &[
    "role_permissions",
    "checklists",
    "checklist_questions",
    "checklist_question_options",
    "checklist_question_dependencies",
    "terms_of_service",
    "offering_user_counts",
];

/// Functions whose value differs per row: a column added with one as its default is written
/// into every row (a rewrite); any other default is stored once, in the catalogue.
const VOLATILE: &[&str] =
    &["RANDOM(", "CLOCK_TIMESTAMP(", "TIMEOFDAY(", "GEN_RANDOM_UUID(", "UUID_GENERATE_", "NEXTVAL("];

/// What is wrong with the migration `sql`, one line per problem; empty when nothing is.
pub fn violations(sql: &str) -> Vec<String> {
    let no_transaction = sql.trim_start().starts_with("-- no-transaction");
    let statements = statements(sql);
    let file = statements.join("; ");
    let created: Vec<String> = statements.iter().filter_map(|s| created_table(s)).collect();
    let large = |table: &str| {
        let table = table.trim_matches('"').rsplit('.').next().unwrap_or(table).to_ascii_lowercase();
        !created.contains(&table) && !SMALL_TABLES.contains(&table.as_str())
    };
    let mut found = Vec::new();
    for statement in &statements {
        let words: Vec<&str> = statement.split_whitespace().collect();
        let text = words.join(" ");
        let mut problem = |what: &str| found.push(format!("{what}: {}", shorten(&text)));
        if let Some(table) = indexed_table(&words) {
            let concurrently = words.contains(&"CONCURRENTLY");
            if concurrently && !no_transaction {
                problem("CREATE INDEX CONCURRENTLY needs a file of its own starting with `-- no-transaction`");
            }
            if !concurrently && large(&table) {
                problem("an index on an existing table is built without CONCURRENTLY (writes wait for it)");
            }
        }
        if text.starts_with("VACUUM FULL") || text.starts_with("CLUSTER") {
            problem("VACUUM FULL and CLUSTER rewrite the table under an exclusive lock");
        }
        let Some(table) = altered_table(&words) else { continue };
        if !large(&table) {
            continue;
        }
        for action in actions(&text) {
            if let Some(why) = rewrite_or_scan(&action, &file) {
                problem(why);
            }
        }
    }
    found
}

/// Why one action of an `ALTER TABLE` on a large table is refused, if it is; `file`: all the
/// statements of its migration.
fn rewrite_or_scan(action: &str, file: &str) -> Option<&'static str> {
    let has = |words: &str| action.contains(words);
    if has("ALTER COLUMN") && has(" TYPE ") || action.starts_with("ALTER") && has(" SET DATA TYPE") {
        return Some("ALTER COLUMN … TYPE rewrites the table");
    }
    if action.starts_with("ADD") && !has("CONSTRAINT") {
        if has(" DEFAULT ") && VOLATILE.iter().any(|f| action.contains(f)) {
            return Some("ADD COLUMN with a volatile DEFAULT rewrites the table");
        }
        if has("GENERATED") || has("SERIAL") {
            return Some("an identity, serial or stored generated column rewrites the table");
        }
    }
    if has("SET TABLESPACE") || has("SET LOGGED") || has("SET UNLOGGED") {
        return Some("SET TABLESPACE / SET LOGGED / SET UNLOGGED rewrites the table");
    }
    if has("SET NOT NULL") {
        let column = action.split_whitespace().nth(2).unwrap_or("").trim_matches('"');
        if !file.contains(&format!("CHECK({column} IS NOT NULL)")) {
            return Some("SET NOT NULL scans the table under its lock; add CHECK (… IS NOT NULL) NOT VALID and validate it first");
        }
    }
    if action.starts_with("ADD") && (has("CHECK") || has("FOREIGN KEY") || has("REFERENCES")) && !has("NOT VALID") {
        return Some("a CHECK or FOREIGN KEY constraint added without NOT VALID scans the table under its lock");
    }
    if action.starts_with("ADD") && (has("UNIQUE") || has("PRIMARY KEY")) && !has("USING INDEX") {
        return Some("a UNIQUE or PRIMARY KEY constraint builds its index under the table's lock");
    }
    None
}

/// The statements of `sql`, upper-cased, without comments, with the contents of quotes and
/// dollar-quoted bodies blanked out.
pub fn statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut rest = sql;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("--") {
            rest = rest.find('\n').map_or("", |end| &rest[end..]);
        } else if rest.starts_with("/*") {
            rest = rest.find("*/").map_or("", |end| &rest[end + 2..]);
            current.push(' ');
        } else if c == '\'' || c == '"' {
            // A quoted name keeps its text (lower-cased, unquoted); a string is blanked.
            let end = rest[1..].find(c).map_or(rest.len(), |i| i + 2);
            if c == '"' {
                current.push_str(&rest[1..end.saturating_sub(1).max(1)].to_ascii_uppercase());
            } else {
                current.push_str("''");
            }
            rest = &rest[end.min(rest.len())..];
        } else if let Some(tag) = dollar_tag(rest) {
            let body = &rest[tag.len()..];
            let end = body.find(tag).map_or(body.len(), |i| i + tag.len());
            current.push_str(" $$ ");
            rest = &body[end.min(body.len())..];
        } else if c == ';' {
            out.push(std::mem::take(&mut current));
            rest = &rest[1..];
        } else {
            current.push(c.to_ascii_uppercase());
            rest = &rest[c.len_utf8()..];
        }
    }
    out.push(current);
    // Space around parentheses and commas, so that words split cleanly.
    out.iter()
        .map(|s| s.replace('(', " ( ").replace(')', " ) ").replace(',', " , "))
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .map(|s| s.replace("( ", "(").replace(" )", ")").replace(" ,", ",").replace(" (", "("))
        .filter(|s| !s.is_empty())
        .collect()
}

/// `$$` or `$tag$` at the start of `text`.
fn dollar_tag(text: &str) -> Option<&str> {
    let after = text.strip_prefix('$')?;
    let end = after.find('$')?;
    after[..end].chars().all(|c| c.is_ascii_alphanumeric() || c == '_').then(|| &text[..end + 2])
}

/// The table a `CREATE TABLE` statement creates (lower-case, without schema).
fn created_table(statement: &str) -> Option<String> {
    let words: Vec<&str> = statement.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "TABLE")?;
    if !words[..at].iter().all(|w| matches!(*w, "CREATE" | "UNLOGGED" | "TEMP" | "TEMPORARY")) || words[0] != "CREATE" {
        return None;
    }
    let name = words[at + 1..].iter().find(|w| !matches!(**w, "IF" | "NOT" | "EXISTS"))?;
    let name = name.split('(').next()?;
    Some(name.rsplit('.').next()?.to_ascii_lowercase())
}

/// The table of a `CREATE [UNIQUE] INDEX … ON [ONLY] table`.
fn indexed_table(words: &[&str]) -> Option<String> {
    if words.first() != Some(&"CREATE") || !words.iter().take(3).any(|w| *w == "INDEX") {
        return None;
    }
    let on = words.iter().position(|w| *w == "ON")?;
    let name = words[on + 1..].iter().find(|w| **w != "ONLY")?;
    Some(name.split('(').next()?.to_owned())
}

/// The table of an `ALTER TABLE [IF EXISTS] [ONLY] table …`.
fn altered_table(words: &[&str]) -> Option<String> {
    if words.first() != Some(&"ALTER") || words.get(1) != Some(&"TABLE") {
        return None;
    }
    let name = words[2..].iter().find(|w| !matches!(**w, "IF" | "EXISTS" | "ONLY"))?;
    Some((*name).to_owned())
}

/// The comma-separated actions of an `ALTER TABLE` (commas inside parentheses kept).
fn actions(statement: &str) -> Vec<String> {
    let words: Vec<&str> = statement.split_whitespace().collect();
    let Some(start) = words.iter().skip(2).position(|w| !matches!(*w, "IF" | "EXISTS" | "ONLY")) else {
        return Vec::new();
    };
    let body = words[start + 3..].join(" ");
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut current = String::new();
    for c in body.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut current).trim().to_owned());
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    out.push(current.trim().to_owned());
    out.into_iter().map(|a| format!("{a} ")).collect()
}

fn shorten(statement: &str) -> String {
    let short: String = statement.chars().take(120).collect();
    if short.len() < statement.len() {
        format!("{short}…")
    } else {
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(sql: &str) -> bool {
        !violations(sql).is_empty()
    }

    #[test]
    fn statements_are_split_outside_comments_quotes_and_function_bodies() {
        let sql = "-- a; comment\nCREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\n\
                   /* x; */ INSERT INTO t VALUES ('a;b'); ALTER TABLE \"Users\" ADD COLUMN x int";
        let statements = statements(sql);
        assert_eq!(statements.len(), 3, "{statements:?}");
        assert!(statements[0].starts_with("CREATE FUNCTION F()"), "{statements:?}");
        assert_eq!(statements[2], "ALTER TABLE USERS ADD COLUMN X INT");
    }

    #[test]
    fn an_index_on_a_large_table_must_be_built_concurrently_in_a_file_of_its_own() {
        assert!(refused("CREATE INDEX offering_users_x_idx ON offering_users (x);"));
        assert!(refused("create unique index if not exists u_idx on public.users(lower(email));"));
        assert!(refused("CREATE INDEX CONCURRENTLY a_idx ON audit_events (created);"));
        assert!(!refused("-- no-transaction\nCREATE INDEX CONCURRENTLY a_idx ON audit_events (created);"));
        // Small tables and tables the same file creates may be indexed in place.
        assert!(!refused("CREATE INDEX r_idx ON role_permissions (permission);"));
        assert!(!refused("CREATE TABLE notes (id bigint, body text); CREATE INDEX notes_idx ON notes (body);"));
    }

    #[test]
    fn table_rewrites_and_scans_under_lock_are_refused() {
        let bad = [
            "ALTER TABLE offering_users ALTER COLUMN username TYPE varchar(200);",
            "ALTER TABLE users ALTER username SET DATA TYPE text;",
            "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();",
            "ALTER TABLE audit_events ADD COLUMN seq bigserial;",
            "ALTER TABLE users ADD COLUMN n int GENERATED ALWAYS AS (id * 2) STORED;",
            "ALTER TABLE offering_users ALTER COLUMN username SET NOT NULL;",
            "ALTER TABLE offering_users ADD CONSTRAINT c CHECK (username <> '');",
            "ALTER TABLE offering_users ADD CONSTRAINT f FOREIGN KEY (user_id) REFERENCES users (id);",
            "ALTER TABLE users ADD CONSTRAINT u UNIQUE (email);",
            "ALTER TABLE users SET TABLESPACE slow;",
            "VACUUM FULL users;",
            "ALTER TABLE users ADD COLUMN a int, ALTER COLUMN id TYPE numeric;",
        ];
        for sql in bad {
            assert!(refused(sql), "{sql}");
        }
        let good = [
            "ALTER TABLE users ADD COLUMN note text;",
            "ALTER TABLE users ADD COLUMN seen timestamptz NOT NULL DEFAULT now();",
            "ALTER TABLE users ADD COLUMN flag boolean NOT NULL DEFAULT false;",
            "ALTER TABLE offering_users ADD CONSTRAINT c CHECK (username IS NOT NULL) NOT VALID;",
            "ALTER TABLE offering_users VALIDATE CONSTRAINT c;",
            "ALTER TABLE offering_users ADD CONSTRAINT c CHECK (username IS NOT NULL) NOT VALID; \
             ALTER TABLE offering_users ALTER COLUMN username SET NOT NULL;",
            "ALTER TABLE users ADD CONSTRAINT u UNIQUE USING INDEX users_email_idx;",
            "ALTER TABLE role_permissions ALTER COLUMN permission TYPE varchar(100);",
            "CREATE TABLE t (id bigserial PRIMARY KEY); ALTER TABLE t ALTER COLUMN id TYPE numeric;",
            "CREATE OR REPLACE FUNCTION f() RETURNS trigger AS $$ BEGIN ALTER TABLE users ALTER id TYPE text; END $$ LANGUAGE plpgsql;",
        ];
        for sql in good {
            assert_eq!(violations(sql), Vec::<String>::new(), "{sql}");
        }
    }

    #[test]
    fn a_problem_names_itself_and_the_statement() {
        let found = violations("ALTER TABLE users ALTER COLUMN id TYPE numeric;");
        assert_eq!(found, ["ALTER COLUMN … TYPE rewrites the table: ALTER TABLE USERS ALTER COLUMN ID TYPE NUMERIC"]);
    }

    /// Every migration of the tree newer than the shipped ones follows the rule, and the
    /// exempt list names shipped files that exist.
    #[test]
    fn the_migrations_of_the_tree_follow_the_rule() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".sql"))
            .collect();
        names.sort();
        for shipped in SHIPPED {
            assert!(names.iter().any(|n| n == shipped), "{shipped} is exempt but not in migrations/");
        }
        // The check reads these files as they are: a shipped one that builds its indexes in
        // place (written before the rule) would be refused.
        let shipped_0004 = std::fs::read_to_string(dir.join("0004_filter_indexes.sql")).unwrap();
        assert_eq!(violations(&shipped_0004).len(), 8, "{:?}", violations(&shipped_0004));
        for name in names.iter().filter(|n| !SHIPPED.contains(&n.as_str())) {
            let sql = std::fs::read_to_string(dir.join(name)).unwrap();
            assert_eq!(
                violations(&sql),
                Vec::<String>::new(),
                "migrations/{name} breaks the rule of README, Rolling upgrades"
            );
        }
    }
}
