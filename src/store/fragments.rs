//! SQL text that several store modules write into their statements: the authentication
//! statement (`auth`) and the visibility predicates (`visibility`) both test for an active
//! role. It sits in a module of its own so that neither imports the other for it.

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
