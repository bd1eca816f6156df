//! The shapes of the POSIX answers (SDK 8.1.3 models `OfferingUserPosixUpdateResponse`,
//! `OfferingUserPosixGroup`, `OfferingUserPosixAllocation`, `UserPosixIdentity`,
//! `PosixSharingOffering`): every key always present, `null` only where the model allows it,
//! arrays never `null` (docs/spec/offering-users-2026.md §2.2).

use serde::Serialize;

use crate::http::wire::Hex;

/// 200 of `set_posix_attributes`: the values now stored, and the advisories (`[]` when none).
#[derive(Debug, Serialize)]
pub(super) struct PosixUpdateResponse {
    pub uidnumber: Option<i64>,
    pub primarygroup: Option<i64>,
    pub warnings: Vec<String>,
}

/// An item of `posix_groups` (§7.3), the 12 keys in the model's order.
#[derive(Debug, Serialize)]
pub(super) struct PosixGroupItem {
    pub kind: String,
    pub group_name: Option<String>,
    pub service_provider_name: Option<String>,
    pub gid: i64,
    pub offering_name: String,
    pub project_name: Option<String>,
    pub project_uuid: Option<Hex>,
    pub customer_name: Option<String>,
    pub customer_uuid: Option<Hex>,
    pub project_accessible: bool,
    pub pool_uuid: Option<Hex>,
    pub pool_scope: Option<&'static str>,
}

/// An offering that carries a value: both keys always present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct SharingOffering {
    pub uuid: Hex,
    pub name: String,
}

/// An item of `posix_allocations` (§7.4).
#[derive(Debug, Serialize)]
pub(super) struct PosixAllocationItem {
    pub namespace: &'static str,
    pub value: i64,
    pub pool_uuid: Option<Hex>,
    pub scope: Option<&'static str>,
    pub scope_name: Option<String>,
    pub shared_with_offerings: Vec<SharingOffering>,
}

/// An item of `posix_identities` (§7.5); `offering_name`/`offering_uuid` are the deprecated
/// copies of the first entry of `offerings`.
#[derive(Debug, Serialize)]
pub(super) struct PosixIdentityItem {
    pub namespace: &'static str,
    pub value: i64,
    pub context: Option<String>,
    pub pool_uuid: Option<Hex>,
    pub pool_scope: Option<&'static str>,
    pub offerings: Vec<SharingOffering>,
    pub offering_name: Option<String>,
    pub offering_uuid: Option<Hex>,
}
