//! The row behind the 22-field representation, and the statement text that reads it from
//! wherever its records come from: the table, a page of chosen ids, an `UPDATE`'s result.

use chrono::{DateTime, Utc};
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use crate::domain::state::State;

/// Everything the 22-field representation needs, read in one statement with its joins.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OfferingUserRow {
    pub id: i64,
    pub uuid: Uuid,
    pub user_uuid: Uuid,
    pub offering_uuid: Uuid,
    pub username: Option<String>,
    pub offering_name: String,
    pub user_username: String,
    pub user_first_name: String,
    pub user_last_name: String,
    pub user_email: String,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
    pub customer_uuid: Uuid,
    pub customer_name: String,
    pub is_restricted: bool,
    /// Decoded from the `smallint` column; an unknown value fails the read.
    #[sqlx(try_from = "i16")]
    pub state: State,
    pub service_provider_comment: String,
    pub service_provider_comment_url: String,
    pub has_consent: bool,
    pub requires_reconsent: bool,
    pub has_compliance_checklist: bool,
}

/// Where the records of an [`OfferingUserRow`] statement come from, as the alias `ou`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RowSource {
    /// `offering_users` itself; the statement's `WHERE` picks the records.
    Table,
    /// The ids of the CTE `page` (in its `position` order), joined back to `offering_users`.
    Page,
    /// The rows an `UPDATE … RETURNING *` CTE named `updated` left.
    Updated,
}

impl RowSource {
    /// The `FROM` clause that makes the source's records the alias `ou`.
    fn clause(self) -> &'static str {
        match self {
            RowSource::Table => " FROM offering_users ou",
            RowSource::Page => " FROM page JOIN offering_users ou ON ou.id = page.id",
            RowSource::Updated => " FROM updated ou",
        }
    }
}

/// The select list of [`OfferingUserRow`] over `ou` and the aliases of [`push_row_from`].
pub(super) const ROW_COLUMNS: &str = "ou.id, ou.uuid, u.uuid AS user_uuid, o.uuid AS offering_uuid, ou.username, \
    o.name AS offering_name, u.username AS user_username, u.first_name AS user_first_name, \
    u.last_name AS user_last_name, u.email AS user_email, ou.created, ou.modified, \
    c.uuid AS customer_uuid, c.name AS customer_name, ou.is_restricted, ou.state, \
    ou.service_provider_comment, ou.service_provider_comment_url, \
    (tos.id IS NOT NULL AND cons.id IS NOT NULL) AS has_consent, \
    coalesce(cons.id IS NOT NULL AND tos.requires_reconsent AND tos.version <> cons.version, false) \
        AS requires_reconsent, \
    EXISTS (SELECT 1 FROM checklist_completions cc WHERE cc.offering_user_id = ou.id \
        AND cc.checklist_id = o.compliance_checklist_id) AS has_compliance_checklist";

/// The joins of [`ROW_COLUMNS`] to the records `ou`: offering, customer, user, the
/// offering's active terms of service (at most one) and the user's non-revoked consent to
/// the offering (at most one).
const ROW_JOINS: &str = " JOIN offerings o ON o.id = ou.offering_id \
    JOIN customers c ON c.id = o.customer_id \
    JOIN users u ON u.id = ou.user_id \
    LEFT JOIN terms_of_service tos ON tos.offering_id = o.id AND tos.is_active \
    LEFT JOIN consents cons ON cons.user_id = ou.user_id AND cons.offering_id = o.id \
        AND cons.revocation_date IS NULL ";

/// Pushes ` FROM <source> ou JOIN …`: everything [`ROW_COLUMNS`] reads, for the records of
/// `source`.
pub(super) fn push_row_from(qb: &mut QueryBuilder<'_, Postgres>, source: RowSource) {
    qb.push(source.clause()).push(ROW_JOINS);
}
