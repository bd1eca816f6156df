//! The POSIX directory the POSIX tests start from (docs/spec/offering-users-2026.md §7, §9):
//! `world()` plus offerings of the provider that resolve to its default pool, to an override
//! pool of their own, or that take UIDs from the user's attributes; project groups; and
//! accounts of `user`, `member` and `admin`.

use serde_json::{json, Value};

use super::fixture::{ids, offering_user, world};

/// Fixed uuids of the POSIX directory.
pub(crate) mod posix_ids {
    /// The provider's second offering: resolves to the provider's pool.
    pub(crate) const OFFERING_C: &str = "00000000000000000000000000000e11";
    /// An offering with an override pool of its own (UIDs 100–999, no GIDs).
    pub(crate) const OFFERING_D: &str = "00000000000000000000000000000e12";
    /// An offering whose UIDs come from the user's attribute (`uid_source: user_attribute`).
    pub(crate) const OFFERING_E: &str = "00000000000000000000000000000e13";

    /// The provider's default pool: UIDs 1000–4294967295, GIDs 1000–69999, group GIDs 70000–79999.
    pub(crate) const PROVIDER_POOL: &str = "00000000000000000000000000000b01";
    /// The override pool of OFFERING_D.
    pub(crate) const OVERRIDE_POOL: &str = "00000000000000000000000000000b02";

    /// An offering's project group of the project, GID 7000 (inside the primary GID range: tracked).
    pub(crate) const PROJECT_GROUP: &str = "00000000000000000000000000000b11";
    /// The provider's group `climate` of the project, GID 70001 (the project-group range: tracked).
    pub(crate) const PROVIDER_GROUP: &str = "00000000000000000000000000000b12";
    /// A project group of the offering without a GID: never listed.
    pub(crate) const GROUP_WITHOUT_GID: &str = "00000000000000000000000000000b13";
    /// A project group of OFFERING_C with an untracked GID (90000: outside every range).
    pub(crate) const UNTRACKED_GROUP: &str = "00000000000000000000000000000b14";

    /// `user` on OFFERING (username `user`, OK).
    pub(crate) const USER_A: &str = "00000000000000000000000000000f11";
    /// `user` on OFFERING_C.
    pub(crate) const USER_C: &str = "00000000000000000000000000000f12";
    /// `user` on OFFERING_D.
    pub(crate) const USER_D: &str = "00000000000000000000000000000f13";
    /// `user` on OFFERING_E.
    pub(crate) const USER_E: &str = "00000000000000000000000000000f14";
    /// `member` (a project member) on OFFERING, holding UID 1500 and primary GID 1500.
    pub(crate) const MEMBER_A: &str = "00000000000000000000000000000f15";
    /// `admin` (a project admin) on OFFERING.
    pub(crate) const ADMIN_A: &str = "00000000000000000000000000000f16";
    /// `member` on the other provider's offering, which has no pool.
    pub(crate) const MEMBER_FOREIGN: &str = "00000000000000000000000000000f17";
    /// `member` on OFFERING_C.
    pub(crate) const MEMBER_C: &str = "00000000000000000000000000000f18";
}

fn offering(uuid: &str, name: &str, extra: Value) -> Value {
    let mut options = json!({"service_provider_can_create_offering_user": true});
    options.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    json!({"uuid": uuid, "name": name, "customer": ids::PROVIDER, "plugin_options": options})
}

/// `world()` with the POSIX offerings, pools, groups and accounts.
pub(crate) fn posix_world() -> Value {
    use posix_ids::*;
    let mut doc = world();
    let offerings = doc["offerings"].as_array_mut().unwrap();
    offerings.push(offering(OFFERING_C, "Cluster C", json!({})));
    offerings.push(offering(OFFERING_D, "Cluster D", json!({})));
    offerings.push(offering(OFFERING_E, "Cluster E", json!({"uid_source": "user_attribute"})));
    let mut member = offering_user(MEMBER_A, ids::MEMBER, ids::OFFERING, Some("member"), "OK");
    member["uidnumber"] = json!(1500);
    member["primarygroup"] = json!(1500);
    member["home_directory"] = json!("/home/member");
    doc["offering_users"] = json!([
        offering_user(USER_A, ids::USER, ids::OFFERING, Some("user"), "OK"),
        offering_user(USER_C, ids::USER, OFFERING_C, Some("user"), "OK"),
        offering_user(USER_D, ids::USER, OFFERING_D, Some("user"), "OK"),
        offering_user(USER_E, ids::USER, OFFERING_E, Some("user"), "OK"),
        member,
        offering_user(ADMIN_A, ids::ADMIN, ids::OFFERING, Some("admin"), "OK"),
        offering_user(MEMBER_FOREIGN, ids::MEMBER, ids::FOREIGN_OFFERING, Some("member"), "OK"),
        offering_user(MEMBER_C, ids::MEMBER, OFFERING_C, Some("member"), "OK"),
    ]);
    doc["posix_id_pools"] = json!([
        {"uuid": PROVIDER_POOL, "scope": {"customer": ids::PROVIDER}, "description": "provider",
         "min_uid": 1000, "max_uid": 4294967295_i64, "min_gid": 1000, "max_gid": 69999,
         "min_group_gid": 70000, "max_group_gid": 79999},
        {"uuid": OVERRIDE_POOL, "scope": {"offering": OFFERING_D}, "min_uid": 100, "max_uid": 999},
    ]);
    doc["posix_groups"] = json!([
        {"uuid": PROJECT_GROUP, "kind": "project_group", "offering": ids::OFFERING, "projects": [ids::PROJECT], "gid": 7000},
        {"uuid": PROVIDER_GROUP, "kind": "provider_project_group", "customer": ids::PROVIDER, "project": ids::PROJECT,
         "name": "climate", "gid": 70001},
        {"uuid": GROUP_WITHOUT_GID, "kind": "project_group", "offering": ids::OFFERING, "projects": [ids::PROJECT]},
        {"uuid": UNTRACKED_GROUP, "kind": "project_group", "offering": OFFERING_C, "projects": [ids::PROJECT], "gid": 90000},
    ]);
    doc
}
