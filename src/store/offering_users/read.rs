//! Reading offering users: the list page, its count, and one visible record.

use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

use super::counting::{count_from_counters, countable_from_counters};
use super::row::{push_row_from, OfferingUserRow, RowSource, ROW_COLUMNS};
use super::scope::{push_filter, push_gates, push_scope, push_scope_and_filter, ReadScope};
use crate::domain::listing::{ListFilter, OrderColumn, OrderKey};
use crate::store::visibility::{push_visible, push_visible_as_filter};

/// The number of visible rows matching `filter` (the `X-Result-Count`).
pub async fn count(conn: &mut PgConnection, scope: ReadScope<'_>, filter: &ListFilter) -> sqlx::Result<i64> {
    // The counters know nothing of profiles: while the completeness gate narrows the caller's
    // records, they are counted from the rows (docs/spec/offering-users-2026.md §4.5).
    if countable_from_counters(filter) && !scope.completeness_gated() {
        if let Some(n) = count_from_counters(&mut *conn, scope, filter).await? {
            return Ok(n);
        }
    }
    count_rows(&mut *conn, scope, filter).await
}

/// The count read from the matching rows themselves.
async fn count_rows(conn: &mut PgConnection, scope: ReadScope<'_>, filter: &ListFilter) -> sqlx::Result<i64> {
    let mut qb = QueryBuilder::new("SELECT count(*) FROM offering_users ou WHERE true");
    push_scope_and_filter(&mut qb, scope, filter);
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
    push_row_from(&mut qb, RowSource::Page, scope.default_exposure);
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
    push_gates(qb, scope);
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
    push_scope_and_filter(qb, scope, filter);
    qb.push(") ou");
}

/// The record with this uuid if the caller may see it (list/retrieve visibility, with the
/// consent and completeness gates when they are on).
pub async fn find_visible(
    conn: &mut PgConnection,
    scope: ReadScope<'_>,
    uuid: Uuid,
) -> sqlx::Result<Option<OfferingUserRow>> {
    let mut qb = QueryBuilder::new("");
    qb.push("SELECT ").push(ROW_COLUMNS);
    push_row_from(&mut qb, RowSource::Table, scope.default_exposure);
    qb.push(" WHERE ou.uuid = ").push_bind(uuid);
    push_scope(&mut qb, scope);
    qb.build_query_as().fetch_optional(&mut *conn).await
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
