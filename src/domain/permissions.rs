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

/// A role of the directory; its name's prefix names the kind of scope it is held on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    CustomerOwner,
    CustomerManager,
    CustomerSupport,
    ProjectAdmin,
    ProjectManager,
    ProjectMember,
    OfferingManager,
}

/// What a role is held on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScopeKind {
    Customer,
    Project,
    Offering,
}

impl ScopeKind {
    /// `customer`, `project` or `offering`: the key of a role entry's scope.
    pub fn name(self) -> &'static str {
        match self {
            ScopeKind::Customer => "customer",
            ScopeKind::Project => "project",
            ScopeKind::Offering => "offering",
        }
    }
}

impl Role {
    /// Every role the directory knows.
    pub const ALL: [Role; 7] = [
        Role::CustomerOwner,
        Role::CustomerManager,
        Role::CustomerSupport,
        Role::ProjectAdmin,
        Role::ProjectManager,
        Role::ProjectMember,
        Role::OfferingManager,
    ];

    /// The stored name, e.g. `CUSTOMER.OWNER`.
    pub fn name(self) -> &'static str {
        match self {
            Role::CustomerOwner => "CUSTOMER.OWNER",
            Role::CustomerManager => "CUSTOMER.MANAGER",
            Role::CustomerSupport => "CUSTOMER.SUPPORT",
            Role::ProjectAdmin => "PROJECT.ADMIN",
            Role::ProjectManager => "PROJECT.MANAGER",
            Role::ProjectMember => "PROJECT.MEMBER",
            Role::OfferingManager => "OFFERING.MANAGER",
        }
    }

    /// The role with this exact name.
    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }

    /// The kind of scope the role is held on.
    pub fn scope(self) -> ScopeKind {
        match self {
            Role::CustomerOwner | Role::CustomerManager | Role::CustomerSupport => ScopeKind::Customer,
            Role::ProjectAdmin | Role::ProjectManager | Role::ProjectMember => ScopeKind::Project,
            Role::OfferingManager => ScopeKind::Offering,
        }
    }
}

/// Every permission a role can be granted.
pub const PERMISSIONS: [&str; 4] = [CREATE_USER, UPDATE_USER, DELETE_USER, UPDATE_RESTRICTION];
