//! Who acts and what he reaches: the authenticated caller and the ids his roles let him see.
//!
//! Plain data, computed by the authentication statement (`store::auth`) and read by every
//! visibility predicate (`store::visibility`) and handler: it lives here so that neither of
//! those imports the other for it.

use uuid::Uuid;

/// The authenticated user a request acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub id: i64,
    pub uuid: Uuid,
    pub is_staff: bool,
    pub is_support: bool,
    /// What his roles let him see; `None` for staff and support, who see everything.
    pub reach: Option<Reach>,
}

/// The ids behind the visibility rules of docs/spec/offering-users.md §3.2 for one caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    /// Offerings of customers he holds a role on, and offerings he manages: all their
    /// offering users are visible.
    pub offerings: Vec<i64>,
    /// Users holding an active role on a customer or project he can see.
    pub users: Vec<i64>,
    /// Offerings of the customers he can see (his customers and his projects' customers):
    /// records of `users` on these are visible.
    pub customer_offerings: Vec<i64>,
    /// Offerings whose switch `service_provider_can_create_offering_user` is off: not even
    /// his own records there are visible. The two lists above hold switched-on offerings only.
    pub closed_offerings: Vec<i64>,
    /// Customers he holds a role on: `offerings` is their switched-on offerings and
    /// `managed_offerings`. The search tests a record's customer against this list, one key of
    /// its index instead of one per offering (`store::visibility::push_visible_for_search`).
    pub customers: Vec<i64>,
    /// Switched-on offerings he holds a role on himself (an offering manager's).
    pub managed_offerings: Vec<i64>,
}

impl Caller {
    /// Staff and support see every offering user (docs/spec/offering-users.md §3.2 item 1).
    pub fn sees_everything(&self) -> bool {
        self.is_staff || self.is_support
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_staff_and_support_see_everything() {
        let caller = |is_staff, is_support| Caller { id: 1, uuid: Uuid::nil(), is_staff, is_support, reach: None };
        assert!(caller(true, false).sees_everything());
        assert!(caller(false, true).sees_everything());
        assert!(!caller(false, false).sees_everything());
    }
}
