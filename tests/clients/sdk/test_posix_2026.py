"""The POSIX operations of SDK 8.1.3 (docs/spec/offering-users-2026.md §7): set_posix_attributes,
posix_groups_list, posix_allocations_list, posix_identities_list/count and their sync_all,
each answer parsed by the SDK's own models. Older SDKs (8.1.2) lack their models: the module is skipped there.

The data is `directory.add_posix`: a provider with a default pool (UIDs and GIDs 5000-5999,
group GIDs 9000-9999), two offerings resolving to it, and `posix-member` (a project member)
holding UID and GID 5001. Only this file touches those records."""

from uuid import UUID

import pytest
from helpers import SDK_813, U, d, refused

if not SDK_813:
    pytest.skip("the POSIX operations and models are those of waldur-api-client 8.1.3", allow_module_level=True)

from waldur_api_client.api.marketplace_offering_users import (  # noqa: E402
    marketplace_offering_users_posix_allocations_list as posix_allocations,
    marketplace_offering_users_posix_groups_list as posix_groups,
    marketplace_offering_users_posix_identities_count as posix_identities_count,
    marketplace_offering_users_posix_identities_list as posix_identities,
    marketplace_offering_users_set_posix_attributes as set_posix_attributes,
)
from waldur_api_client.models.offering_user_posix_attributes_request import (  # noqa: E402
    OfferingUserPosixAttributesRequest,
)
from waldur_api_client.models.offering_user_posix_group import OfferingUserPosixGroup  # noqa: E402
from waldur_api_client.models.offering_user_posix_group_kind_enum import OfferingUserPosixGroupKindEnum  # noqa: E402
from waldur_api_client.models.offering_user_posix_update_response import OfferingUserPosixUpdateResponse  # noqa: E402
from waldur_api_client.models.user_posix_identity import UserPosixIdentity  # noqa: E402


def test_set_posix_attributes_pins_and_projects(manager, staff):
    body = OfferingUserPosixAttributesRequest(uidnumber=5100, primarygroup=5100, login_shell="/bin/zsh")
    answer = set_posix_attributes.sync(uuid=U(d.OU_POSIX_A), client=manager, body=body)
    assert isinstance(answer, OfferingUserPosixUpdateResponse)
    assert (answer.uidnumber, answer.primarygroup, answer.warnings) == (5100, 5100, [])
    # The sibling account on the other offering of the pool carries the same values.
    sibling = posix_allocations.sync(uuid=U(d.OU_POSIX_B), client=staff)
    assert [(a.namespace, a.value, a.pool_uuid, a.scope) for a in sibling] == [
        ("uid", 5100, d.POSIX_POOL, "service_provider"),
        ("gid", 5100, d.POSIX_POOL, "service_provider"),
    ]
    assert [(o.uuid, o.name) for o in sibling[0].shared_with_offerings] == [(d.OFFERING_POSIX_A, "POSIX Cluster A")]
    # Shell and home alone leave the pin as it is.
    again = set_posix_attributes.sync(
        uuid=U(d.OU_POSIX_A), client=manager, body=OfferingUserPosixAttributesRequest(home_directory="/data/pxuser")
    )
    assert (again.uidnumber, again.primarygroup) == (5100, 5100)


def test_set_posix_attributes_refusals(manager, alice):
    with refused(400) as r:
        set_posix_attributes.sync(
            uuid=U(d.OU_POSIX_A), client=manager, body=OfferingUserPosixAttributesRequest(uidnumber=10)
        )
    assert r.body == {"uidnumber": "10 is outside the pool's UID range [5000-5999]."}
    with refused(400) as r:
        set_posix_attributes.sync(
            uuid=U(d.OU_POSIX_A), client=manager, body=OfferingUserPosixAttributesRequest(uidnumber=5001)
        )
    assert r.body == {"uidnumber": "5001 is already allocated to another account."}
    with refused(400) as r:
        set_posix_attributes.sync(uuid=U(d.OU_POSIX_A), client=manager, body=OfferingUserPosixAttributesRequest())
    assert r.body == {
        "non_field_errors": ["At least one of login_shell, home_directory, uidnumber or primarygroup must be provided."]
    }
    with refused(404):
        set_posix_attributes.sync(
            uuid=U(d.OU_POSIX_A), client=alice, body=OfferingUserPosixAttributesRequest(login_shell="/bin/sh")
        )


def test_set_posix_attributes_advisory(staff):
    answer = set_posix_attributes.sync(
        uuid=U(d.OU_POSIX_MEMBER), client=staff, body=OfferingUserPosixAttributesRequest(login_shell="/bin/bash")
    )
    assert (answer.uidnumber, answer.primarygroup, answer.warnings) == (5001, 5001, [])


def test_posix_groups_list_and_sync_all(manager, staff):
    rows = posix_groups.sync(uuid=U(d.OU_POSIX_MEMBER), client=staff)
    assert all(isinstance(r, OfferingUserPosixGroup) for r in rows)
    assert [(r.kind, r.gid, r.group_name, r.pool_uuid, r.pool_scope) for r in rows] == [
        (OfferingUserPosixGroupKindEnum.PROJECT_GROUP, 9001, None, d.POSIX_POOL, "service_provider"),
        (OfferingUserPosixGroupKindEnum.PROVIDER_PROJECT_GROUP, 9002, "genomics", d.POSIX_POOL, "service_provider"),
    ]
    assert {(r.project_name, r.project_uuid, r.customer_name, r.project_accessible) for r in rows} == {
        ("Genomics", d.PROJECT_POSIX, "POSIX Provider", True)
    }
    # The offering manager sees the record but not the project.
    assert {r.project_accessible for r in posix_groups.sync(uuid=U(d.OU_POSIX_MEMBER), client=manager)} == {False}
    assert posix_groups.sync_all(uuid=U(d.OU_POSIX_MEMBER), client=staff) == rows
    assert posix_groups.sync(uuid=U(d.OU_POSIX_B), client=staff) == []


def test_posix_allocations_list_and_sync_all(staff, outsider):
    rows = posix_allocations.sync(uuid=U(d.OU_POSIX_MEMBER), client=staff)
    assert [(a.namespace, a.value, a.pool_uuid, a.scope, a.scope_name) for a in rows] == [
        ("uid", 5001, d.POSIX_POOL, "service_provider", "POSIX Provider"),
        ("gid", 5001, d.POSIX_POOL, "service_provider", "POSIX Provider"),
    ]
    assert [a.shared_with_offerings for a in rows] == [[], []]
    assert posix_allocations.sync_all(uuid=U(d.OU_POSIX_MEMBER), client=staff) == rows
    with refused(404):
        posix_allocations.sync(uuid=U(d.OU_POSIX_MEMBER), client=outsider)


def test_posix_identities_list_count_and_sync_all(staff, outsider):
    rows = posix_identities.sync(client=staff, user_uuid=UUID(d.POSIX_MEMBER))
    assert all(isinstance(r, UserPosixIdentity) for r in rows)
    assert [(r.namespace, r.value, r.context, r.pool_uuid) for r in rows] == [
        ("uid", 5001, None, d.POSIX_POOL),
        ("gid", 5001, None, d.POSIX_POOL),
        ("gid", 9001, "Genomics", d.POSIX_POOL),
        ("gid", 9002, "Genomics", d.POSIX_POOL),
    ]
    assert [(o.uuid, o.name) for o in rows[0].offerings] == [(d.OFFERING_POSIX_A, "POSIX Cluster A")]
    assert (rows[0].offering_uuid, rows[0].offering_name) == (d.OFFERING_POSIX_A, "POSIX Cluster A")
    assert posix_identities_count.sync(client=staff, user_uuid=UUID(d.POSIX_MEMBER)) == len(rows)
    # sync_all sends page_size=100 and stops: no Link.
    assert posix_identities.sync_all(client=staff, user_uuid=UUID(d.POSIX_MEMBER)) == rows
    # Filters apply; the invisible give nothing.
    assert posix_identities.sync(client=staff, user_uuid=UUID(d.POSIX_MEMBER), offering_uuid=[U(d.OFFERING_POSIX_B)]) == []
    assert posix_identities.sync(client=outsider, user_uuid=UUID(d.POSIX_MEMBER)) == []
    assert posix_identities_count.sync(client=outsider, user_uuid=UUID(d.POSIX_MEMBER)) == 0
