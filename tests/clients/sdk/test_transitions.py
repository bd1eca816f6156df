"""The ten state actions through the SDK: every edge of docs/spec/offering-users.md §2.2 from a record
seeded in its source state, every action from every state it is not allowed from (400 with
`detail`, state unchanged), two walks through the machine, the comment rules of the two
pending actions, and who may call them."""

import pytest
from helpers import U, d, fetch, refused
from waldur_api_client.api.marketplace_offering_users import (
    marketplace_offering_users_begin_creating,
    marketplace_offering_users_request_deletion,
    marketplace_offering_users_set_deleted,
    marketplace_offering_users_set_deleting,
    marketplace_offering_users_set_error_creating,
    marketplace_offering_users_set_error_deleting,
    marketplace_offering_users_set_ok,
    marketplace_offering_users_set_pending_account_linking,
    marketplace_offering_users_set_pending_additional_validation,
    marketplace_offering_users_set_validation_complete,
)
from waldur_api_client.models.offering_user_state_transition_request import OfferingUserStateTransitionRequest

MODULES = {
    "begin_creating": marketplace_offering_users_begin_creating,
    "set_pending_additional_validation": marketplace_offering_users_set_pending_additional_validation,
    "set_pending_account_linking": marketplace_offering_users_set_pending_account_linking,
    "set_validation_complete": marketplace_offering_users_set_validation_complete,
    "set_ok": marketplace_offering_users_set_ok,
    "set_error_creating": marketplace_offering_users_set_error_creating,
    "set_error_deleting": marketplace_offering_users_set_error_deleting,
    "request_deletion": marketplace_offering_users_request_deletion,
    "set_deleting": marketplace_offering_users_set_deleting,
    "set_deleted": marketplace_offering_users_set_deleted,
}
PENDING_ACTIONS = {"set_pending_additional_validation", "set_pending_account_linking"}
CLEARING_ACTIONS = {"set_validation_complete", "set_ok"}  # docs/spec/decisions.md 13 and 25
assert set(MODULES) == set(d.TRANSITIONS)


def call(action, client, uuid, body=None):
    """One action through its SDK module (`sync_detailed`, as the agent calls them)."""
    module = MODULES[action]
    if action in PENDING_ACTIONS:
        return module.sync_detailed(uuid=U(uuid), client=client, body=body or OfferingUserStateTransitionRequest())
    assert body is None
    return module.sync_detailed(uuid=U(uuid), client=client)


def test_every_action_is_a_bodyless_or_json_post():
    # what the SDK sends: no body for eight actions, a JSON object for the two pending ones
    for action, module in MODULES.items():
        kwargs = module._get_kwargs(uuid=U(d.ou("alice")), **({"body": OfferingUserStateTransitionRequest()} if action in PENDING_ACTIONS else {}))
        assert kwargs["method"] == "post"
        assert kwargs["url"].endswith(f"/{action}/")
        assert ("json" in kwargs) == (action in PENDING_ACTIONS)


# Pending-action bodies vary with the source state, so that every form the clients send occurs:
# full body (Creating), the empty request model `{}` (Error creating), and the agent's form with
# "comment_url": null (from the other pending state).
NEW_COMMENT = "Send us your ID."
NEW_URL = "https://hpc.example.org/why"


def pending_body(source):
    if source == "Creating":
        return OfferingUserStateTransitionRequest(comment=NEW_COMMENT, comment_url=NEW_URL), (NEW_COMMENT, NEW_URL)
    if source == "Error creating":
        return OfferingUserStateTransitionRequest(), (d.EDGE_COMMENT, d.EDGE_COMMENT_URL)
    body = OfferingUserStateTransitionRequest(comment=NEW_COMMENT, comment_url=None)
    assert body.to_dict() == {"comment": NEW_COMMENT, "comment_url": None}
    return body, (NEW_COMMENT, d.EDGE_COMMENT_URL)


RESPONSE_BODIES = {}


@pytest.mark.parametrize("action,source,key", d.EDGES, ids=[f"{a}-from-{d.slug(s)}" for a, s, _ in d.EDGES])
def test_valid_transition(manager, action, source, key):
    sources, target, _ = d.TRANSITIONS[action]
    uuid = d.ou(key)
    before = fetch(manager, uuid)
    assert before.state.value == source
    body, comments = None, (d.EDGE_COMMENT, d.EDGE_COMMENT_URL)
    if action in PENDING_ACTIONS:
        body, comments = pending_body(source)
    elif action in CLEARING_ACTIONS:
        comments = ("", "")
    response = call(action, manager, uuid, body)
    assert response.status_code == 200
    assert response.parsed is None
    RESPONSE_BODIES[f"{action} from {source}"] = response.content
    after = fetch(manager, uuid)
    assert after.state.value == target
    assert (after.service_provider_comment, after.service_provider_comment_url) == comments
    assert after.modified > before.modified
    assert after.username == before.username


def test_transitions_answer_with_an_empty_body():
    # docs/spec/decisions.md 2: "200 with an empty body for the state actions"
    assert RESPONSE_BODIES, "runs after test_valid_transition"
    assert {k: v for k, v in RESPONSE_BODIES.items() if v != b""} == {}


INVALID = [
    (source, action)
    for source in d.STATES
    for action, (sources, _, _) in d.TRANSITIONS.items()
    if source not in sources
]


@pytest.mark.parametrize("source,action", INVALID, ids=[f"{a}-from-{d.slug(s)}" for s, a in INVALID])
def test_invalid_transition(manager, source, action):
    uuid = d.ou(d.INVALID_SOURCES[source])
    _, _, name = d.TRANSITIONS[action]
    body = OfferingUserStateTransitionRequest(comment="nope", comment_url=None) if action in PENDING_ACTIONS else None
    with refused(400) as r:
        call(action, manager, uuid, body)
    assert isinstance(r.body, dict) and isinstance(r.body.get("detail"), str), r.body
    assert r.body["detail"].startswith(f"Cannot transition to {name} from current state"), r.body
    row = fetch(manager, uuid)
    assert row.state.value == source
    assert row.service_provider_comment == ""


@pytest.mark.parametrize(
    "source,action",
    [("Pending additional validation", "set_error_deleting"), ("OK", "set_error_creating"), ("Requested", "set_deleted")],
)
def test_invalid_transition_message(manager, source, action):
    # docs/spec/offering-users.md §2.2: numeric current state, then the allowed source labels in order
    sources, _, name = d.TRANSITIONS[action]
    with refused(400) as r:
        call(action, manager, d.ou(d.INVALID_SOURCES[source]))
    assert r.body == {
        "detail": f"Cannot transition to {name} from current state: {d.STATES[source][1]}. "
        f"Valid states for operation: {', '.join(sources)}."
    }


WALKS = {
    "walk-lifecycle": [
        ("begin_creating", "Creating"),
        ("set_pending_additional_validation", "Pending additional validation"),
        ("set_pending_account_linking", "Pending account linking"),
        ("set_validation_complete", "OK"),
        ("request_deletion", "Requested deletion"),
        ("set_error_deleting", "Error deleting"),
        ("set_deleting", "Deleting"),
        ("set_deleted", "Deleted"),
    ],
    "walk-errors": [
        ("set_error_creating", "Error creating"),
        ("begin_creating", "Creating"),
        ("set_error_creating", "Error creating"),
        ("set_pending_account_linking", "Pending account linking"),
        ("set_error_creating", "Error creating"),
        ("set_ok", "OK"),
    ],
}


@pytest.mark.parametrize("key", list(WALKS))
def test_walk(manager, key):
    uuid = d.ou(key)
    assert fetch(manager, uuid).state.value == "Requested"
    for action, target in WALKS[key]:
        body = None
        if action in PENDING_ACTIONS:
            body = OfferingUserStateTransitionRequest(comment=f"{action} comment", comment_url="https://x.example.org/")
        assert call(action, manager, uuid, body).status_code == 200
        row = fetch(manager, uuid)
        assert row.state.value == target, f"after {action}"
        if action in PENDING_ACTIONS:
            assert row.service_provider_comment == f"{action} comment"
        if action in CLEARING_ACTIONS:
            assert (row.service_provider_comment, row.service_provider_comment_url) == ("", "")


def test_comment_url_null_leaves_the_url(manager):
    # docs/spec/decisions.md 12a: the agent always sends the key, null when it has no URL
    uuid = d.ou("comment-null")
    body = OfferingUserStateTransitionRequest(comment="Agent says hi", comment_url=None)
    assert call("set_pending_additional_validation", manager, uuid, body).status_code == 200
    row = fetch(manager, uuid)
    assert row.state.value == "Pending additional validation"
    assert (row.service_provider_comment, row.service_provider_comment_url) == ("Agent says hi", d.EDGE_COMMENT_URL)


def test_empty_comment_url_clears_it_and_absent_comment_is_kept(manager):
    uuid = d.ou("comment-empty")
    assert call("set_pending_account_linking", manager, uuid, OfferingUserStateTransitionRequest(comment_url="")).status_code == 200
    row = fetch(manager, uuid)
    assert row.state.value == "Pending account linking"
    assert (row.service_provider_comment, row.service_provider_comment_url) == (d.EDGE_COMMENT, "")


def test_comment_html_is_sanitised(manager):
    uuid = d.ou("comment-empty")  # now Pending account linking
    body = OfferingUserStateTransitionRequest(
        comment='<p>Safe content</p><script>alert("x")</script><img src="x" onerror="alert(1)">',
        comment_url="https://hpc.example.org/docs",
    )
    assert call("set_pending_additional_validation", manager, uuid, body).status_code == 200
    row = fetch(manager, uuid)
    assert "<p>Safe content</p>" in row.service_provider_comment
    assert "<script" not in row.service_provider_comment and "onerror" not in row.service_provider_comment
    assert row.service_provider_comment_url == "https://hpc.example.org/docs"


def test_the_offering_user_himself_may_not_move_his_record(alice, manager):
    # docs/spec/decisions.md 5: set_ok needs OFFERING.UPDATE_USER; so does begin_creating (§4.8)
    uuid = d.ou("own-alice")
    for action in ("set_ok", "begin_creating", "set_error_creating"):
        with refused(403):
            call(action, alice, uuid)
    assert fetch(manager, uuid).state.value == "Requested"


def test_invisible_record_is_404(outsider, manager):
    uuid = d.ou("own-alice")
    for action in MODULES:
        with refused(404):
            call(action, outsider, uuid)
    with refused(404):
        call("begin_creating", manager, d.ou("carol_foreign"))
