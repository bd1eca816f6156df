"""The event log and web hooks through the SDK's own functions and models: `events_list`,
`events_count`, `events_retrieve` and `hooks_web_*` (issue 19).

The record this suite changes (frank's on the Create offering) is deleted at the end of the
first test, so the other suites' counts are as the directory made them."""

import time

from helpers import U, d, ou_url, refused
from waldur_api_client.api.events import events_count, events_list, events_retrieve
from waldur_api_client.api.hooks_web import (
    hooks_web_count,
    hooks_web_create,
    hooks_web_destroy,
    hooks_web_list,
    hooks_web_partial_update,
    hooks_web_retrieve,
    hooks_web_update,
)
from waldur_api_client.api.marketplace_offering_users import (
    marketplace_offering_users_create,
    marketplace_offering_users_destroy,
    marketplace_offering_users_partial_update,
    marketplace_offering_users_update_restricted,
)
from waldur_api_client.models.backend_resource_req_o_enum import BackendResourceReqOEnum
from waldur_api_client.models.event import Event
from waldur_api_client.models.event_field_enum import EventFieldEnum
from waldur_api_client.models.event_groups_enum import EventGroupsEnum
from waldur_api_client.models.event_types_enum import EventTypesEnum
from waldur_api_client.models.offering_user_request import OfferingUserRequest
from waldur_api_client.models.offering_user_update_restriction_request import OfferingUserUpdateRestrictionRequest
from waldur_api_client.models.patched_offering_user_request import PatchedOfferingUserRequest
from waldur_api_client.models.patched_web_hook_request import PatchedWebHookRequest
from waldur_api_client.models.web_hook import WebHook
from waldur_api_client.models.web_hook_content_type_enum import WebHookContentTypeEnum
from waldur_api_client.models.web_hook_request import WebHookRequest

HOOK_URL = "https://hooks.example.org/waldur"


def test_a_records_life_is_in_the_event_log(manager, staff, outsider):
    since = time.time() - 60
    row = marketplace_offering_users_create.sync(
        client=manager, body=OfferingUserRequest(offering_uuid=U(d.OFFERING_CREATE), user_uuid=U(d.user("frank")))
    )
    marketplace_offering_users_partial_update.sync(
        uuid=row.uuid, client=manager, body=PatchedOfferingUserRequest(username="frank-events")
    )
    marketplace_offering_users_update_restricted.sync_detailed(
        uuid=row.uuid, client=manager, body=OfferingUserUpdateRestrictionRequest(is_restricted=True)
    )
    assert marketplace_offering_users_destroy.sync_detailed(uuid=row.uuid, client=manager).status_code == 204

    scope = ou_url(row.uuid.hex)
    events = events_list.sync(client=manager, scope=scope, o=[BackendResourceReqOEnum.CREATED], created_from=since)
    assert all(isinstance(e, Event) for e in events)
    assert [e.event_type for e in events] == [
        "marketplace_offering_user_created",
        "marketplace_offering_user_updated",
        "marketplace_offering_user_restriction_updated",
        "marketplace_offering_user_deleted",
    ]
    created = events[0]
    assert created.context["offering_user_uuid"] == row.uuid.hex
    assert created.context["offering_uuid"] == d.OFFERING_CREATE
    assert created.context["user_uuid"] == d.user("frank")
    assert created.message == "Account for user frank in offering Clients Create has been created."
    assert events[1].context["new_username"] == "frank-events"

    # Count, filters, fields, retrieve.
    assert events_count.sync(client=manager, scope=scope) == 4
    assert events_count.sync(client=manager, scope=scope, event_type=["marketplace_offering_user_updated"]) == 1
    assert events_count.sync(client=manager, scope=scope, user_uuid=U(d.user("frank"))) == 4
    assert events_count.sync(client=manager, scope=scope, customer_uuid=U(d.CUSTOMER_OTHER)) == 0
    assert events_count.sync(client=manager, scope=scope, created_to=since) == 0
    only = events_list.sync(client=manager, scope=scope, field=[EventFieldEnum.MESSAGE], page_size=1)
    assert len(only) == 1 and only[0].to_dict().keys() == {"message"}
    one = events_retrieve.sync(id=created.uuid.hex, client=staff)
    assert one.uuid == created.uuid and one.context == created.context

    # A stranger sees none of them.
    assert events_count.sync(client=outsider, scope=scope) == 0
    with refused(404):
        events_retrieve.sync(id=created.uuid.hex, client=outsider)


def test_web_hooks_through_the_sdk(manager, outsider, staff):
    body = WebHookRequest(
        destination_url=HOOK_URL,
        event_types=[EventTypesEnum.MARKETPLACE_OFFERING_USER_CREATED],
        content_type=WebHookContentTypeEnum.JSON,
    )
    response = hooks_web_create.sync_detailed(client=manager, body=body)
    assert response.status_code == 201
    hook = response.parsed
    assert isinstance(hook, WebHook)
    assert hook.destination_url == HOOK_URL and hook.hook_type == "webhook"
    assert hook.author_uuid == U(d.user("spmanager"))
    assert len(hook["secret"]) == 64  # beyond upstream: once, in additional_properties

    again = hooks_web_retrieve.sync(uuid=hook.uuid, client=manager)
    assert "secret" not in again.additional_keys
    assert [h.uuid for h in hooks_web_list.sync(client=manager)] == [hook.uuid]
    assert hooks_web_count.sync(client=manager) == 1
    assert hooks_web_count.sync(client=outsider) == 0
    assert hooks_web_count.sync(client=staff) >= 1

    patched = hooks_web_partial_update.sync(
        uuid=hook.uuid, client=manager, body=PatchedWebHookRequest(event_groups=[EventGroupsEnum.USERS], is_active=False)
    )
    assert set(patched.event_types) == {
        EventTypesEnum.MARKETPLACE_OFFERING_USER_CREATED,
        EventTypesEnum.MARKETPLACE_OFFERING_USER_UPDATED,
        EventTypesEnum.MARKETPLACE_OFFERING_USER_DELETED,
        EventTypesEnum.MARKETPLACE_OFFERING_USER_RESTRICTION_UPDATED,
    }
    assert patched.is_active is False
    replaced = hooks_web_update.sync(
        uuid=hook.uuid,
        client=manager,
        body=WebHookRequest(destination_url=HOOK_URL + "/v2", event_types=[EventTypesEnum.MARKETPLACE_OFFERING_USER_DELETED]),
    )
    assert replaced.destination_url == HOOK_URL + "/v2"

    with refused(404):
        hooks_web_retrieve.sync(uuid=hook.uuid, client=outsider)
    with refused(400) as bad:
        hooks_web_create.sync(client=manager, body=WebHookRequest(destination_url="http://127.0.0.1/x", event_types=[]))
    assert "destination_url" in bad.body

    assert hooks_web_destroy.sync_detailed(uuid=hook.uuid, client=manager).status_code == 204
    assert hooks_web_count.sync(client=manager) == 0
