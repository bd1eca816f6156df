//! What `profile_field_warnings` reads (docs/spec/offering-users-2026.md §6): the offerings
//! a user has an account on, with the attributes each exposes.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::state::State;

/// An offering one of the user's accounts is on, with its effective exposed attributes.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExposingOffering {
    pub uuid: Uuid,
    pub name: String,
    /// The offering's explicit exposure config, else the setting's default (§4.3).
    pub attributes: Vec<String>,
}

/// The offerings of the user's offering users that are not `Deleted`, once each, by name then
/// uuid. Every offering counts as active: the directory has no resources (open question Q7).
pub async fn exposing_offerings(
    conn: &mut PgConnection,
    user_id: i64,
    default_exposure: &[&'static str],
) -> sqlx::Result<Vec<ExposingOffering>> {
    sqlx::query_as(
        "SELECT o.uuid, o.name, coalesce(o.exposed_user_attributes, $3::text[]) AS attributes \
         FROM offerings o \
         WHERE o.id IN (SELECT ou.offering_id FROM offering_users ou WHERE ou.user_id = $1 AND ou.state <> $2) \
         ORDER BY o.name, o.uuid",
    )
    .bind(user_id)
    .bind(State::Deleted.db())
    .bind(default_exposure)
    .fetch_all(conn)
    .await
}
