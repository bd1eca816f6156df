//! The layer rules of `docs/ARCHITECTURE.md`, held by the build: this test reads `src/` and
//! fails when a rule is broken, naming the file and what it named.
//!
//! - `domain/` names nothing of ours outside itself, and neither `sqlx` nor `axum`;
//! - `store/` names neither `axum` nor the HTTP layer;
//! - `http/` holds no SQL: no string literal that reads as a statement, no statement builder;
//! - every top-level module names only the modules `ALLOWED` lists for it, and those edges form
//!   no cycle;
//! - the files of `store/` import one another without a cycle (a file that re-exports another
//!   is not imported back by it).
//!
//! What a file "names" is read from its code with comments and string literals taken out:
//! every `use` tree and every path that starts with `crate::`, `super::` or `self::`, resolved
//! to the module file it reaches (the longest prefix that is a module of `src/`), with inline
//! modules (`mod tests { … }`) accounted for. It reads the same text the compiler does, only
//! without a macro's expansion.
//!
//! `ARCHITECTURE_SRC=<dir>` runs the same checks over another `src/` (e.g. an older commit's,
//! from `git archive`), to see what they would have said of it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The top-level modules each top-level module may name (`crate::<name>`). The crate root
/// (`lib.rs`: the module list, the entry points, the migrator) is outside the graph.
const ALLOWED: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("telemetry", &[]),
    ("embedded", &[]),
    ("exposure", &[]),
    ("fd_limit", &[]),
    ("healthcheck", &[]),
    ("write_timeout", &[]),
    ("config", &["domain", "telemetry"]),
    ("amqp", &["config", "telemetry"]),
    ("db", &["config", "embedded"]),
    ("store", &["domain"]),
    ("directory", &["db", "domain", "store"]),
    ("lifecycle", &["db"]),
    ("error", &["db", "domain"]),
    ("cli", &["directory", "lifecycle"]),
    ("webhooks", &["config", "domain", "store", "telemetry"]),
    ("http", &["config", "db", "domain", "error", "lifecycle", "store", "telemetry", "webhooks"]),
    (
        "server",
        &["amqp", "config", "db", "error", "http", "lifecycle", "store", "telemetry", "webhooks", "write_timeout"],
    ),
];

// ---------------------------------------------------------------------------------------------
// Reading Rust source: comments out, string literals apart.

/// A file's text split for the checks: `code` with every comment and every literal's contents
/// replaced by spaces (lines kept), and the string literals themselves with their lines.
struct Lexed {
    code: String,
    strings: Vec<(usize, String)>,
}

fn lex(text: &str) -> Lexed {
    let chars: Vec<char> = text.chars().collect();
    let mut code = String::with_capacity(text.len());
    let mut strings = Vec::new();
    let mut line = 1;
    let mut i = 0;
    // Writes `c` to the code, or a space for anything hidden (newlines are kept either way).
    let blank = |code: &mut String, c: char| code.push(if c == '\n' { '\n' } else { ' ' });
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                blank(&mut code, chars[i]);
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    blank(&mut code, '/');
                    blank(&mut code, '*');
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    blank(&mut code, '*');
                    blank(&mut code, '/');
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(chars[i] == '\n');
                    blank(&mut code, chars[i]);
                    i += 1;
                }
            }
        } else if let Some((hashes, start)) = raw_string_start(&chars, i) {
            // r"…", r#"…"#, br"…": no escapes; ends at a quote followed by as many hashes.
            code.extend(std::iter::repeat_n(' ', start - i));
            let (first_line, mut j, mut literal) = (line, start, String::new());
            while j < chars.len() && !(chars[j] == '"' && (1..=hashes).all(|h| chars.get(j + h) == Some(&'#'))) {
                literal.push(chars[j]);
                line += usize::from(chars[j] == '\n');
                blank(&mut code, chars[j]);
                j += 1;
            }
            code.extend(std::iter::repeat_n(' ', 1 + hashes));
            strings.push((first_line, literal));
            i = j + 1 + hashes;
        } else if c == '"' || (c == 'b' && next == Some('"') && !ident_char_before(&chars, i)) {
            let open = if c == 'b' { 2 } else { 1 };
            code.extend(std::iter::repeat_n(' ', open));
            let (first_line, mut j, mut literal) = (line, i + open, String::new());
            while j < chars.len() && chars[j] != '"' {
                if chars[j] == '\\' && j + 1 < chars.len() {
                    literal.push(chars[j + 1]);
                    blank(&mut code, ' ');
                    line += usize::from(chars[j + 1] == '\n');
                    blank(&mut code, chars[j + 1]);
                    j += 2;
                    continue;
                }
                literal.push(chars[j]);
                line += usize::from(chars[j] == '\n');
                blank(&mut code, chars[j]);
                j += 1;
            }
            code.push(' ');
            strings.push((first_line, literal));
            i = j + 1;
        } else if c == '\'' && is_char_literal(&chars, i) {
            // 'a', '\n', '\'', '\u{1F600}' (a lifetime such as 'a or 'static is code).
            let mut j = i + 1;
            if chars[j] == '\\' {
                j += 2;
            } else {
                j += 1;
            }
            while j < chars.len() && chars[j] != '\'' {
                j += 1;
            }
            code.extend(std::iter::repeat_n(' ', j + 1 - i));
            i = j + 1;
        } else {
            line += usize::from(c == '\n');
            code.push(c);
            i += 1;
        }
    }
    Lexed { code, strings }
}

/// `Some((number of #, index of the first character inside))` when a raw string starts at `i`.
fn raw_string_start(chars: &[char], i: usize) -> Option<(usize, usize)> {
    if ident_char_before(chars, i) {
        return None;
    }
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = chars[j..].iter().take_while(|c| **c == '#').count();
    (chars.get(j + hashes) == Some(&'"')).then_some((hashes, j + hashes + 1))
}

fn ident_char_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

fn is_char_literal(chars: &[char], i: usize) -> bool {
    matches!((chars.get(i + 1), chars.get(i + 2)), (Some('\\'), _) | (Some(_), Some('\'')))
}

// ---------------------------------------------------------------------------------------------
// What a file names.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Ident(String),
    PathSep,
    Open,
    Close,
    Semi,
    Comma,
    Star,
    Other,
}

fn tokens(code: &str) -> Vec<Token> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Token::Ident(chars[start..i].iter().collect()));
            continue;
        }
        out.push(match c {
            ':' if chars.get(i + 1) == Some(&':') => {
                i += 1;
                Token::PathSep
            }
            '{' => Token::Open,
            '}' => Token::Close,
            ';' => Token::Semi,
            ',' => Token::Comma,
            '*' => Token::Star,
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            _ => Token::Other,
        });
        i += 1;
    }
    out
}

/// Every path a file's code names, each with the module it is named from (inline modules
/// included): `use` trees expanded, and the paths outside them that start with `crate`,
/// `super` or `self`.
fn named_paths(code: &str, module: &[String]) -> Vec<(Vec<String>, Vec<String>)> {
    let toks = tokens(code);
    let mut out = Vec::new();
    // Inline modules: (name, brace depth inside them).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < toks.len() {
        let here = || module.iter().cloned().chain(inline.iter().map(|(m, _)| m.clone())).collect::<Vec<_>>();
        match &toks[i] {
            Token::Open => {
                depth += 1;
                i += 1;
            }
            Token::Close => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
                i += 1;
            }
            Token::Ident(kw) if kw == "mod" => match (toks.get(i + 1), toks.get(i + 2)) {
                (Some(Token::Ident(name)), Some(Token::Open)) => {
                    inline.push((name.clone(), depth + 1));
                    i += 1;
                }
                _ => i += 1,
            },
            Token::Ident(kw) if kw == "use" => {
                let from = here();
                i += 1;
                let mut paths = Vec::new();
                use_tree(&toks, &mut i, Vec::new(), &mut paths);
                out.extend(paths.into_iter().map(|p| (from.clone(), p)));
            }
            Token::Ident(root)
                if matches!(root.as_str(), "crate" | "super" | "self")
                    && toks.get(i + 1) == Some(&Token::PathSep)
                    && !(i > 0 && toks[i - 1] == Token::PathSep) =>
            {
                let from = here();
                let mut path = vec![root.clone()];
                i += 1;
                while toks.get(i) == Some(&Token::PathSep) {
                    match toks.get(i + 1) {
                        Some(Token::Ident(segment)) => {
                            path.push(segment.clone());
                            i += 2;
                        }
                        _ => break,
                    }
                }
                out.push((from, path));
            }
            _ => i += 1,
        }
    }
    out
}

/// Expands the use tree at `*i` (after `use`, up to `;`) into its paths, each ending at a name
/// or `*`.
fn use_tree(toks: &[Token], i: &mut usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    loop {
        match toks.get(*i) {
            Some(Token::PathSep) => *i += 1,
            Some(Token::Ident(segment)) if segment == "as" => {
                *i += 2;
                break;
            }
            Some(Token::Ident(segment)) => {
                path.push(segment.clone());
                *i += 1;
            }
            Some(Token::Star) => {
                *i += 1;
                break;
            }
            Some(Token::Open) => {
                *i += 1;
                loop {
                    use_tree(toks, i, path.clone(), out);
                    match toks.get(*i) {
                        Some(Token::Comma) => *i += 1,
                        Some(Token::Close) => {
                            *i += 1;
                            break;
                        }
                        _ => break,
                    }
                    if toks.get(*i) == Some(&Token::Close) {
                        *i += 1;
                        break;
                    }
                }
                return;
            }
            _ => break,
        }
    }
    out.push(path);
}

// ---------------------------------------------------------------------------------------------
// The tree of modules.

/// Module path (`["store", "offering_users", "read"]`) → file, for every file of `src/`
/// the library is built from (`main.rs` is its own crate).
fn module_files(src: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    let mut files = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(src).unwrap().with_extension("");
                let mut segments: Vec<String> =
                    relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
                match segments.last().map(String::as_str) {
                    Some("main") if segments.len() == 1 => continue,
                    Some("lib") if segments.len() == 1 => segments.clear(),
                    Some("mod") => {
                        segments.pop();
                    }
                    _ => {}
                }
                files.insert(segments, path);
            }
        }
    }
    files
}

/// The absolute module path a named path reaches, `None` for another crate's.
fn resolve(from: &[String], path: &[String], files: &BTreeMap<Vec<String>, PathBuf>) -> Option<Vec<String>> {
    let (first, rest) = path.split_first()?;
    let mut absolute = match first.as_str() {
        "crate" => rest.to_vec(),
        "self" => from.iter().chain(rest).cloned().collect(),
        "super" => {
            let mut base = from.to_vec();
            base.pop()?;
            let mut rest = rest;
            while rest.first().is_some_and(|s| s == "super") {
                base.pop()?;
                rest = &rest[1..];
            }
            base.into_iter().chain(rest.iter().cloned()).collect()
        }
        // Rust 2018's relative `use`: a child of the module it is written in.
        _ => {
            let child: Vec<String> = from.iter().chain(std::iter::once(first)).cloned().collect();
            if !files.contains_key(&child) {
                return None;
            }
            from.iter().chain(path).cloned().collect()
        }
    };
    // `{self, …}` in a group names the prefix itself.
    if absolute.last().is_some_and(|s| s == "self") {
        absolute.pop();
    }
    Some(absolute)
}

/// The module file a module path lands in: its longest prefix that is a file.
fn file_of(module: &[String], files: &BTreeMap<Vec<String>, PathBuf>) -> Vec<String> {
    (0..=module.len()).rev().map(|n| module[..n].to_vec()).find(|m| files.contains_key(m)).unwrap_or_default()
}

/// The module files (other than its own) that the code of `module`'s file names.
fn module_files_named(code: &str, module: &[String], files: &BTreeMap<Vec<String>, PathBuf>) -> BTreeSet<Vec<String>> {
    named_paths(code, module)
        .into_iter()
        .filter_map(|(from, path)| resolve(&from, &path, files))
        .map(|target| file_of(&target, files))
        .filter(|target| target != module)
        .collect()
}

/// A file of the tree as the checks read it.
struct SourceFile {
    module: Vec<String>,
    lexed: Lexed,
    /// The module files it names (itself excluded).
    names: BTreeSet<Vec<String>>,
}

fn read_tree() -> (BTreeMap<Vec<String>, PathBuf>, Vec<SourceFile>) {
    // `ARCHITECTURE_SRC` points the checks at another tree (an older commit's `src/`, say).
    let src = std::env::var_os("ARCHITECTURE_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let files = module_files(&src);
    let sources = files
        .iter()
        .map(|(module, path)| {
            let lexed = lex(&fs::read_to_string(path).unwrap());
            let names = module_files_named(&lexed.code, module, &files);
            SourceFile { module: module.clone(), lexed, names }
        })
        .collect();
    (files, sources)
}

// ---------------------------------------------------------------------------------------------
// The rules.

/// Names of other crates a file must not write, as whole words followed by `::` or in a
/// `use`: `forbidden_crates(code, &["sqlx"])` → the ones it names.
fn forbidden_crates<'a>(code: &str, crates: &[&'a str]) -> Vec<&'a str> {
    let toks = tokens(code);
    crates
        .iter()
        .copied()
        .filter(|name| {
            toks.windows(2).any(|w| w[0] == Token::Ident((*name).to_owned()) && w[1] == Token::PathSep)
                || toks
                    .windows(2)
                    .any(|w| w[0] == Token::Ident("use".into()) && w[1] == Token::Ident((*name).to_owned()))
        })
        .collect()
}

/// Whether a string literal reads as a SQL statement: `SELECT`/`INSERT INTO`/`UPDATE … SET`/
/// `DELETE FROM`/`SET TRANSACTION`, in any case, as whole words (`select … from` together,
/// so that a message such as "Select a valid choice." is not one).
fn looks_like_sql(literal: &str) -> bool {
    let words: Vec<String> = literal
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let at = |i: usize, word: &str| words.get(i).is_some_and(|w| w == word);
    (0..words.len()).any(|i| {
        (at(i, "select") && (literal.contains("SELECT") || words[i..].iter().any(|w| w == "from")))
            || (at(i, "insert") && at(i + 1, "into"))
            || (at(i, "delete") && at(i + 1, "from"))
            || (at(i, "update") && at(i + 2, "set"))
            || (at(i, "set") && at(i + 1, "transaction"))
    })
}

/// The statement builders and runners of sqlx, which belong in `store/`.
const STATEMENT_CALLS: [&str; 5] = ["query", "query_as", "query_scalar", "QueryBuilder", "query_with"];

/// What `http/` code breaks of "no SQL here": literals that read as SQL, sqlx's statement calls.
fn sql_in_http(lexed: &Lexed) -> Vec<String> {
    let mut found: Vec<String> = lexed
        .strings
        .iter()
        .filter(|(_, s)| looks_like_sql(s))
        .map(|(line, s)| format!("line {line}: {s:?}"))
        .collect();
    let toks = tokens(&lexed.code);
    for w in toks.windows(3) {
        if let [Token::Ident(krate), Token::PathSep, Token::Ident(call)] = w {
            if krate == "sqlx" && STATEMENT_CALLS.contains(&call.as_str()) {
                found.push(format!("sqlx::{call}"));
            }
        }
    }
    if toks.contains(&Token::Ident("QueryBuilder".into())) {
        found.push("QueryBuilder".into());
    }
    found
}

/// The components (top-level modules) a component's files name; the root is left out.
fn component_graph(sources: &[SourceFile]) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in sources {
        let Some(component) = file.module.first() else { continue };
        let entry = graph.entry(component.clone()).or_default();
        for target in &file.names {
            match target.first() {
                Some(other) if other != component => {
                    entry.insert(other.clone());
                }
                _ => {}
            }
        }
    }
    graph
}

/// A cycle of `graph`, if it has one, as the nodes around it.
fn find_cycle<N: Ord + Clone>(graph: &BTreeMap<N, BTreeSet<N>>) -> Option<Vec<N>> {
    fn visit<N: Ord + Clone>(
        node: &N,
        graph: &BTreeMap<N, BTreeSet<N>>,
        path: &mut Vec<N>,
        done: &mut BTreeSet<N>,
    ) -> Option<Vec<N>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.clone());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.clone());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

fn under<'a>(sources: &'a [SourceFile], component: &'a str) -> impl Iterator<Item = &'a SourceFile> {
    sources.iter().filter(move |f| f.module.first().is_some_and(|c| c == component))
}

fn display(module: &[String]) -> String {
    if module.is_empty() {
        "crate".into()
    } else {
        module.join("::")
    }
}

// ---------------------------------------------------------------------------------------------
// The tree holds to them.

#[test]
fn the_domain_knows_neither_sqlx_nor_axum_nor_any_other_layer() {
    let (_, sources) = read_tree();
    let mut broken = Vec::new();
    for file in under(&sources, "domain") {
        for krate in forbidden_crates(&file.lexed.code, &["sqlx", "axum", "hyper", "tower", "tower_http"]) {
            broken.push(format!("{} names {krate}", display(&file.module)));
        }
        for target in file.names.iter().filter(|t| t.first().is_none_or(|c| c != "domain")) {
            broken.push(format!("{} names {}", display(&file.module), display(target)));
        }
    }
    assert!(under(&sources, "domain").count() > 5, "the domain's files were not found");
    assert!(broken.is_empty(), "domain/ must stay pure:\n{}", broken.join("\n"));
}

#[test]
fn the_store_knows_nothing_of_http() {
    let (_, sources) = read_tree();
    let mut broken = Vec::new();
    for file in under(&sources, "store") {
        for krate in forbidden_crates(&file.lexed.code, &["axum", "hyper", "tower", "tower_http"]) {
            broken.push(format!("{} names {krate}", display(&file.module)));
        }
        for target in file.names.iter().filter(|t| t.first().is_some_and(|c| c == "http" || c == "server")) {
            broken.push(format!("{} names {}", display(&file.module), display(target)));
        }
    }
    assert!(broken.is_empty(), "store/ must not know HTTP:\n{}", broken.join("\n"));
}

#[test]
fn http_holds_no_sql() {
    let (_, sources) = read_tree();
    let mut broken = Vec::new();
    for file in under(&sources, "http") {
        for found in sql_in_http(&file.lexed) {
            broken.push(format!("{}: {found}", display(&file.module)));
        }
    }
    assert!(under(&sources, "http").count() > 20, "the HTTP layer's files were not found");
    assert!(broken.is_empty(), "SQL belongs in store/, not in http/:\n{}", broken.join("\n"));
}

#[test]
fn top_level_modules_name_only_what_they_may_and_form_no_cycle() {
    let (files, sources) = read_tree();
    let graph = component_graph(&sources);
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut broken = Vec::new();
    for (component, targets) in &graph {
        let Some(may) = allowed.get(component.as_str()) else {
            broken.push(format!("{component} is not in ALLOWED (and docs/ARCHITECTURE.md): place it"));
            continue;
        };
        for target in targets.iter().filter(|t| !may.contains(&t.as_str())) {
            let by: Vec<String> = under(&sources, component)
                .filter(|f| f.names.iter().any(|n| n.first() == Some(target)))
                .map(|f| display(&f.module))
                .collect();
            broken.push(format!("{component} → {target} (in {})", by.join(", ")));
        }
    }
    assert!(broken.is_empty(), "edges the layers do not allow:\n{}", broken.join("\n"));
    assert_eq!(find_cycle(&graph), None, "the top-level modules form a cycle: {graph:#?}");
    // The table and the tree agree on what exists.
    let components: BTreeSet<&str> = files.keys().filter_map(|m| m.first()).map(String::as_str).collect();
    let listed: BTreeSet<&str> = ALLOWED.iter().map(|(c, _)| *c).collect();
    assert_eq!(components, listed, "ALLOWED lists exactly the top-level modules of src/");
}

#[test]
fn the_files_of_the_store_import_one_another_without_a_cycle() {
    let (_, sources) = read_tree();
    let graph: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = under(&sources, "store")
        .map(|f| {
            let within = f.names.iter().filter(|t| t.first().is_some_and(|c| c == "store")).cloned().collect();
            (f.module.clone(), within)
        })
        .collect();
    let edges: usize = graph.values().map(BTreeSet::len).sum();
    assert!(edges > 10, "the store's imports were not found: {graph:#?}");
    let cycle = find_cycle(&graph).map(|c| c.iter().map(|m| display(m)).collect::<Vec<_>>().join(" → "));
    assert_eq!(cycle, None, "files of store/ import one another in a cycle");
}

// ---------------------------------------------------------------------------------------------
// The detectors catch what they are for (deliberate violations over sample text).

fn names_of(code: &str, module: &[&str], files: &[&[&str]]) -> BTreeSet<String> {
    let files: BTreeMap<Vec<String>, PathBuf> =
        files.iter().map(|m| (m.iter().map(|s| s.to_string()).collect(), PathBuf::new())).collect();
    let module: Vec<String> = module.iter().map(|s| s.to_string()).collect();
    module_files_named(&lex(code).code, &module, &files).iter().map(|m| display(m)).collect()
}

#[test]
fn a_domain_file_that_names_sqlx_or_the_store_is_caught_and_a_comment_is_not() {
    let sample = r#"
        //! Rules with no sqlx in sight (a comment: not code).
        use sqlx::FromRow;
        /* axum::Router in a block comment, /* nested */ still a comment */
        const NOTE: &str = "axum::Json in a string is not code";
        pub fn f() -> crate::store::Caller { todo!() }
    "#;
    let code = lex(sample).code;
    assert_eq!(forbidden_crates(&code, &["sqlx", "axum"]), vec!["sqlx"]);
    let files: &[&[&str]] = &[&[], &["domain"], &["domain", "rules"], &["store"]];
    assert_eq!(names_of(sample, &["domain", "rules"], files), BTreeSet::from(["store".to_owned()]));
    let clean = "// use sqlx::PgPool;\nconst A: &str = \"use axum::Router;\";\nfn f<'a>(x: &'a str) -> char { 'x' }";
    assert!(forbidden_crates(&lex(clean).code, &["sqlx", "axum"]).is_empty());
}

#[test]
fn sql_in_an_http_file_is_caught_and_messages_are_not() {
    let sample = r##"
        async fn handler(conn: &mut PgConnection) {
            let n: i64 = sqlx::query_scalar("select count(*) from offering_users").fetch_one(conn).await?;
            let raw = r#"UPDATE offering_users SET username = $1"#;
            let qb = QueryBuilder::new(concat!("DELETE ", "FROM x"));
            // SELECT * FROM a comment is fine
        }
    "##;
    let found = sql_in_http(&lex(sample));
    assert!(found.iter().any(|f| f.contains("select count(*) from offering_users")), "{found:?}");
    assert!(found.iter().any(|f| f.contains("UPDATE offering_users SET")), "{found:?}");
    assert!(found.contains(&"sqlx::query_scalar".to_owned()) && found.contains(&"QueryBuilder".to_owned()));
    assert!(!found.iter().any(|f| f.contains("comment")), "{found:?}");
    for message in [
        "Select a valid choice. x is not one of the available choices.",
        "You do not have permission to delete this user.",
        "Cannot update comments for offering user in state: Deleted",
        "Token has expired.",
    ] {
        assert!(!looks_like_sql(message), "{message}");
    }
    for statement in ["SELECT 1", "insert into t values (1)", "Delete From t", "SET TRANSACTION READ ONLY"] {
        assert!(looks_like_sql(statement), "{statement}");
    }
}

#[test]
fn a_file_that_imports_back_what_imports_it_is_a_cycle() {
    // mod.rs re-exports `read`; `read` takes the row from mod.rs: the cycle the store had.
    let files: &[&[&str]] = &[&[], &["store"], &["store", "ou"], &["store", "ou", "read"], &["store", "ou", "row"]];
    let module = |m: &[&str]| m.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mod_rs = names_of("mod read; mod row; pub use read::{page, count};", &["store", "ou"], files);
    let read = names_of(
        "use super::{Row, COLUMNS};\n#[cfg(test)] mod tests { use super::*; }",
        &["store", "ou", "read"],
        files,
    );
    assert_eq!(mod_rs, BTreeSet::from(["store::ou::read".to_owned()]));
    assert_eq!(read, BTreeSet::from(["store::ou".to_owned()]), "`super::*` in an inline module is the file itself");
    let mut graph: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    graph.entry(module(&["store", "ou"])).or_default().insert(module(&["store", "ou", "read"]));
    graph.entry(module(&["store", "ou", "read"])).or_default().insert(module(&["store", "ou"]));
    assert!(find_cycle(&graph).is_some());
    // Taking the row from a sibling instead breaks it.
    let fixed = names_of("use super::row::{Row, COLUMNS};", &["store", "ou", "read"], files);
    assert_eq!(fixed, BTreeSet::from(["store::ou::row".to_owned()]));
    graph.insert(module(&["store", "ou", "read"]), BTreeSet::from([module(&["store", "ou", "row"])]));
    assert_eq!(find_cycle(&graph), None);
}

#[test]
fn a_top_level_edge_outside_the_table_is_caught() {
    let files: &[&[&str]] = &[&[], &["store"], &["store", "auth"], &["http"], &["domain"]];
    let names = names_of(
        "use crate::http::request::BaseUrl;\nuse crate::domain::principal::Caller;",
        &["store", "auth"],
        files,
    );
    assert_eq!(names, BTreeSet::from(["http".to_owned(), "domain".to_owned()]));
    let sources = vec![SourceFile {
        module: vec!["store".into(), "auth".into()],
        lexed: lex(""),
        names: [vec!["http".to_owned()], vec!["domain".to_owned()]].into_iter().collect(),
    }];
    let graph = component_graph(&sources);
    let may: &[&str] = ALLOWED.iter().find(|(c, _)| *c == "store").unwrap().1;
    let outside: Vec<&String> = graph["store"].iter().filter(|t| !may.contains(&t.as_str())).collect();
    assert_eq!(outside, vec!["http"]);
}
