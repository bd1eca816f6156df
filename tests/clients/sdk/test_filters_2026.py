"""The newer clients' list filters and `update_runtime_state` (docs/spec/offering-users-2026.md
§3.2, §5), through the SDK's own functions and models: `marketplace_offering_users_list` and
`_count` with every new parameter (the count always equal to the list's length), and
`marketplace_offering_users_update_runtime_state` with `OfferingUserUpdateRuntimeStateRequest`.

The records live on the FILTERS offering (directory.py, `_add_filters_2026`), which no other
test touches. The runtime states are set here through the SDK and reset to Active at the end of
each test that changes them. 8.1.2 lacks `username`, `is_provider_backed` and
`service_provider_account_uuid`: those tests are skipped there.
"""

import datetime
import uuid as uuidlib

import pytest
from helpers import SDK_813, U, d, fetch, make_client, refused
from waldur_api_client.api.marketplace_offering_users import (
    marketplace_offering_users_count,
    marketplace_offering_users_list,
    marketplace_offering_users_update_runtime_state,
)
from waldur_api_client.models.offering_user import OfferingUser
from waldur_api_client.models.offering_user_o_enum import OfferingUserOEnum
from waldur_api_client.models.offering_user_state import OfferingUserState
from waldur_api_client.models.offering_user_update_runtime_state_request import (
    OfferingUserUpdateRuntimeStateRequest,
)
from waldur_api_client.models.runtime_state_enum import RuntimeStateEnum

FILTERS = [U(d.OFFERING_FILTERS)]
# The manager sees every FILTERS record (no terms of service: no consent gate).
ALL_KEYS = set(d.FILTERS_KEYS)
# The PROFILE offering (directory.py, `_add_profile_2026`): an explicit exposure config, alice
# complete and backed by a provider account, bob incomplete and Pending additional validation.
PROFILE = [U(d.OFFERING_PROFILE)]
ALICE, BOB = d.PROFILE_OU_ALICE, d.PROFILE_OU_BOB
LINKING = RuntimeStateEnum.PENDING_ACCOUNT_LINKING
VALIDATION = RuntimeStateEnum.PENDING_ADDITIONAL_VALIDATION


def keys(rows) -> set:
    by_uuid = {d.ou(k): k for k in d.FILTERS_KEYS}
    return {by_uuid.get(r.uuid.hex, r.uuid.hex) for r in rows}


def listed(client, offering=FILTERS, **filters) -> set:
    """The records of `offering` (FILTERS by default) matching `filters`, checked against the
    count of the same query."""
    rows = marketplace_offering_users_list.sync_all(client=client, offering_uuid=offering, **filters)
    assert all(isinstance(r, OfferingUser) for r in rows)
    count = marketplace_offering_users_count.sync(client=client, offering_uuid=offering, **filters)
    assert count == len(rows), f"count {count} != {len(rows)} rows for {filters}"
    return keys(rows)


def set_runtime_state(client, key: str, value: RuntimeStateEnum, **comments):
    body = OfferingUserUpdateRuntimeStateRequest(runtime_state=value, **comments)
    response = marketplace_offering_users_update_runtime_state.sync_detailed(uuid=U(d.ou(key)), client=client, body=body)
    assert response.status_code == 200
    assert response.parsed is None
    assert response.content == b""


@pytest.fixture
def reset_runtime_states(manager):
    yield
    for key in d.FILTERS_KEYS:
        if key != "filt-deleted":
            set_runtime_state(manager, key, RuntimeStateEnum.ACTIVE)


# --- update_runtime_state ---------------------------------------------------------------------


def test_update_runtime_state_with_the_sdks_request_model(manager, reset_runtime_states):
    set_runtime_state(
        manager,
        "filt-ok",
        LINKING,
        service_provider_comment="<p>Link your MyAccessID</p><script>x</script>",
        service_provider_comment_url="https://idp.example.org/link",
    )
    row = fetch(manager, d.ou("filt-ok"))
    assert row.state.value == "OK", "the lifecycle state is left alone"
    assert row.service_provider_comment == "<p>Link your MyAccessID</p>"
    assert row.service_provider_comment_url == "https://idp.example.org/link"
    assert row.runtime_state == LINKING
    # Without comments: they are kept.
    set_runtime_state(manager, "filt-ok", VALIDATION)
    row = fetch(manager, d.ou("filt-ok"))
    assert row.service_provider_comment_url == "https://idp.example.org/link"
    # Empty strings clear them.
    set_runtime_state(
        manager, "filt-ok", RuntimeStateEnum.ACTIVE, service_provider_comment="", service_provider_comment_url=""
    )
    row = fetch(manager, d.ou("filt-ok"))
    assert (row.service_provider_comment, row.service_provider_comment_url) == ("", "")


def test_update_runtime_state_refusals(manager, staff, outsider):
    body = OfferingUserUpdateRuntimeStateRequest(runtime_state=LINKING)
    # (the operation answers no body: the SDK has only `sync_detailed`, which raises on any
    # status but 200)
    call = marketplace_offering_users_update_runtime_state.sync_detailed
    with refused(400) as r:
        call(uuid=U(d.ou("filt-deleted")), client=manager, body=body)
    assert r.body == {"detail": "Cannot update runtime state for offering user in state: Deleted"}
    with refused(400) as r:
        call(uuid=U(d.ou("filt-deleted")), client=staff, body=body)
    # The record's own user sees it but may not write it; a stranger does not see it.
    own = d.ou("filt-own")
    with refused(403) as r:
        call(uuid=U(own), client=make_client("filt-own"), body=body)
    assert r.body == {"detail": "You do not have permission to perform this action."}
    with refused(404) as r:
        call(uuid=U(own), client=outsider, body=body)
    assert r.body == {"detail": "No OfferingUser matches the given query."}
    bad_url = OfferingUserUpdateRuntimeStateRequest(runtime_state=LINKING, service_provider_comment_url="not a url")
    with refused(400) as r:
        call(uuid=U(own), client=manager, body=bad_url)
    assert r.body == {"service_provider_comment_url": ["Enter a valid URL."]}
    assert fetch(manager, own).service_provider_comment_url == "", "nothing changed"


# --- filters ----------------------------------------------------------------------------------


def test_runtime_state_filter(manager, reset_runtime_states):
    assert listed(manager, runtime_state=[RuntimeStateEnum.ACTIVE]) == ALL_KEYS
    assert listed(manager, runtime_state=[LINKING]) == set()
    set_runtime_state(manager, "filt-req", LINKING)
    set_runtime_state(manager, "filt-pal", VALIDATION)
    assert listed(manager, runtime_state=[LINKING]) == {"filt-req"}
    assert listed(manager, runtime_state=[LINKING, VALIDATION]) == {"filt-req", "filt-pal"}
    assert listed(manager, runtime_state=[RuntimeStateEnum.ACTIVE]) == ALL_KEYS - {"filt-req", "filt-pal"}


def test_created_before_and_modified_before(manager):
    row = fetch(manager, d.ou("filt-ok"))
    past = datetime.datetime(2001, 1, 1, tzinfo=datetime.timezone.utc)
    future = datetime.datetime(2999, 1, 1, tzinfo=datetime.timezone.utc)
    assert listed(manager, created_before=past) == set()
    assert listed(manager, created_before=future) == ALL_KEYS
    assert listed(manager, modified_before=past) == set()
    assert listed(manager, modified_before=future) == ALL_KEYS
    # Inclusive, to the microsecond the SDK sends.
    assert "filt-ok" in listed(manager, created=row.created, created_before=row.created)
    assert "filt-ok" in listed(manager, modified=row.modified, modified_before=row.modified)


def test_has_complete_profile_without_an_exposure_config_filters_nothing(manager):
    # FILTERS has no explicit exposure config: no record is incomplete for the gate (§4.5).
    assert listed(manager, has_complete_profile=True) == ALL_KEYS
    assert listed(manager, has_complete_profile=False) == set()


def test_offering_has_active_tos(manager):
    assert listed(manager, offering_has_active_tos=False) == ALL_KEYS
    assert listed(manager, offering_has_active_tos=True) == set()
    main = marketplace_offering_users_list.sync_all(
        client=manager, offering_uuid=[U(d.OFFERING_MAIN)], offering_has_active_tos=True
    )
    assert {r.uuid.hex for r in main} == {d.ou(k) for k in d.MAIN_VISIBLE_TO_MANAGER}


@pytest.mark.skipif(not SDK_813, reason="is_provider_backed and service_provider_account_uuid are new in 8.1.3")
def test_provider_backed_filters(manager):
    # No record of the directory is backed by a provider account (yet).
    assert listed(manager, is_provider_backed=False) == ALL_KEYS
    assert listed(manager, is_provider_backed=True) == set()
    assert listed(manager, service_provider_account_uuid=uuidlib.uuid4()) == set()
    with refused(400) as r:
        marketplace_offering_users_list.sync(client=manager, service_provider_account_uuid="not-a-uuid")
    assert r.body == {"service_provider_account_uuid": ["Enter a valid UUID."]}


@pytest.mark.skipif(not SDK_813, reason="the username filter is new in 8.1.3")
def test_username_is_exact_and_case_sensitive(manager):
    assert listed(manager, username="filt01") == {"filt-ok"}
    assert listed(manager, username="FILT01") == set()
    assert listed(manager, username="filt0") == set()


def test_order_by_the_users_names(manager):
    ascending = marketplace_offering_users_list.sync(
        client=manager, offering_uuid=FILTERS, o=[OfferingUserOEnum.USER_LAST_NAME]
    )
    assert [r.user_username for r in ascending] == ["filt-ok", "filt-req", "filt-pal", "filt-deleted", "filt-own"]
    descending = marketplace_offering_users_list.sync(
        client=manager, offering_uuid=FILTERS, o=[OfferingUserOEnum.VALUE_3]  # -user_last_name
    )
    assert [r.user_username for r in descending] == ["filt-own", "filt-deleted", "filt-pal", "filt-req", "filt-ok"]
    # Equal first names: the tie-break (username NULLS LAST, created, uuid).
    by_first = marketplace_offering_users_list.sync(
        client=manager, offering_uuid=FILTERS, o=[OfferingUserOEnum.USER_FIRST_NAME]
    )
    assert [r.username for r in by_first][:3] == ["filt01", "filt04", "filt05"]
    reverse_first = marketplace_offering_users_list.sync(
        client=manager, offering_uuid=FILTERS, o=[OfferingUserOEnum.VALUE_2]  # -user_first_name
    )
    assert len(reverse_first) == len(d.FILTERS_KEYS)


def test_new_filters_combine(manager, reset_runtime_states):
    set_runtime_state(manager, "filt-ok", LINKING)
    set_runtime_state(manager, "filt-req", LINKING)
    future = datetime.datetime(2999, 1, 1, tzinfo=datetime.timezone.utc)
    found = listed(
        manager,
        runtime_state=[LINKING],
        has_complete_profile=True,
        offering_has_active_tos=False,
        modified_before=future,
    )
    assert found == {"filt-ok", "filt-req"}
    assert listed(manager, runtime_state=[LINKING], state=[OfferingUserState.OK]) == {"filt-ok"}


# --- the PROFILE offering's data (exposure config, provider account, runtime state) ----------


def hexes(client, **filters) -> set:
    rows = marketplace_offering_users_list.sync_all(client=client, offering_uuid=PROFILE, **filters)
    count = marketplace_offering_users_count.sync(client=client, offering_uuid=PROFILE, **filters)
    assert count == len(rows), f"count {count} != {len(rows)} rows for {filters}"
    return {r.uuid.hex for r in rows}


def test_has_complete_profile_with_an_explicit_exposure_config(staff, manager):
    assert hexes(staff, has_complete_profile=True) == {ALICE}
    assert hexes(staff, has_complete_profile=False) == {BOB}
    # The manager does not see bob's incomplete record while the gate is on (run.sh turns it
    # on); the filter narrows what he sees, and the count follows.
    assert hexes(manager, has_complete_profile=False) <= {BOB}
    assert hexes(manager, has_complete_profile=True) == {ALICE}


def test_runtime_state_from_the_directory(staff):
    assert hexes(staff, runtime_state=[VALIDATION]) == {BOB}
    assert hexes(staff, runtime_state=[RuntimeStateEnum.ACTIVE]) == {ALICE}
    assert hexes(staff, runtime_state=[RuntimeStateEnum.ACTIVE, VALIDATION]) == {ALICE, BOB}


@pytest.mark.skipif(not SDK_813, reason="is_provider_backed and service_provider_account_uuid are new in 8.1.3")
def test_provider_backed_records_from_the_directory(staff):
    assert hexes(staff, is_provider_backed=True) == {ALICE}
    assert hexes(staff, is_provider_backed=False) == {BOB}
    assert hexes(staff, service_provider_account_uuid=U(d.SP_ACCOUNT_ALICE)) == {ALICE}
    both = hexes(staff, service_provider_account_uuid=U(d.SP_ACCOUNT_ALICE), runtime_state=[VALIDATION])
    assert both == set()
