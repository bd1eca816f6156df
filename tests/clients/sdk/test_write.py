"""Create (by uuid and by hyperlink), PUT, PATCH (the agent's only way to finish a creation),
DELETE, `update_restricted` and `update_comments` through the SDK, with their refusals."""

import json
from uuid import UUID

import pytest
from helpers import U, d, fetch, offering_url, ou_url, refused, user_url
from waldur_api_client.api.marketplace_offering_users import (
    marketplace_offering_users_begin_creating,
    marketplace_offering_users_create,
    marketplace_offering_users_destroy,
    marketplace_offering_users_list,
    marketplace_offering_users_partial_update,
    marketplace_offering_users_retrieve,
    marketplace_offering_users_update,
    marketplace_offering_users_update_comments_partial_update,
    marketplace_offering_users_update_restricted,
)
from waldur_api_client.models.offering_user import OfferingUser
from waldur_api_client.models.offering_user_request import OfferingUserRequest
from waldur_api_client.models.offering_user_service_provider_comment import OfferingUserServiceProviderComment
from waldur_api_client.models.offering_user_state import OfferingUserState
from waldur_api_client.models.offering_user_update_restriction_request import OfferingUserUpdateRestrictionRequest
from waldur_api_client.models.patched_offering_user_request import PatchedOfferingUserRequest
from waldur_api_client.models.patched_offering_user_service_provider_comment_request import (
    PatchedOfferingUserServiceProviderCommentRequest,
)

CREATED = {}


# --- create ---------------------------------------------------------------------------------------


def check_created(row, user_key, offering, username, state):
    assert isinstance(row, OfferingUser)
    assert row.user_uuid == U(d.user(user_key)) and row.offering_uuid == U(offering)
    assert row.user == user_url(d.user(user_key)) and row.offering == offering_url(offering)
    assert row.url == ou_url(row.uuid.hex)
    assert row.username == username
    assert row.state == state
    assert row.user_username == d.USERS[user_key]["username"]
    assert row.offering_name == d.OFFERING_NAMES[offering]
    assert row.customer_uuid == U(d.CUSTOMER_PROVIDER)
    assert row.is_restricted is False


def test_create_by_uuid(manager):
    body = OfferingUserRequest(offering_uuid=U(d.OFFERING_CREATE), user_uuid=U(d.user("dave")))
    assert body.to_dict() == {"offering_uuid": str(U(d.OFFERING_CREATE)), "user_uuid": str(U(d.user("dave")))}
    response = marketplace_offering_users_create.sync_detailed(client=manager, body=body)
    assert response.status_code == 201
    check_created(response.parsed, "dave", d.OFFERING_CREATE, None, OfferingUserState.REQUESTED)
    # the offering has a compliance checklist: a completion comes with the new record
    assert response.parsed.has_compliance_checklist is True
    CREATED["dave"] = response.parsed.uuid
    again = marketplace_offering_users_retrieve.sync(uuid=response.parsed.uuid, client=manager)
    assert again.uuid == response.parsed.uuid and again.state == OfferingUserState.REQUESTED


def test_create_by_hex_uuid_with_username_is_ok_at_once(manager):
    body = OfferingUserRequest(offering_uuid=d.OFFERING_CREATE, user_uuid=d.user("bob"), username="bob-create")
    row = marketplace_offering_users_create.sync(client=manager, body=body)
    check_created(row, "bob", d.OFFERING_CREATE, "bob-create", OfferingUserState.OK)


def test_create_with_explicit_null_username(manager):
    body = OfferingUserRequest(offering_uuid=U(d.OFFERING_CREATE), user_uuid=U(d.user("grace")), username=None)
    assert body.to_dict()["username"] is None
    response = marketplace_offering_users_create.sync_detailed(client=manager, body=body)
    assert response.status_code == 201
    check_created(response.parsed, "grace", d.OFFERING_CREATE, None, OfferingUserState.REQUESTED)


def test_create_by_hyperlink(manager):
    body = OfferingUserRequest(offering=offering_url(d.OFFERING_CREATE), user=user_url(d.user("erin")), username="erin01")
    response = marketplace_offering_users_create.sync_detailed(client=manager, body=body)
    assert response.status_code == 201
    check_created(response.parsed, "erin", d.OFFERING_CREATE, "erin01", OfferingUserState.OK)
    CREATED["erin"] = response.parsed.uuid
    rows = marketplace_offering_users_list.sync(client=manager, offering_uuid=[U(d.OFFERING_CREATE)], page_size=50)
    assert response.parsed.uuid in {r.uuid for r in rows}


def test_create_duplicate(manager):
    with refused(400) as r:
        marketplace_offering_users_create.sync(
            client=manager, body=OfferingUserRequest(offering_uuid=U(d.OFFERING_CREATE), user_uuid=U(d.user("dave")))
        )
    assert r.body == {"non_field_errors": ["The fields offering, user must make a unique set."]}


def test_create_on_offering_with_the_switch_off(manager):
    with refused(400) as r:
        marketplace_offering_users_create.sync(
            client=manager, body=OfferingUserRequest(offering_uuid=U(d.OFFERING_OFF), user_uuid=U(d.user("carol")))
        )
    assert r.body == ["It is not allowed to create users for current offering."]


def test_create_without_offering(manager):
    with refused(400) as r:
        marketplace_offering_users_create.sync(client=manager, body=OfferingUserRequest(user_uuid=U(d.user("heidi"))))
    assert r.body == {"non_field_errors": ["Either 'offering' URL or 'offering_uuid' is required."]}


def test_create_with_both_forms(manager):
    body = OfferingUserRequest(
        offering=offering_url(d.OFFERING_CREATE), offering_uuid=U(d.OFFERING_CREATE), user_uuid=U(d.user("heidi"))
    )
    with refused(400) as r:
        marketplace_offering_users_create.sync(client=manager, body=body)
    assert r.body == {
        "non_field_errors": ["Cannot specify both 'offering' URL and 'offering_uuid'. Use one or the other."]
    }


def test_create_with_unknown_offering(manager):
    with refused(400) as r:
        marketplace_offering_users_create.sync(
            client=manager, body=OfferingUserRequest(offering_uuid=UUID(int=77), user_uuid=U(d.user("heidi")))
        )
    assert list(r.body) == ["offering_uuid"]


def test_create_without_permission(alice, manager):
    body = OfferingUserRequest(offering_uuid=U(d.OFFERING_CREATE), user_uuid=U(d.user("alice")))
    with refused(403):
        marketplace_offering_users_create.sync(client=alice, body=body)
    # the manager holds no role on FOREIGN
    body = OfferingUserRequest(offering_uuid=U(d.OFFERING_FOREIGN), user_uuid=U(d.user("heidi")))
    with refused(403):
        marketplace_offering_users_create.sync(client=manager, body=body)


# --- PUT and PATCH -----------------------------------------------------------------------------------


def test_put_sets_the_username_and_moves_to_ok(manager):
    uuid = d.ou("put")
    row = marketplace_offering_users_update.sync(uuid=U(uuid), client=manager, body=OfferingUserRequest(username="put-name"))
    assert isinstance(row, OfferingUser)
    assert row.uuid == U(uuid) and row.username == "put-name" and row.state == OfferingUserState.OK
    assert row.offering_uuid == U(d.OFFERING_FSM) and row.user_uuid is not None  # docs/spec/decisions.md 2
    assert fetch(manager, uuid).username == "put-name"


def test_put_with_the_same_hyperlinks(manager):
    uuid = d.ou("put")
    current = fetch(manager, uuid)
    body = OfferingUserRequest(offering=current.offering, user=current.user, username="put-again")
    response = marketplace_offering_users_update.sync_detailed(uuid=U(uuid), client=manager, body=body)
    assert response.status_code == 200
    assert response.parsed.username == "put-again" and response.parsed.state == OfferingUserState.OK


def test_patch_username_from_requested(manager):
    uuid = d.ou("patch-requested")
    body = PatchedOfferingUserRequest(username="patched")
    assert body.to_dict() == {"username": "patched"}  # what the agent sends
    response = marketplace_offering_users_partial_update.sync_detailed(uuid=U(uuid), client=manager, body=body)
    assert response.status_code == 200
    assert response.parsed.username == "patched" and response.parsed.state == OfferingUserState.OK


def test_patch_username_in_pending_state_clears_comments(manager):
    uuid = d.ou("patch-pending")
    row = marketplace_offering_users_partial_update.sync(
        uuid=U(uuid), client=manager, body=PatchedOfferingUserRequest(username="heidi-fsm")
    )
    assert row.state == OfferingUserState.OK
    assert (row.service_provider_comment, row.service_provider_comment_url) == ("", "")


def test_patch_same_username_keeps_the_state(manager):
    uuid = d.ou("patch-same")
    row = marketplace_offering_users_partial_update.sync(
        uuid=U(uuid), client=manager, body=PatchedOfferingUserRequest(username="same-name")
    )
    assert row.state == OfferingUserState.CREATING and row.username == "same-name"
    assert row.service_provider_comment == d.EDGE_COMMENT


def test_patch_username_of_an_ok_record(manager):
    # the federation plugin renames users that are already OK
    row = marketplace_offering_users_partial_update.sync(
        uuid=U(d.ou("patch-ok")), client=manager, body=PatchedOfferingUserRequest(username="new-name")
    )
    assert row.state == OfferingUserState.OK and row.username == "new-name"


def test_patch_cannot_repoint_the_offering(manager):
    uuid = d.ou("patch-repoint")
    with refused(400) as r:
        marketplace_offering_users_partial_update.sync(
            uuid=U(uuid), client=manager, body=PatchedOfferingUserRequest(offering=offering_url(d.OFFERING_MAIN))
        )
    assert r.body == {"offering": ["This field cannot be changed."]}
    # the same value is accepted and ignored
    row = marketplace_offering_users_partial_update.sync(
        uuid=U(uuid), client=manager, body=PatchedOfferingUserRequest(offering=offering_url(d.OFFERING_FSM), username="repointed")
    )
    assert row.offering_uuid == U(d.OFFERING_FSM) and row.username == "repointed"


def test_agent_style_creation(manager):
    # begin_creating, then PATCH {"username"}: the server moves Creating to OK by itself
    uuid = U(d.ou("walk-agent"))
    assert marketplace_offering_users_begin_creating.sync_detailed(uuid=uuid, client=manager).status_code == 200
    assert fetch(manager, uuid.hex).state == OfferingUserState.CREATING
    row = marketplace_offering_users_partial_update.sync(uuid=uuid, client=manager, body=PatchedOfferingUserRequest(username="agent01"))
    assert row.state == OfferingUserState.OK and row.username == "agent01"


def test_update_refusals(alice, manager, outsider):
    own = U(d.ou("own-alice"))
    body = PatchedOfferingUserRequest(username="mine")
    with refused(403):
        marketplace_offering_users_partial_update.sync(uuid=own, client=alice, body=body)
    with refused(403):
        marketplace_offering_users_update.sync(uuid=own, client=alice, body=OfferingUserRequest(username="mine"))
    with refused(404):
        marketplace_offering_users_partial_update.sync(uuid=own, client=outsider, body=body)
    with refused(404):
        marketplace_offering_users_partial_update.sync(uuid=UUID(int=99), client=manager, body=body)
    assert fetch(manager, own.hex).username is None


# --- update_restricted ---------------------------------------------------------------------------


def test_update_restricted(manager):
    uuid = U(d.ou("restricted"))
    response = marketplace_offering_users_update_restricted.sync_detailed(
        uuid=uuid, client=manager, body=OfferingUserUpdateRestrictionRequest(is_restricted=True)
    )
    assert response.status_code == 200 and response.parsed is None
    assert response.content == b""  # docs/spec/decisions.md 2
    assert fetch(manager, uuid.hex).is_restricted is True
    restricted = marketplace_offering_users_list.sync_all(client=manager, offering_uuid=[U(d.OFFERING_FSM)], is_restricted=True)
    assert [r.uuid for r in restricted] == [uuid]
    assert (
        marketplace_offering_users_update_restricted.sync_detailed(
            uuid=uuid, client=manager, body=OfferingUserUpdateRestrictionRequest(is_restricted=False)
        ).status_code
        == 200
    )
    assert fetch(manager, uuid.hex).is_restricted is False


def test_update_restricted_refusals(alice, outsider):
    body = OfferingUserUpdateRestrictionRequest(is_restricted=True)
    with refused(403):
        marketplace_offering_users_update_restricted.sync_detailed(uuid=U(d.ou("own-alice")), client=alice, body=body)
    with refused(404):
        marketplace_offering_users_update_restricted.sync_detailed(uuid=U(d.ou("own-alice")), client=outsider, body=body)


# --- update_comments -------------------------------------------------------------------------------


def test_update_comments(manager):
    uuid = U(d.ou("comments"))
    body = PatchedOfferingUserServiceProviderCommentRequest(
        service_provider_comment="<p>Hello</p><script>steal()</script>",
        service_provider_comment_url="https://hpc.example.org/help",
    )
    response = marketplace_offering_users_update_comments_partial_update.sync_detailed(uuid=uuid, client=manager, body=body)
    assert response.status_code == 200
    assert isinstance(response.parsed, OfferingUserServiceProviderComment)
    assert set(json.loads(response.content)) == {"service_provider_comment", "service_provider_comment_url"}
    assert "<p>Hello</p>" in response.parsed.service_provider_comment
    assert "<script" not in response.parsed.service_provider_comment
    assert response.parsed.service_provider_comment_url == "https://hpc.example.org/help"
    row = fetch(manager, uuid.hex)
    assert row.service_provider_comment == response.parsed.service_provider_comment
    assert row.state == OfferingUserState.OK  # comments do not move the state
    # partial: the URL stays when only the comment is sent
    parsed = marketplace_offering_users_update_comments_partial_update.sync(
        uuid=uuid, client=manager, body=PatchedOfferingUserServiceProviderCommentRequest(service_provider_comment="Plain")
    )
    assert (parsed.service_provider_comment, parsed.service_provider_comment_url) == ("Plain", "https://hpc.example.org/help")


def test_update_comments_refusals(manager, alice):
    with refused(400) as r:
        marketplace_offering_users_update_comments_partial_update.sync(
            uuid=U(d.ou("comments")),
            client=manager,
            body=PatchedOfferingUserServiceProviderCommentRequest(service_provider_comment_url="not a url"),
        )
    assert list(r.body) == ["service_provider_comment_url"]
    with refused(403) as r:
        marketplace_offering_users_update_comments_partial_update.sync(
            uuid=U(d.ou("comments-deleted")),
            client=manager,
            body=PatchedOfferingUserServiceProviderCommentRequest(service_provider_comment="late"),
        )
    assert r.body == {"detail": "Cannot update comments for offering user in state: Deleted"}
    with refused(403):
        marketplace_offering_users_update_comments_partial_update.sync(
            uuid=U(d.ou("own-alice")),
            client=alice,
            body=PatchedOfferingUserServiceProviderCommentRequest(service_provider_comment="me"),
        )


# --- delete ------------------------------------------------------------------------------------------


def test_delete(manager):
    uuid = U(d.ou("delete"))
    response = marketplace_offering_users_destroy.sync_detailed(uuid=uuid, client=manager)
    assert response.status_code == 204 and response.parsed is None
    with refused(404):
        marketplace_offering_users_retrieve.sync(uuid=uuid, client=manager)
    with refused(404):
        marketplace_offering_users_destroy.sync_detailed(uuid=uuid, client=manager)


def test_delete_a_created_record(manager):
    uuid = CREATED.get("erin")
    assert uuid is not None, "runs after test_create_by_hyperlink"
    assert marketplace_offering_users_destroy.sync_detailed(uuid=uuid, client=manager).status_code == 204
    assert uuid not in {r.uuid for r in marketplace_offering_users_list.sync_all(client=manager, offering_uuid=[U(d.OFFERING_CREATE)])}


def test_delete_refusals(alice, outsider, manager):
    own = U(d.ou("own-alice"))
    with refused(403):
        marketplace_offering_users_destroy.sync_detailed(uuid=own, client=alice)
    with refused(404):
        marketplace_offering_users_destroy.sync_detailed(uuid=own, client=outsider)
    assert fetch(manager, own.hex).uuid == own
