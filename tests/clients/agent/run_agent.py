"""Agent suite: the real `waldur_sync_offering_users -c CONFIG` of waldur-site-agent against
the server, with the deterministic username backend of ../agent_backend.

Three cycles (docs/spec/clients.md §5.2): two plain ones, then one in which the backend resolves
everyone. After every cycle each offering user is read back through the API (the SDK the
agent itself ships, 8.1.2, with a staff token) and its state, username and comments are
compared with what the agent must have done. The backend's own call log is checked too, so
that restricted users, users that are already OK and users of another offering are known to
be left alone. Ends with the table of users and the line `N passed, N failed`.

Run by tests/clients/run.sh inside the agent venv, with WOU_BASE_URL and WOU_WORK set.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from uuid import UUID

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import directory as d  # noqa: E402
from waldur_api_client.api.marketplace_offering_users import marketplace_offering_users_list  # noqa: E402
from waldur_api_client.client import AuthenticatedClient  # noqa: E402
from wou_test_username_backend import LINK_URL, link_comment, validate_comment  # noqa: E402

BASE_URL = os.environ["WOU_BASE_URL"].rstrip("/")
WORK = Path(os.environ.get("WOU_WORK", "/tmp"))
VENV_BIN = Path(sys.executable).parent

PAL = "Pending account linking"
PAV = "Pending additional validation"
RESOLVED_CYCLE = 3

# Expected (state, username, comment, comment_url) per user after each cycle.
# Cycle 1: requested users get begin_creating, then the backend's outcome; pending ones
# (Error creating, Creating) are retried. Cycle 2: pending users again; the same pending error
# in the same pending state makes no call; another one cross-transitions. Cycle 3: the backend
# returns a username for everyone: set_validation_complete (pending states) then PATCH
# {"username"}, which moves Creating to OK by itself.
_link = lambda who: (PAL, None, link_comment(who), LINK_URL.format(username=who))  # noqa: E731
_validate = lambda who: (PAV, None, validate_comment(who), "")  # noqa: E731
EXPECTED = {
    1: {
        "agent-create": ("OK", "acreate", "", ""),
        "agent-link": _link("agent-link"),
        "agent-validate": _validate("agent-validate"),
        "agent-fail": ("Error creating", None, "", ""),
        "agent-errstart": ("Error creating", None, "", ""),
        "agent-cross": _validate("agent-cross"),
        "agent-creating": ("Creating", None, "", ""),
    },
    2: {
        "agent-create": ("OK", "acreate", "", ""),
        "agent-link": _link("agent-link"),
        "agent-validate": _validate("agent-validate"),
        "agent-fail": ("Error creating", None, "", ""),
        "agent-errstart": _link("agent-errstart"),
        "agent-cross": _link("agent-cross"),
        "agent-creating": ("Creating", None, "", ""),
    },
    3: {
        "agent-create": ("OK", "acreate", "", ""),
        "agent-link": ("OK", "alink", "", ""),
        "agent-validate": ("OK", "avalidate", "", ""),
        "agent-fail": ("OK", "afail", "", ""),
        "agent-errstart": ("OK", "aerrstart", "", ""),
        "agent-cross": ("OK", "across", "", ""),
        "agent-creating": ("OK", "acreating", "", ""),
    },
}
UNTOUCHED = {
    "agent-ok": ("OK", "aok", "", ""),
    "agent-restricted": ("Requested", None, "", ""),
    "agent-elsewhere": ("Requested", None, "", ""),
}
for _cycle in EXPECTED.values():
    _cycle.update(UNTOUCHED)

# Which users the backend must be asked about in each cycle (and in which state the agent saw them).
EXPECTED_CALLS = {
    1: {
        "agent-create": "Requested",
        "agent-link": "Requested",
        "agent-validate": "Requested",
        "agent-fail": "Requested",
        "agent-cross": "Requested",
        "agent-errstart": "Error creating",
        "agent-creating": "Creating",
    },
    2: {
        "agent-link": PAL,
        "agent-validate": PAV,
        "agent-fail": "Error creating",
        "agent-errstart": "Error creating",
        "agent-cross": PAV,
        "agent-creating": "Creating",
    },
    3: {
        "agent-link": PAL,
        "agent-validate": PAV,
        "agent-fail": "Error creating",
        "agent-errstart": PAL,
        "agent-cross": PAL,
        "agent-creating": "Creating",
    },
}

passed = 0
failures = []


def check(ok: bool, what: str) -> None:
    global passed
    if ok:
        passed += 1
    else:
        failures.append(what)
        print(f"FAIL: {what}")


def read_back() -> dict:
    staff = AuthenticatedClient(base_url=BASE_URL, token=d.TOKENS["staff"], timeout=60)
    rows = marketplace_offering_users_list.sync_all(
        client=staff, offering_uuid=[UUID(d.OFFERING_AGENT), UUID(d.OFFERING_AGENT2)]
    )
    return {str(r.user_username): r for r in rows}


def state_tuple(row) -> tuple:
    return (
        row.state.value if hasattr(row.state, "value") else str(row.state),
        row.username,
        row.service_provider_comment,
        row.service_provider_comment_url,
    )


def print_table(rows: dict, title: str) -> None:
    print(f"{title}:")
    print(f"  {'user':<17} {'state':<30} {'username':<10} comment / comment URL")
    for key in EXPECTED[RESOLVED_CYCLE]:
        row = rows[key]
        state, username, comment, url = state_tuple(row)
        restricted = " [restricted]" if row.is_restricted else ""
        print(f"  {key:<17} {state:<30} {str(username):<10} {comment!r} {url!r}{restricted}")


def main() -> int:
    plan_file = WORK / "agent-plan.json"
    calls_file = WORK / "agent-calls.jsonl"
    config_file = WORK / "agent-config.yaml"
    calls_file.write_text("")
    config = {
        "offerings": [
            {
                "name": "offering-user sync against waldur-offering-users",
                # The agent strips any of "/api" from the right end: an IP and a port are safe.
                "waldur_api_url": f"{BASE_URL}/api/",
                "waldur_api_token": d.TOKENS["spmanager"],
                "waldur_offering_uuid": d.OFFERING_AGENT,
                "backend_type": "none",
                "username_management_backend": "wou-test",
                "backend_settings": {"plan_file": str(plan_file)},
            }
        ]
    }
    config_file.write_text(json.dumps(config, indent=2))  # JSON is YAML

    before = read_back()
    for key, (state, username, _restricted) in d.AGENT_START.items():
        row = before.get(key)
        check(row is not None and state_tuple(row)[:2] == (state, username), f"seeded {key} is {state}/{username}")

    started = time.time()
    for cycle in (1, 2, 3):
        plan_file.write_text(json.dumps({"cycle": cycle, "plan": d.AGENT_PLAN, "calls_file": str(calls_file)}))
        t0 = time.time()
        proc = subprocess.run(
            [str(VENV_BIN / "waldur_sync_offering_users"), "-c", str(config_file)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
        )
        log = WORK / f"agent-cycle{cycle}.log"
        log.write_text(proc.stdout)
        print(f"--- cycle {cycle}: waldur_sync_offering_users exited {proc.returncode} in {time.time() - t0:.1f} s")
        check(proc.returncode == 0, f"cycle {cycle}: the agent exits 0 (got {proc.returncode})")
        check("Traceback" not in proc.stdout, f"cycle {cycle}: no traceback in the agent's output")
        # the agent only logs failed calls (docs/spec/clients.md §5.2): any of these means a call was refused
        bad = [
            line
            for line in proc.stdout.splitlines()
            if "Failed to" in line or "Unexpected status" in line or "unexpected status" in line
        ]
        # "Failed to generate username" is logged for the BackendError users on purpose
        bad = [line for line in bad if "directory service unavailable" not in line]
        check(not bad, f"cycle {cycle}: no failed API call in the agent's log: {bad[:3]}")
        if proc.returncode != 0 or bad:
            print("\n".join(proc.stdout.splitlines()[-40:]))

        calls = [json.loads(line) for line in calls_file.read_text().splitlines() if line.strip()]
        seen = {c["user_username"]: c["state"] for c in calls if c["cycle"] == cycle}
        want = EXPECTED_CALLS[cycle]
        check(seen == want, f"cycle {cycle}: backend asked about exactly {sorted(want)} in states {want}; got {seen}")

        rows = read_back()
        for key, expected in EXPECTED[cycle].items():
            row = rows.get(key)
            got = state_tuple(row) if row is not None else None
            check(got == expected, f"cycle {cycle}: {key} is {expected}; got {got}")
        check(
            rows["agent-restricted"].is_restricted is True,
            f"cycle {cycle}: agent-restricted is still restricted",
        )
        if cycle < RESOLVED_CYCLE:
            print_table(rows, f"after cycle {cycle}")
    elapsed = time.time() - started

    print()
    print_table(read_back(), f"final states after cycle {RESOLVED_CYCLE}")
    print(f"three agent cycles in {elapsed:.1f} s")
    print()
    for f in failures:
        print(f"FAILED: {f}")
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
