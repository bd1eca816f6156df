"""List (filters, ordering, `field`), `sync_all` pagination, the HEAD count, retrieve by dashed
and 32-hex uuid, and visibility — all through `waldur_api_client.api.marketplace_offering_users`.

Read-only: these tests touch only records that no other test changes (MAIN, CHILD, BULK, OFF,
FOREIGN)."""

import datetime
import json
from uuid import UUID

import pytest
from helpers import SDK_813, U, d, offering_url, ou_url, refused, user_url
from waldur_api_client.api.marketplace_offering_users import (
    marketplace_offering_users_count,
    marketplace_offering_users_list,
    marketplace_offering_users_retrieve,
)
from waldur_api_client.models.offering_user import OfferingUser
from waldur_api_client.models.offering_user_field_enum import OfferingUserFieldEnum
from waldur_api_client.models.offering_user_o_enum import OfferingUserOEnum
from waldur_api_client.models.offering_user_state import OfferingUserState
from waldur_api_client.types import UNSET

DOCUMENTED_FIELDS = [
    "url",
    "uuid",
    "user",
    "offering",
    "username",
    "offering_uuid",
    "offering_name",
    "user_uuid",
    "user_username",
    "user_full_name",
    "user_email",
    "created",
    "modified",
    "customer_uuid",
    "customer_name",
    "is_restricted",
    "state",
    "service_provider_comment",
    "service_provider_comment_url",
    "has_consent",
    "requires_reconsent",
    "has_compliance_checklist",
]
# The keys of the 2026 contract (docs/spec/offering-users-2026.md §4.1) that a record of an
# offering with the default exposure (username, full_name, email) carries, in order; 8.1.2's
# model lacks the two provider-account keys, which it keeps in `additional_properties`.
NEW_2026_FIELDS = [
    "user_first_name",
    "user_last_name",
    "runtime_state",
    "service_provider_account_uuid",
    "service_provider_account_username",
    "offering_has_active_tos",
    "consent_data",
    "is_profile_complete",
    "missing_profile_attributes",
    "uidnumber",
    "primarygroup",
    "login_shell",
    "home_directory",
]


def names(rows) -> list:
    return [r.user_username for r in rows]


def keys_of(rows) -> set:
    return {r.uuid.hex for r in rows}


def seeded(*keys) -> set:
    return {d.ou(k) for k in keys}


# --- retrieve ---------------------------------------------------------------------------------


def check_alice(row: OfferingUser):
    alice = d.USERS["alice"]
    assert isinstance(row, OfferingUser)
    assert row.uuid == U(d.ou("alice"))
    assert row.url == ou_url(d.ou("alice"))
    assert row.user == user_url(alice["uuid"])
    assert row.offering == offering_url(d.OFFERING_MAIN)
    assert row.username == "alice01"
    assert row.offering_uuid == U(d.OFFERING_MAIN)
    assert row.offering_name == "Clients Main"
    assert row.user_uuid == U(alice["uuid"])
    assert row.user_username == "alice"
    assert row.user_full_name == "Alice Smith"
    assert row.user_email == "alice@clients.example.org"
    assert isinstance(row.created, datetime.datetime) and row.created.tzinfo is not None
    assert isinstance(row.modified, datetime.datetime) and row.modified.tzinfo is not None
    assert row.customer_uuid == U(d.CUSTOMER_PROVIDER)
    assert row.customer_name == "Clients Provider"
    assert row.is_restricted is False
    assert row.state == OfferingUserState.OK
    assert row.service_provider_comment == ""
    assert row.service_provider_comment_url == ""
    assert row.has_consent is True
    assert row.requires_reconsent is False
    assert row.has_compliance_checklist is True
    assert set(row.additional_properties) <= set(NEW_2026_FIELDS)


def test_retrieve_by_dashed_uuid(manager):
    dashed = U(d.ou("alice"))
    assert marketplace_offering_users_retrieve._get_kwargs(uuid=dashed)["url"].endswith(f"/{dashed}/")
    assert "-" in str(dashed)
    response = marketplace_offering_users_retrieve.sync_detailed(uuid=dashed, client=manager)
    assert response.status_code == 200
    check_alice(response.parsed)


def test_retrieve_by_hex_uuid(manager):
    # a plain str is put into the path as given: the 32-hex form Waldur itself emits
    check_alice(marketplace_offering_users_retrieve.sync(uuid=d.ou("alice"), client=manager))


def test_retrieve_body_has_the_22_documented_fields_in_order(manager):
    response = marketplace_offering_users_retrieve.sync_detailed(uuid=U(d.ou("carol")), client=manager)
    body = json.loads(response.content)
    assert [k for k in body if k in DOCUMENTED_FIELDS] == DOCUMENTED_FIELDS
    assert [k for k in body if k not in DOCUMENTED_FIELDS] == NEW_2026_FIELDS
    assert body["uuid"] == d.ou("carol")  # 32 lowercase hex, no dashes
    assert body["created"].endswith("Z")
    assert body["state"] == "Pending account linking"
    assert body["service_provider_comment"] == "Please link your account."
    assert body["service_provider_comment_url"] == "https://idp.example.org/link"


def test_retrieve_with_field(manager):
    row = marketplace_offering_users_retrieve.sync(
        uuid=U(d.ou("bob")), client=manager, field=[OfferingUserFieldEnum.UUID, OfferingUserFieldEnum.STATE]
    )
    assert row.uuid == U(d.ou("bob"))
    assert row.state == OfferingUserState.REQUESTED
    assert row.username is UNSET and row.url is UNSET and row.offering_uuid is UNSET


def test_retrieve_unknown_uuid_is_404(manager):
    with refused(404) as r:
        marketplace_offering_users_retrieve.sync(uuid=UUID(int=12345), client=manager)
    assert "detail" in r.body


def test_retrieve_hidden_without_consent(manager, staff):
    # frank never consented to MAIN's active terms of service: the gate hides him from the provider
    with refused(404):
        marketplace_offering_users_retrieve.sync(uuid=U(d.ou("frank")), client=manager)
    row = marketplace_offering_users_retrieve.sync(uuid=U(d.ou("frank")), client=staff)
    assert row.user_username == "frank"
    assert row.has_consent is False


@pytest.mark.parametrize("key", ["bob_off", "carol_foreign"])
def test_retrieve_invisible_to_the_manager(manager, staff, key):
    with refused(404):
        marketplace_offering_users_retrieve.sync(uuid=U(d.ou(key)), client=manager)
    assert marketplace_offering_users_retrieve.sync(uuid=U(d.ou(key)), client=staff).uuid == U(d.ou(key))


def test_retrieve_own_record_and_not_others(alice, outsider):
    assert marketplace_offering_users_retrieve.sync(uuid=U(d.ou("alice")), client=alice).username == "alice01"
    with refused(404):
        marketplace_offering_users_retrieve.sync(uuid=U(d.ou("bob")), client=alice)
    with refused(404):
        marketplace_offering_users_retrieve.sync(uuid=U(d.ou("alice")), client=outsider)


# --- list and filters ---------------------------------------------------------------------------


def test_list_is_parsed_into_offering_users(manager):
    rows = marketplace_offering_users_list.sync(client=manager, offering_uuid=[U(d.OFFERING_MAIN)])
    assert all(isinstance(r, OfferingUser) for r in rows)
    assert keys_of(rows) == seeded(*d.MAIN_VISIBLE_TO_MANAGER)
    by_name = {r.user_username: r for r in rows}
    check_alice(by_name["alice"])
    assert by_name["grace"].is_restricted is True


def test_default_order_is_username_nulls_last(manager):
    rows = marketplace_offering_users_list.sync(client=manager, offering_uuid=[U(d.OFFERING_MAIN)])
    assert [r.username for r in rows] == ["alice01", "grace01", None, None]


def test_filter_offering_uuid_hex_string(manager):
    # the agent passes the configured 32-hex string, not a UUID object
    rows = marketplace_offering_users_list.sync(client=manager, offering_uuid=[d.OFFERING_MAIN])
    assert keys_of(rows) == seeded(*d.MAIN_VISIBLE_TO_MANAGER)


def test_filter_offering_uuid_repeated(manager):
    rows = marketplace_offering_users_list.sync(
        client=manager, offering_uuid=[U(d.OFFERING_MAIN), d.OFFERING_CHILD], page_size=50
    )
    assert keys_of(rows) == seeded(*d.MAIN_VISIBLE_TO_MANAGER, "alice_child")


def test_filter_offering_slug(manager):
    rows = marketplace_offering_users_list.sync(client=manager, offering_slug=["clients-main", "clients-child"])
    assert keys_of(rows) == seeded(*d.MAIN_VISIBLE_TO_MANAGER, "alice_child")


def test_filter_offering_url(manager):
    rows = marketplace_offering_users_list.sync(client=manager, offering=offering_url(d.OFFERING_MAIN))
    assert keys_of(rows) == seeded(*d.MAIN_VISIBLE_TO_MANAGER)


@pytest.mark.parametrize(
    "states,expected",
    [
        ([OfferingUserState.REQUESTED], ["bob"]),
        ([OfferingUserState.OK], ["alice", "grace"]),
        ([OfferingUserState.REQUESTED, OfferingUserState.PENDING_ACCOUNT_LINKING], ["bob", "carol"]),
        ([OfferingUserState.DELETED], []),
    ],
)
def test_filter_state(manager, states, expected):
    rows = marketplace_offering_users_list.sync(client=manager, offering_uuid=[U(d.OFFERING_MAIN)], state=states)
    assert keys_of(rows) == seeded(*expected)
    assert all(r.state in states for r in rows)


@pytest.mark.parametrize("restricted,expected", [(True, ["grace"]), (False, ["alice", "bob", "carol"])])
def test_filter_is_restricted(manager, restricted, expected):
    rows = marketplace_offering_users_list.sync(
        client=manager, offering_uuid=[U(d.OFFERING_MAIN)], is_restricted=restricted
    )
    assert keys_of(rows) == seeded(*expected)


def test_filter_user_uuid(manager):
    rows = marketplace_offering_users_list.sync(
        client=manager, user_uuid=U(d.user("alice")), offering_uuid=[U(d.OFFERING_MAIN), U(d.OFFERING_CHILD)]
    )
    assert keys_of(rows) == seeded("alice", "alice_child")


def test_filter_user_username_is_case_insensitive(manager):
    rows = marketplace_offering_users_list.sync(
        client=manager, user_username="ALICE", offering_uuid=[U(d.OFFERING_MAIN), U(d.OFFERING_CHILD)]
    )
    assert keys_of(rows) == seeded("alice", "alice_child")


def test_filter_parent_offering_uuid(manager):
    rows = marketplace_offering_users_list.sync(client=manager, parent_offering_uuid=U(d.OFFERING_MAIN))
    assert keys_of(rows) == seeded("alice_child")


def test_filter_provider_uuid(staff, manager):
    rows = marketplace_offering_users_list.sync(client=staff, provider_uuid=U(d.CUSTOMER_OTHER))
    assert keys_of(rows) == seeded("carol_foreign")
    assert marketplace_offering_users_list.sync(client=manager, provider_uuid=U(d.CUSTOMER_OTHER)) == []


@pytest.mark.parametrize(
    "query,expected",
    [
        ("carol", ["carol"]),  # user's first name (lower case)
        ("HOPPER", ["grace"]),  # last name, any case
        ("alice0", ["alice"]),  # the offering user's username
        ("clients child", ["alice_child"]),  # offering name
    ],
)
def test_filter_query(manager, query, expected):
    rows = marketplace_offering_users_list.sync(
        client=manager, query=query, offering_uuid=[U(d.OFFERING_MAIN), U(d.OFFERING_CHILD)]
    )
    assert keys_of(rows) == seeded(*expected)


def test_filter_has_consent(manager, staff):
    main = [U(d.OFFERING_MAIN)]
    assert keys_of(marketplace_offering_users_list.sync(client=manager, offering_uuid=main, has_consent=True)) == seeded(
        *d.MAIN_VISIBLE_TO_MANAGER
    )
    # frank has no consent: the manager cannot see him at all, staff can
    assert marketplace_offering_users_list.sync(client=manager, offering_uuid=main, has_consent=False) == []
    assert keys_of(marketplace_offering_users_list.sync(client=staff, offering_uuid=main, has_consent=False)) == seeded(
        "frank"
    )


def test_filter_created_and_modified(manager):
    main = [U(d.OFFERING_MAIN)]
    past = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    assert len(marketplace_offering_users_list.sync(client=manager, offering_uuid=main, created=past)) == 4
    assert marketplace_offering_users_list.sync(client=manager, offering_uuid=main, created=future) == []
    assert len(marketplace_offering_users_list.sync(client=manager, offering_uuid=main, modified=past)) == 4
    assert marketplace_offering_users_list.sync(client=manager, offering_uuid=main, modified=future) == []


def test_list_with_field(manager):
    rows = marketplace_offering_users_list.sync(
        client=manager,
        offering_uuid=[U(d.OFFERING_MAIN)],
        field=[OfferingUserFieldEnum.USER_UUID, OfferingUserFieldEnum.USERNAME, OfferingUserFieldEnum.STATE],
    )
    assert len(rows) == 4
    for r in rows:
        assert r.user_uuid is not UNSET and r.state is not UNSET
        assert r.uuid is UNSET and r.url is UNSET and r.customer_name is UNSET


@pytest.mark.parametrize("o", [OfferingUserOEnum("username"), OfferingUserOEnum("-username")])
def test_ordering_by_username(manager, o):
    rows = marketplace_offering_users_list.sync(
        client=manager, offering_uuid=[U(d.OFFERING_BULK)], state=[OfferingUserState.OK], o=[o], page_size=100
    )
    usernames = [r.username for r in rows]
    assert len(usernames) == d.BULK_OK
    ascending = sorted(usernames)
    assert usernames == (ascending if o.value == "username" else ascending[::-1])


@pytest.mark.parametrize("o", ["created", "-created", "modified", "-modified", "user_first_name", "-user_last_name"])
def test_ordering_accepted(manager, o):
    rows = marketplace_offering_users_list.sync(client=manager, offering_uuid=[U(d.OFFERING_MAIN)], o=[OfferingUserOEnum(o)])
    assert keys_of(rows) == seeded(*d.MAIN_VISIBLE_TO_MANAGER)


@pytest.mark.skipif(not SDK_813, reason="the username filter is new in 8.1.3")
def test_newer_filters_are_accepted(manager):
    rows = marketplace_offering_users_list.sync(
        client=manager, offering_uuid=[U(d.OFFERING_MAIN)], username="alice01", is_provider_backed=False
    )
    assert isinstance(rows, list)


def test_visibility_of_the_whole_list(manager, alice, outsider, staff):
    # (other test files create and delete records on CREATE and FSM: compare the rest exactly)
    untouched = {ou["uuid"] for ou in d.OFFERING_USERS.values() if ou["offering"] != d.OFFERING_FSM}
    everything = keys_of(marketplace_offering_users_list.sync_all(client=staff))
    assert untouched <= everything
    mine = marketplace_offering_users_list.sync_all(client=alice)
    assert keys_of(mine) == seeded("alice", "alice_child", "own-alice") | {d.PROFILE_OU_ALICE}
    assert marketplace_offering_users_list.sync_all(client=outsider) == []
    managed = keys_of(marketplace_offering_users_list.sync_all(client=manager))
    assert d.ou("frank") not in managed and d.ou("bob_off") not in managed and d.ou("carol_foreign") not in managed
    assert seeded(*d.BULK_KEYS) <= managed


# --- pagination and count -------------------------------------------------------------------------


def test_sync_all_walks_every_page(manager):
    rows = marketplace_offering_users_list.sync_all(client=manager, offering_uuid=[U(d.OFFERING_BULK)])
    assert len(rows) == d.BULK_COUNT
    assert keys_of(rows) == seeded(*d.BULK_KEYS)
    # default order: usernames ascending, NULLs last
    usernames = [r.username for r in rows]
    named = [u for u in usernames if u is not None]
    assert usernames[: len(named)] == sorted(named) and len(named) == d.BULK_OK


def test_sync_all_with_filters(manager):
    rows = marketplace_offering_users_list.sync_all(
        client=manager, offering_uuid=[d.OFFERING_BULK], state=[OfferingUserState.REQUESTED], is_restricted=False
    )
    assert len(rows) == d.BULK_COUNT - d.BULK_OK
    assert {r.state for r in rows} == {OfferingUserState.REQUESTED}


def test_pages_and_headers(manager):
    first = marketplace_offering_users_list.sync_detailed(
        client=manager, offering_uuid=[U(d.OFFERING_BULK)], page_size=100
    )
    assert first.status_code == 200
    assert len(first.parsed) == 100
    assert first.headers["x-result-count"] == str(d.BULK_COUNT)
    assert 'rel="next"' in first.headers["link"] and "page=2" in first.headers["link"]
    second = marketplace_offering_users_list.sync_detailed(
        client=manager, offering_uuid=[U(d.OFFERING_BULK)], page_size=100, page=2
    )
    assert len(second.parsed) == d.BULK_COUNT - 100
    assert 'rel="next"' not in second.headers["link"] and 'rel="prev"' in second.headers["link"]
    assert keys_of(first.parsed) | keys_of(second.parsed) == seeded(*d.BULK_KEYS)
    assert not keys_of(first.parsed) & keys_of(second.parsed)


def test_default_page_size_is_10(manager):
    rows = marketplace_offering_users_list.sync(client=manager, offering_uuid=[U(d.OFFERING_BULK)])
    assert len(rows) == 10


def test_page_past_the_end_is_404(manager):
    with refused(404) as r:
        marketplace_offering_users_list.sync(client=manager, offering_uuid=[U(d.OFFERING_BULK)], page=99)
    assert r.body == {"detail": "Invalid page."}


def test_count(manager):
    assert marketplace_offering_users_count.sync(client=manager, offering_uuid=[U(d.OFFERING_BULK)]) == d.BULK_COUNT
    assert (
        marketplace_offering_users_count.sync(
            client=manager, offering_uuid=[U(d.OFFERING_BULK)], state=[OfferingUserState.OK]
        )
        == d.BULK_OK
    )
    assert marketplace_offering_users_count.sync(client=manager, offering_uuid=[U(d.OFFERING_MAIN)]) == 4


def test_count_head_has_no_body(manager):
    response = marketplace_offering_users_count.sync_detailed(
        client=manager, offering_uuid=[U(d.OFFERING_BULK)], page_size=5, page=2
    )
    assert response.status_code == 200
    assert response.content == b""
    assert response.parsed == d.BULK_COUNT


def test_asyncio_variants(manager):
    # the generated asyncio functions share the wire with the sync ones
    import asyncio

    async def both():
        rows = await marketplace_offering_users_list.asyncio(client=manager, offering_uuid=[U(d.OFFERING_MAIN)])
        row = await marketplace_offering_users_retrieve.asyncio(uuid=U(d.ou("alice")), client=manager)
        count = await marketplace_offering_users_count.asyncio(client=manager, offering_uuid=[U(d.OFFERING_BULK)])
        return rows, row, count

    rows, row, count = asyncio.run(both())
    assert keys_of(rows) == seeded(*d.MAIN_VISIBLE_TO_MANAGER)
    check_alice(row)
    assert count == d.BULK_COUNT
