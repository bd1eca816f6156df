"""Helpers of the SDK suite: the server's address, clients per token, URL builders, and
`refused(status)` for calls the SDK must raise on."""

import json
import os
import sys
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from uuid import UUID

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import directory as d  # noqa: E402,F401
from waldur_api_client import errors  # noqa: E402
from waldur_api_client.api.marketplace_offering_users import marketplace_offering_users_retrieve  # noqa: E402
from waldur_api_client.client import AuthenticatedClient  # noqa: E402

BASE_URL = os.environ.get("WOU_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
SDK_VERSION = version("waldur-api-client")
SDK_813 = tuple(int(p) for p in SDK_VERSION.split(".")[:3]) >= (8, 1, 3)


def make_client(token_key: str) -> AuthenticatedClient:
    return AuthenticatedClient(base_url=BASE_URL, token=d.TOKENS[token_key], timeout=30)


def U(hex32: str) -> UUID:
    return UUID(hex32)


def ou_url(uuid: str) -> str:
    return f"{BASE_URL}/api/marketplace-offering-users/{uuid}/"


def user_url(uuid: str) -> str:
    return f"{BASE_URL}/api/users/{uuid}/"


def offering_url(uuid: str) -> str:
    return f"{BASE_URL}/api/marketplace-provider-offerings/{uuid}/"


class Refused:
    """What an UnexpectedStatus carried: the status and the decoded JSON body (or raw text)."""

    status: int = 0
    body = None
    raw: bytes = b""


@contextmanager
def refused(status: int):
    """Expects the SDK call inside to raise UnexpectedStatus with `status`."""
    r = Refused()
    with pytest.raises(errors.UnexpectedStatus) as info:
        yield r
    r.status = info.value.status_code
    r.raw = info.value.content
    try:
        r.body = json.loads(r.raw) if r.raw else None
    except ValueError:
        r.body = r.raw.decode(errors="replace")
    assert r.status == status, f"expected {status}, got {r.status}: {r.raw[:300]!r}"


def state_of(client: AuthenticatedClient, uuid: str) -> str:
    row = marketplace_offering_users_retrieve.sync(uuid=U(uuid), client=client)
    return row.state.value


def fetch(client: AuthenticatedClient, uuid: str):
    return marketplace_offering_users_retrieve.sync(uuid=U(uuid), client=client)
