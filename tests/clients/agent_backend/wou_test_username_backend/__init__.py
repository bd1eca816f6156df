"""A deterministic username backend for `waldur-site-agent`.

Registered under the entry-point group `waldur_site_agent.username_management_backends` as
`wou-test`. What it does for an offering user is read from a JSON plan file named by
`backend_settings.plan_file` in the agent's config:

    {"cycle": 2,
     "plan": {"<user_username>": ["username:alice", "link", "validate", "fail", "none"], ...},
     "calls_file": "/path/calls.jsonl"}

The entry for the current cycle (1-based) decides the outcome:

    username:<name>  return <name> (the agent PATCHes it)
    link             raise OfferingUserAccountLinkingRequiredError (with a comment URL)
    validate         raise OfferingUserAdditionalValidationRequiredError (no comment URL: the
                     agent then sends "comment_url": null)
    fail             raise BackendError (the agent calls set_error_creating)
    none             return "" (the agent leaves the user alone)

A user missing from the plan is an error (AssertionError, which the agent only logs), so the
driver notices by the calls file. Every call is appended to `calls_file` as one JSON line.
"""

import json
from typing import Optional

from waldur_api_client.models.offering_user import OfferingUser
from waldur_site_agent.backend.backends import AbstractUsernameManagementBackend
from waldur_site_agent.backend.exceptions import (
    BackendError,
    OfferingUserAccountLinkingRequiredError,
    OfferingUserAdditionalValidationRequiredError,
)

LINK_URL = "https://idp.example.org/link/{username}"


def link_comment(username: str) -> str:
    return f"Link the existing account of {username} first."


def validate_comment(username: str) -> str:
    return f"{username} must send an ID document."


def fail_message(username: str) -> str:
    return f"directory service unavailable for {username}"


class DeterministicUsernameBackend(AbstractUsernameManagementBackend):
    """Outcomes come from the plan file; see the module docstring."""

    def _plan(self) -> dict:
        with open(self.backend_settings["plan_file"]) as f:
            return json.load(f)

    def get_username(self, offering_user: OfferingUser) -> Optional[str]:
        # Nothing exists in the "local IDP": always go through generate_username.
        return None

    def generate_username(self, offering_user: OfferingUser) -> str:
        plan = self._plan()
        cycle = plan["cycle"]
        who = str(offering_user.user_username)
        outcomes = plan["plan"].get(who)
        outcome = outcomes[cycle - 1] if outcomes else "unplanned"
        with open(plan["calls_file"], "a") as f:
            f.write(
                json.dumps(
                    {
                        "cycle": cycle,
                        "user_username": who,
                        "uuid": str(offering_user.uuid),
                        "state": str(offering_user.state),
                        "outcome": outcome,
                    }
                )
                + "\n"
            )
        if outcome.startswith("username:"):
            return outcome.split(":", 1)[1]
        if outcome == "link":
            raise OfferingUserAccountLinkingRequiredError(link_comment(who), comment_url=LINK_URL.format(username=who))
        if outcome == "validate":
            raise OfferingUserAdditionalValidationRequiredError(validate_comment(who))
        if outcome == "fail":
            raise BackendError(fail_message(who))
        if outcome == "none":
            return ""
        raise AssertionError(f"no plan for offering user {who} in cycle {cycle}")
