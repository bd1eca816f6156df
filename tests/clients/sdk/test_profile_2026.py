"""The 2026 contract through the SDK (docs/spec/offering-users-2026.md §4, §6): every list and
retrieve item parses with the SDK's own `OfferingUser.from_dict` (on 8.1.2 the new keys land in
`additional_properties`), the new attributes carry what directory.py seeded, exposure gates the
profile keys per offering, the completeness gate hides bob's incomplete PROFILE record from the
manager (run.sh starts the server with ENFORCE_OFFERING_USER_PROFILE_COMPLETENESS), and the two
profile_field_warnings functions of 8.1.3 work against the server."""

import datetime
import json

import pytest
from helpers import SDK_813, U, d
from waldur_api_client.api.marketplace_offering_users import (
    marketplace_offering_users_list,
    marketplace_offering_users_retrieve,
)
from waldur_api_client.models.offering_user import OfferingUser
from waldur_api_client.types import UNSET

needs_813 = pytest.mark.skipif(not SDK_813, reason="the 2026 fields and functions are new in 8.1.3")


def _raw_list(client, **filters):
    response = marketplace_offering_users_list.sync_detailed(client=client, **filters)
    assert response.status_code == 200
    return json.loads(response.content)


def test_every_list_and_retrieve_item_parses_with_the_sdk_model(staff, manager):
    for client in (staff, manager):
        for offering in (d.OFFERING_MAIN, d.OFFERING_PROFILE, d.OFFERING_FSM):
            items = _raw_list(client, offering_uuid=[U(offering)], page_size=300)
            for item in items:
                parsed = OfferingUser.from_dict(item)
                assert parsed.uuid is not UNSET
                if SDK_813:
                    assert parsed.runtime_state.value in (
                        "Active",
                        "Pending account linking",
                        "Pending additional validation",
                    )
                    assert isinstance(parsed.missing_profile_attributes, list)
    row = marketplace_offering_users_retrieve.sync(uuid=U(d.PROFILE_OU_ALICE), client=staff)
    assert isinstance(row, OfferingUser)


@needs_813
def test_profile_attributes_follow_the_offerings_exposure(staff):
    alice = marketplace_offering_users_retrieve.sync(uuid=U(d.PROFILE_OU_ALICE), client=staff)
    assert alice.user_phone_number == d.ALICE_PROFILE["phone_number"]
    assert alice.user_job_title == d.ALICE_PROFILE["job_title"]
    assert alice.user_affiliations == d.ALICE_PROFILE["affiliations"]
    assert alice.user_birth_date == datetime.date(1990, 2, 28)
    assert alice.user_uid_number == d.ALICE_PROFILE["uid_number"]
    assert (alice.user_first_name, alice.user_last_name) == ("Alice", "Smith")
    # Not exposed by PROFILE's config: absent (UNSET), not null.
    assert alice.user_gender is UNSET and alice.user_organization is UNSET
    assert alice.is_profile_complete is True and alice.missing_profile_attributes == []
    assert alice.service_provider_account_uuid == U(d.SP_ACCOUNT_ALICE)
    assert alice.service_provider_account_username == "asmith"
    assert alice.offering_has_active_tos is False and alice.consent_data is None
    assert (alice.uidnumber, alice.primarygroup, alice.login_shell, alice.home_directory) == (None, None, None, None)

    # MAIN has no config: the default exposure shows the name parts, not the phone number.
    main = marketplace_offering_users_retrieve.sync(uuid=U(d.ou("alice")), client=staff)
    assert main.user_first_name == "Alice" and main.user_phone_number is UNSET
    assert main.runtime_state.value == "Active"
    assert main.offering_has_active_tos is True
    assert main.consent_data.additional_properties["version"] == "1"
    assert main.consent_data.additional_properties["agreement_date"] == "2026-01-02T10:00:00+00:00"

    bob = marketplace_offering_users_retrieve.sync(uuid=U(d.PROFILE_OU_BOB), client=staff)
    assert bob.runtime_state.value == d.PROFILE_RUNTIME_STATE_BOB
    assert bob.is_profile_complete is False
    # In the canonical order of the attributes (§4.3).
    assert bob.missing_profile_attributes == ["affiliations", "phone_number", "job_title", "birth_date", "uid_number"]
    assert bob.user_phone_number == "" and bob.user_affiliations == [] and bob.user_birth_date is None


@needs_813
def test_the_completeness_gate_hides_an_incomplete_record_from_the_manager_only(staff, manager, alice):
    def uuids(client):
        rows = marketplace_offering_users_list.sync(client=client, offering_uuid=[U(d.OFFERING_PROFILE)])
        return sorted(r.uuid.hex for r in rows)

    assert uuids(manager) == [d.PROFILE_OU_ALICE]
    assert uuids(staff) == sorted([d.PROFILE_OU_ALICE, d.PROFILE_OU_BOB])
    assert uuids(alice) == [d.PROFILE_OU_ALICE]


@needs_813
def test_field_selects_the_new_names(staff):
    from waldur_api_client.models.offering_user_field_enum import OfferingUserFieldEnum

    rows = marketplace_offering_users_list.sync(
        client=staff,
        offering_uuid=[U(d.OFFERING_PROFILE)],
        field=[OfferingUserFieldEnum("runtime_state"), OfferingUserFieldEnum("user_phone_number")],
    )
    assert sorted(r.runtime_state.value for r in rows) == ["Active", d.PROFILE_RUNTIME_STATE_BOB]
    assert all(r.uuid is UNSET for r in rows)


@needs_813
def test_profile_field_warnings_through_the_sdks_own_functions(alice, outsider):
    from waldur_api_client.api.marketplace_offering_users import (
        marketplace_offering_users_profile_field_warnings_count as warnings_count,
    )
    from waldur_api_client.api.marketplace_offering_users import (
        marketplace_offering_users_profile_field_warnings_retrieve as warnings_retrieve,
    )

    # The SDK's retrieve ignores the body (`parsed` is None on 200); the raw content shows it.
    response = warnings_retrieve.sync_detailed(client=alice)
    assert response.parsed is None
    assert response.status_code == 200
    body = json.loads(response.content)
    # PROFILE's config and the default exposure of alice's other offerings.
    assert sorted(body) == [
        "affiliations",
        "birth_date",
        "email",
        "first_name",
        "job_title",
        "last_name",
        "phone_number",
        "uid_number",
        "username",
    ]
    assert {"offering_uuid": d.OFFERING_PROFILE, "offering_name": "Clients Profile"} in body["phone_number"]
    assert d.OFFERING_MAIN in [e["offering_uuid"] for e in body["username"]]
    assert warnings_count.sync(client=alice) == len(body)
    # Someone without accounts: an empty object, count 0.
    assert warnings_count.sync(client=outsider) == 0
