"""Fixtures of the SDK suite: one client per token.

Run by tests/clients/run.sh with WOU_BASE_URL (the server root, without /api) and
WOU_SDK_VERSION (the waldur-api-client version the venv must hold).
"""

import os

import pytest
from helpers import BASE_URL, SDK_VERSION, make_client
from waldur_api_client.client import AuthenticatedClient


def pytest_report_header(config):
    return f"waldur-api-client {SDK_VERSION} against {BASE_URL}"


def pytest_configure(config):
    wanted = os.environ.get("WOU_SDK_VERSION")
    if wanted and wanted != SDK_VERSION:
        raise pytest.UsageError(f"the venv holds waldur-api-client {SDK_VERSION}, not {wanted}")


@pytest.fixture(scope="session")
def manager() -> AuthenticatedClient:
    """The service provider: OFFERING.MANAGER on every offering but FOREIGN."""
    return make_client("spmanager")


@pytest.fixture(scope="session")
def staff() -> AuthenticatedClient:
    return make_client("staff")


@pytest.fixture(scope="session")
def alice() -> AuthenticatedClient:
    """A plain user with offering-user records of her own."""
    return make_client("alice")


@pytest.fixture(scope="session")
def outsider() -> AuthenticatedClient:
    """Authenticated, no role anywhere."""
    return make_client("outsider")


# Server incompatibilities this suite found that are not fixed yet. Each entry turns its test
# into xfail(strict=True): the test still runs unchanged and its failure shows as "xfailed" with
# the reason below; the day the server is fixed it XPASSes, which fails the run until the entry
# is removed here. Keys: "<file>::<test name>".
KNOWN_INCOMPATIBILITIES = {
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        reason = KNOWN_INCOMPATIBILITIES.get(f"{item.path.name}::{item.name}")
        if reason:
            item.add_marker(pytest.mark.xfail(reason=f"server incompatibility: {reason}", strict=True))
