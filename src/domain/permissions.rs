//! Permission names. Which role grants which permission is data (`role_permissions`,
//! docs/spec/decisions.md item 4); staff hold every permission, support none.

/// Create offering users on an offering.
pub const CREATE_USER: &str = "OFFERING.CREATE_USER";
/// Update offering users and drive their states.
pub const UPDATE_USER: &str = "OFFERING.UPDATE_USER";
/// Delete offering users.
pub const DELETE_USER: &str = "OFFERING.DELETE_USER";
/// Restrict and unrestrict offering users.
pub const UPDATE_RESTRICTION: &str = "OFFERINGUSER.UPDATE_RESTRICTION";

/// Every role the directory knows, with the scope kind its prefix names.
pub const ROLES: [&str; 7] = [
    "CUSTOMER.OWNER",
    "CUSTOMER.MANAGER",
    "CUSTOMER.SUPPORT",
    "PROJECT.ADMIN",
    "PROJECT.MANAGER",
    "PROJECT.MEMBER",
    "OFFERING.MANAGER",
];

/// Every permission a role can be granted.
pub const PERMISSIONS: [&str; 4] = [CREATE_USER, UPDATE_USER, DELETE_USER, UPDATE_RESTRICTION];
