//! The list's search, `?query=` (docs/spec/offering-users.md §5; docs/spec/offering-users-2026.md
//! §5 F11): a case-insensitive substring of the offering user's username, the user's username,
//! first and last name, the offering's name, or the decimal text of the POSIX UID and primary
//! GID in `backend_metadata` (`uidnumber`, `primarygroup`). `%`, `_` and `\` match themselves
//! (Django's `icontains`).
//!
//! Those texts are kept, lower-cased and joined by [`FIELD_SEPARATOR`], in the row's
//! `search_text` (migration 0011, kept right by triggers), and the GIN index of migration 0017
//! holds its trigrams beside `ARRAY[customer_id]`, `ARRAY[offering_id]` and `state`: the
//! caller's customers and managed offerings (the visibility predicate in its search form,
//! `store::visibility::push_visible_for_search`), the states asked for and the term are
//! intersected inside the index, and only the rows that match are read. A term that contains the separator itself could match across two fields of the
//! document; it is tested field by field instead (slow, and no client sends it).

use sqlx::{Postgres, QueryBuilder};

/// What separates the fields of `search_text` (U+001F, the unit separator): it must be the
/// separator of `offering_user_search_text()` in migration 0011.
pub(super) const FIELD_SEPARATOR: char = '\u{1f}';

/// Pushes ` AND <the record matches term>` over the alias `ou`.
pub(super) fn push_search(qb: &mut QueryBuilder<'_, Postgres>, term: &str) {
    let pattern = format!("%{}%", escape_like(term));
    if !term.contains(FIELD_SEPARATOR) {
        // `lower()` of the pattern, as the document is lower-cased: ILIKE lower-cases both
        // sides the same way (in a multi-byte encoding), so this is ILIKE on each field. In a
        // subquery, it is computed once per statement rather than once per row rechecked.
        qb.push(" AND ou.search_text LIKE (SELECT lower(").push_bind(pattern).push("))");
        return;
    }
    qb.push(" AND (ou.username ILIKE ").push_bind(pattern.clone());
    qb.push(" OR ou.backend_metadata ->> 'uidnumber' ILIKE ").push_bind(pattern.clone());
    qb.push(" OR ou.backend_metadata ->> 'primarygroup' ILIKE ").push_bind(pattern.clone());
    qb.push(" OR EXISTS (SELECT 1 FROM offerings so WHERE so.id = ou.offering_id AND so.name ILIKE ")
        .push_bind(pattern.clone());
    qb.push(") OR EXISTS (SELECT 1 FROM users su WHERE su.id = ou.user_id AND (su.username ILIKE ")
        .push_bind(pattern.clone());
    qb.push(" OR su.first_name ILIKE ").push_bind(pattern.clone());
    qb.push(" OR su.last_name ILIKE ").push_bind(pattern).push(")))");
}

/// Escapes `%`, `_` and `\` so a search term matches literally (Django's `icontains`).
fn escape_like(term: &str) -> String {
    let mut out = String::with_capacity(term.len());
    for ch in term.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_and_the_escape_are_escaped() {
        assert_eq!(escape_like(r"50%_a\b"), r"50\%\_a\\b");
        assert_eq!(escape_like("smi"), "smi");
    }

    #[test]
    fn a_term_with_the_separator_is_tested_field_by_field() {
        let sql = |term: &str| {
            let mut qb = QueryBuilder::<Postgres>::new("");
            push_search(&mut qb, term);
            qb.into_sql()
        };
        assert_eq!(sql("smi"), " AND ou.search_text LIKE (SELECT lower($1))");
        let across = sql("a\u{1f}b");
        assert!(!across.contains("search_text") && across.contains("ou.username ILIKE $1"), "{across}");
    }
}
