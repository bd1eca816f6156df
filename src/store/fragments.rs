//! SQL text that several store modules write into their statements: the authentication
//! statement (`auth`) and the visibility predicates (`visibility`) both test for an active
//! role. It sits in a module of its own so that neither imports the other for it. The POSIX
//! pool an offering resolves to is read by the API (`offering_users`) and the import alike.

/// "Active role" as upstream defines it, over the alias `r`, as a literal for `concat!` in
/// statements written whole.
macro_rules! active_role {
    () => {
        "r.is_active AND (r.expiration_time IS NULL OR r.expiration_time > now())"
    };
}
pub(crate) use active_role;

/// "Active role" as upstream defines it, over the alias `r`.
pub const ACTIVE_ROLE: &str = active_role!();

/// The id of the POSIX ID pool that an offering `o` resolves to (docs/spec/offering-users-2026.md
/// §7.1): its own pool, else its customer's (the provider's default); NULL when neither exists.
pub const RESOLVED_POOL_OF_O: &str = "coalesce((SELECT rp.id FROM posix_id_pools rp WHERE rp.offering_id = o.id), \
     (SELECT rp.id FROM posix_id_pools rp WHERE rp.customer_id = o.customer_id))";
