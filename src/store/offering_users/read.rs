//! Reading offering users: the list page, its count, and one visible record.

use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

use super::counting::{count_from_counters, countable_from_counters};
use super::{OfferingUserRow, ROW_COLUMNS, ROW_JOINS};
use crate::domain::listing::{ListFilter, OrderColumn, OrderKey};
use crate::store::visibility::{push_consent_gate, push_visible, push_visible_as_filter};
use crate::store::Caller;

/// How a read is scoped.
#[derive(Debug, Clone, Copy)]
pub struct ReadScope<'a> {
    pub caller: &'a Caller,
    /// The consent gate is on (`ENFORCE_USER_CONSENT_FOR_OFFERINGS`).
    pub consent_gate: bool,
}

/// The number of visible rows matching `filter` (the `X-Result-Count`).
pub async fn count(conn: &mut PgConnection, scope: ReadScope<'_>, filter: &ListFilter) -> sqlx::Result<i64> {
    if countable_from_counters(filter) {
        if let Some(n) = count_from_counters(&mut *conn, scope, filter).await? {
            return Ok(n);
        }
    }
    count_rows(&mut *conn, scope, filter).await
}

/// The count read from the matching rows themselves.
async fn count_rows(conn: &mut PgConnection, scope: ReadScope<'_>, filter: &ListFilter) -> sqlx::Result<i64> {
    let mut qb = QueryBuilder::new("SELECT count(*) FROM offering_users ou WHERE true");
    push_scope(&mut qb, scope);
    push_filter(&mut qb, filter);
    qb.build_query_scalar().fetch_one(&mut *conn).await
}

/// One page of visible rows matching `filter`, in the requested order.
///
/// The page is chosen first on `offering_users` alone (joined only to what visibility,
/// filters and ordering need), so the planner walks an ordered index and stops at the page
/// size; only then are the at most `limit` rows joined to everything the representation shows.
pub async fn page(
    conn: &mut PgConnection,
    scope: ReadScope<'_>,
    filter: &ListFilter,
    order: &[OrderKey],
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<OfferingUserRow>> {
    let mut qb = page_query(scope, filter, order, limit, offset, false);
    qb.build_query_as().fetch_all(&mut *conn).await
}

/// One page, as [`page`], with the number of all visible rows matching `filter`, read in
/// the same statement: for a count the counters cannot give, the rows must be read anyway,
/// and reading them once serves both the count and the page. It sorts every match for the
/// page, so it suits filters that leave few. The total is `None` when the page is empty
/// (no match, or a page past the end): no row carries it then.
pub async fn page_with_total(
    conn: &mut PgConnection,
    scope: ReadScope<'_>,
    filter: &ListFilter,
    order: &[OrderKey],
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<OfferingUserRow>, Option<i64>)> {
    let mut qb = page_query(scope, filter, order, limit, offset, true);
    let rows: Vec<TotalledRow> = qb.build_query_as().fetch_all(&mut *conn).await?;
    let total = rows.first().map(|r| r.total);
    Ok((rows.into_iter().map(|r| r.row).collect(), total))
}

/// A row of [`page_with_total`]: every row carries the same total.
#[derive(sqlx::FromRow)]
struct TotalledRow {
    #[sqlx(flatten)]
    row: OfferingUserRow,
    total: i64,
}

/// The statement of [`page`], and of [`page_with_total`] when `with_total`.
fn page_query<'a>(
    scope: ReadScope<'a>,
    filter: &'a ListFilter,
    order: &'a [OrderKey],
    limit: i64,
    offset: i64,
    with_total: bool,
) -> QueryBuilder<'a, Postgres> {
    let total = if with_total { ", ou.total" } else { "" };
    let mut qb = QueryBuilder::new(format!(
        "WITH page AS MATERIALIZED (SELECT ou.id{total}, row_number() OVER () AS position FROM (SELECT ou.id{total} FROM "
    ));
    if with_total {
        push_counted_matches(&mut qb, scope, filter);
        push_user_join(&mut qb, order);
    } else {
        qb.push("offering_users ou");
        push_user_join(&mut qb, order);
        push_walkable_predicate(&mut qb, scope, filter);
    }
    push_order(&mut qb, order);
    // Literal numbers (ours, not the client's text): with a bound LIMIT the generic plan
    // cannot know the page is small and may sort the whole table instead of walking an index.
    qb.push(format_args!(" LIMIT {limit} OFFSET {offset}"));
    qb.push(") ou) SELECT ").push(ROW_COLUMNS).push(if with_total { ", page.total" } else { "" });
    // ROW_JOINS starts from `offering_users ou`; here it starts from the page's rows.
    qb.push(ROW_JOINS.replacen(" FROM offering_users ou ", " FROM page JOIN offering_users ou ON ou.id = page.id ", 1));
    qb.push(" ORDER BY page.position");
    qb
}

/// Pushes the join to `users u` when the order needs the user's names.
fn push_user_join(qb: &mut QueryBuilder<'_, Postgres>, order: &[OrderKey]) {
    if order.iter().any(|k| matches!(k.column, OrderColumn::UserFirstName | OrderColumn::UserLastName)) {
        qb.push(" JOIN users u ON u.id = ou.user_id");
    }
}

/// Pushes ` WHERE …` for a page that may stop at its size: for one offering, visibility only
/// filters the rows of its ordered index (see [`push_visible_as_filter`]).
fn push_walkable_predicate(qb: &mut QueryBuilder<'_, Postgres>, scope: ReadScope<'_>, filter: &ListFilter) {
    qb.push(" WHERE true");
    if filter.single_offering_uuid().is_some() {
        push_visible_as_filter(qb, scope.caller);
    } else {
        push_visible(qb, scope.caller);
    }
    push_consent_gate(qb, scope.caller, scope.consent_gate);
    push_filter(qb, filter);
}

/// Pushes `(…) ou`: the rows [`count_rows`] counts, with the columns the ordering needs and
/// each carrying the number of them all (`total`).
///
/// The window counts the rows before the enclosing ORDER BY and LIMIT pick the page. It sits
/// in a subquery of its own because PostgreSQL 15 costs a window's first row as cheap as its
/// input's: in the same SELECT as `ORDER BY … LIMIT`, the planner walks the whole username
/// index in order to save a sort (seconds on a large table), not seeing that the count must read every
/// match before the first row. The subquery is planned for all its rows: the bitmap scan of
/// [`count_rows`], then a top-N sort of the matches.
fn push_counted_matches(qb: &mut QueryBuilder<'_, Postgres>, scope: ReadScope<'_>, filter: &ListFilter) {
    qb.push(
        "(SELECT ou.id, ou.user_id, ou.username, ou.created, ou.modified, ou.uuid, count(*) OVER () AS total \
         FROM offering_users ou WHERE true",
    );
    push_scope(qb, scope);
    push_filter(qb, filter);
    qb.push(") ou");
}

/// The record with this uuid if the caller may see it (list/retrieve visibility, with the
/// consent gate when `scope.consent_gate`).
pub async fn find_visible(
    conn: &mut PgConnection,
    scope: ReadScope<'_>,
    uuid: Uuid,
) -> sqlx::Result<Option<OfferingUserRow>> {
    let mut qb = QueryBuilder::new("");
    qb.push("SELECT ").push(ROW_COLUMNS).push(ROW_JOINS).push(" WHERE ou.uuid = ").push_bind(uuid);
    push_scope(&mut qb, scope);
    qb.build_query_as().fetch_optional(&mut *conn).await
}

fn push_scope(qb: &mut QueryBuilder<'_, Postgres>, scope: ReadScope<'_>) {
    push_visible(qb, scope.caller);
    push_consent_gate(qb, scope.caller, scope.consent_gate);
}

/// Pushes ` AND …` for every filter that is set.
fn push_filter(qb: &mut QueryBuilder<'_, Postgres>, f: &ListFilter) {
    // The offerings a filter names are resolved to ids first, so that the rows come from
    // the offering_id index of offering_users (with a generic plan, a condition on the
    // joined offering could not reach that index).
    if let Some(uuid) = f.single_offering_uuid() {
        // One offering: an equality, which the (offering_id, username, …) index serves in order.
        qb.push(" AND ou.offering_id = (SELECT o2.id FROM offerings o2 WHERE o2.uuid = ").push_bind(uuid).push(")");
    } else if f.has_offering_filter() {
        qb.push(" AND ou.offering_id = ANY(ARRAY(SELECT o2.id FROM offerings o2 WHERE true");
        push_offering_filter(qb, f, "o2");
        qb.push("))");
    }
    push_record_filter(qb, f);
}

/// The filters on the offering, over the alias `alias`.
pub(super) fn push_offering_filter(qb: &mut QueryBuilder<'_, Postgres>, f: &ListFilter, alias: &'static str) {
    if f.matches_nothing {
        qb.push(" AND false");
    }
    if let Some(uuid) = f.offering_url_uuid {
        qb.push(format_args!(" AND {alias}.uuid = ")).push_bind(uuid);
    }
    if !f.offering_uuids.is_empty() {
        qb.push(format_args!(" AND {alias}.uuid = ANY(")).push_bind(f.offering_uuids.clone()).push(")");
    }
    if !f.offering_slugs.is_empty() {
        qb.push(format_args!(" AND {alias}.slug = ANY(")).push_bind(f.offering_slugs.clone()).push(")");
    }
    if let Some(uuid) = f.parent_offering_uuid {
        qb.push(format_args!(" AND {alias}.parent_id = (SELECT id FROM offerings WHERE uuid = "))
            .push_bind(uuid)
            .push(")");
    }
    if let Some(uuid) = f.provider_uuid {
        qb.push(format_args!(" AND {alias}.customer_id = (SELECT id FROM customers WHERE uuid = "))
            .push_bind(uuid)
            .push(")");
    }
}

/// The filters on the record and its user (aliases `ou`, `u`).
fn push_record_filter(qb: &mut QueryBuilder<'_, Postgres>, f: &ListFilter) {
    if let Some(uuid) = f.user_uuid {
        qb.push(" AND ou.user_id = (SELECT id FROM users WHERE uuid = ").push_bind(uuid).push(")");
    }
    if let Some(name) = &f.user_username {
        qb.push(" AND ou.user_id = ANY(ARRAY(SELECT id FROM users WHERE lower(username) = lower(")
            .push_bind(name.clone())
            .push(")))");
    }
    if let Some(name) = &f.username {
        qb.push(" AND ou.username = ").push_bind(name.clone());
    }
    if let Some(restricted) = f.is_restricted {
        qb.push(" AND ou.is_restricted = ").push_bind(restricted);
    }
    if !f.states.is_empty() {
        let states: Vec<i16> = f.states.iter().map(|s| s.db()).collect();
        qb.push(" AND ou.state = ANY(").push_bind(states).push(")");
    }
    if let Some(consented) = f.has_consent {
        qb.push(" AND ou.consented = ").push_bind(consented);
    }
    if let Some(after) = f.created_after {
        qb.push(" AND ou.created >= ").push_bind(after);
    }
    if let Some(after) = f.modified_after {
        qb.push(" AND ou.modified >= ").push_bind(after);
    }
    if let Some(query) = &f.query {
        // Matching users and offerings are found first through their trigram indexes (there
        // are few of them); the rows then come from the offering_id / user_id / username
        // indexes as one bitmap OR.
        let pattern = format!("%{}%", escape_like(query));
        qb.push(" AND (ou.username ILIKE ").push_bind(pattern.clone());
        qb.push(" OR ou.offering_id = ANY(ARRAY(SELECT id FROM offerings WHERE name ILIKE ").push_bind(pattern.clone());
        qb.push(")) OR ou.user_id = ANY(ARRAY(SELECT id FROM users WHERE first_name ILIKE ").push_bind(pattern.clone());
        qb.push(" OR last_name ILIKE ").push_bind(pattern).push(")))");
    }
}

/// `ORDER BY` the requested keys, then the tie-break `username NULLS LAST, created, uuid`
/// so that pages never overlap or skip rows (docs/spec/decisions.md 11).
fn push_order(qb: &mut QueryBuilder<'_, Postgres>, order: &[OrderKey]) {
    qb.push(" ORDER BY ");
    let mut seen = Vec::new();
    for key in order {
        if seen.contains(&key.column) {
            continue;
        }
        seen.push(key.column);
        qb.push(order_expression(key.column));
        // PostgreSQL's defaults, as Django leaves them: NULLs last ascending, first descending.
        qb.push(if key.descending { " DESC, " } else { " ASC, " });
    }
    if !seen.contains(&OrderColumn::Username) {
        qb.push("ou.username ASC NULLS LAST, ");
    }
    if !seen.contains(&OrderColumn::Created) {
        qb.push("ou.created ASC, ");
    }
    qb.push("ou.uuid ASC");
}

fn order_expression(column: OrderColumn) -> &'static str {
    match column {
        OrderColumn::Created => "ou.created",
        OrderColumn::Modified => "ou.modified",
        OrderColumn::Username => "ou.username",
        OrderColumn::UserFirstName => "u.first_name",
        OrderColumn::UserLastName => "u.last_name",
    }
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
