"""The directory document the client suites run against, and the names the suites use.

`python3 tests/clients/directory.py OUT.json` writes the document (format:
../shared/spec/directory.md). The SDK suite and the agent driver import this module for the
uuids, tokens and expected values, so the data and the expectations live in one place.

Offerings (all owned by PROVIDER unless noted; SPMANAGER holds OFFERING.MANAGER on each,
and `role_permissions` gives that role every offering-user permission):

  MAIN     compliance checklist, active terms of service v1; alice/bob/carol/grace consented,
           frank not (hidden from the manager by the consent gate)
  CHILD    parent MAIN; one record of alice
  BULK     120 records (every third OK with a username) so that pagination really happens
  FSM      one record per state-machine edge, per invalid-transition source state, per walk
           and per write operation; no checklist, no terms of service
  CREATE   compliance checklist; no records (the create tests make them)
  OFF      service_provider_can_create_offering_user = false: invisible to the manager
  FOREIGN  owned by OTHER_PROVIDER, no role for the manager: invisible to him
  AGENT    the site agent's offering (agent suite)
  AGENT2   one Requested record the agent must never touch (another offering)
  FILTERS  the newer clients' filters and update_runtime_state (sdk/test_filters_2026.py):
           five records of users of their own, no terms of service, no exposure config
"""

import json
import sys


def _uuid(kind: int, n: int) -> str:
    return f"c1e70000{kind:04x}{n:020x}"


def user_uuid(n: int) -> str:
    return _uuid(1, n)


CUSTOMER_PROVIDER = _uuid(2, 1)
CUSTOMER_CONSUMER = _uuid(2, 2)
CUSTOMER_OTHER = _uuid(2, 3)
PROJECT = _uuid(3, 1)

OFFERING_MAIN = _uuid(4, 1)
OFFERING_CHILD = _uuid(4, 2)
OFFERING_BULK = _uuid(4, 3)
OFFERING_FSM = _uuid(4, 4)
OFFERING_CREATE = _uuid(4, 5)
OFFERING_OFF = _uuid(4, 6)
OFFERING_FOREIGN = _uuid(4, 7)
OFFERING_AGENT = _uuid(4, 8)
OFFERING_AGENT2 = _uuid(4, 9)
OFFERING_FILTERS = _uuid(4, 10)

TOS_MAIN = _uuid(5, 1)
CHECKLIST = _uuid(8, 1)
Q_BOOL = _uuid(9, 1)
Q_TEXT = _uuid(9, 2)
Q_SELECT = _uuid(9, 3)
Q_NUMBER = _uuid(9, 4)
OPT_HIGH = _uuid(10, 1)
OPT_LOW = _uuid(10, 2)
DEP_SELECT_ON_BOOL = _uuid(11, 1)

TOKENS = {
    "staff": "clients-staff-token",
    "spmanager": "clients-manager-token",
    "alice": "clients-alice-token",
    "outsider": "clients-outsider-token",
    "filt-own": "clients-filter-own-token",
}

SP_POLICY = {"service_provider_can_create_offering_user": True, "username_generation_policy": "service_provider"}

# Every state label of docs/spec/offering-users.md §2.1, with its internal name and DB value.
STATES = {
    "Requested": ("CREATION_REQUESTED", 1),
    "Creating": ("CREATING", 2),
    "Pending account linking": ("PENDING_ACCOUNT_LINKING", 3),
    "Pending additional validation": ("PENDING_ADDITIONAL_VALIDATION", 4),
    "OK": ("OK", 5),
    "Requested deletion": ("DELETION_REQUESTED", 6),
    "Deleting": ("DELETING", 7),
    "Deleted": ("DELETED", 8),
    "Error creating": ("ERROR_CREATING", 9),
    "Error deleting": ("ERROR_DELETING", 10),
}

# docs/spec/offering-users.md §2.2: action -> (allowed source labels in the spec's order, target, error name)
TRANSITIONS = {
    "begin_creating": (["Requested", "Error creating"], "Creating", "CREATING"),
    "set_pending_additional_validation": (
        ["Creating", "Error creating", "Pending account linking"],
        "Pending additional validation",
        "PENDING_ADDITIONAL_VALIDATION",
    ),
    "set_pending_account_linking": (
        ["Creating", "Error creating", "Pending additional validation"],
        "Pending account linking",
        "PENDING_ACCOUNT_LINKING",
    ),
    "set_validation_complete": (
        ["Pending account linking", "Pending additional validation"],
        "OK",
        "VALIDATION_COMPLETE",
    ),
    "set_ok": (
        [
            "Requested",
            "Creating",
            "Pending additional validation",
            "Pending account linking",
            "Error creating",
            "Error deleting",
        ],
        "OK",
        "OK",
    ),
    "set_error_creating": (
        ["Requested", "Creating", "Pending account linking", "Pending additional validation"],
        "Error creating",
        "ERROR_CREATING",
    ),
    "set_error_deleting": (["Requested deletion", "Deleting"], "Error deleting", "ERROR_DELETING"),
    "request_deletion": (["OK"], "Requested deletion", "DELETION_REQUESTED"),
    "set_deleting": (["Requested deletion", "Error deleting"], "Deleting", "DELETING"),
    "set_deleted": (["Deleting"], "Deleted", "DELETED"),
}

EDGE_COMMENT = "Seeded comment"
EDGE_COMMENT_URL = "https://hpc.example.org/seeded"


def slug(label: str) -> str:
    return label.lower().replace(" ", "-")


# ---------------------------------------------------------------------------------------------
# Users. Each entry: key -> (uuid, username, first, last, email). Keys are used by the suites.
USERS: dict = {}
_next_user = [1]


def _add_user(key: str, username: str, first: str = "", last: str = "", **extra) -> str:
    uuid = user_uuid(_next_user[0])
    _next_user[0] += 1
    entry = {
        "uuid": uuid,
        "username": username,
        "first_name": first,
        "last_name": last,
        "email": f"{username}@clients.example.org",
    }
    entry.update(extra)
    USERS[key] = entry
    return uuid


_add_user("staff", "clients-staff", "Stella", "Staff", is_staff=True, token=TOKENS["staff"])
_add_user("spmanager", "spmanager", "Simon", "Provider", token=TOKENS["spmanager"])
_add_user("outsider", "outsider", "Otto", "Outsider", token=TOKENS["outsider"])
for _key, _first, _last in [
    ("alice", "Alice", "Smith"),
    ("bob", "Bob", "Jones"),
    ("carol", "Carol", "White"),
    ("dave", "Dave", "Brown"),
    ("erin", "Erin", "Green"),
    ("frank", "Frank", "Black"),
    ("grace", "Grace", "Hopper"),
    ("heidi", "Heidi", "Klum"),
]:
    _add_user(_key, _key, _first, _last, **({"token": TOKENS[_key]} if _key in TOKENS else {}))

# ---------------------------------------------------------------------------------------------
# Offering users. key -> entry of the directory document.
OFFERING_USERS: dict = {}
_next_ou = [1]


def _add_ou(key: str, user_key: str, offering: str, state: str = "Requested", username=None, **extra) -> str:
    uuid = _uuid(7, _next_ou[0])
    _next_ou[0] += 1
    entry = {"uuid": uuid, "user": USERS[user_key]["uuid"], "offering": offering, "username": username, "state": state}
    entry.update(extra)
    OFFERING_USERS[key] = entry
    return uuid


# MAIN
_add_ou("alice", "alice", OFFERING_MAIN, "OK", "alice01")
_add_ou("bob", "bob", OFFERING_MAIN, "Requested")
_add_ou(
    "carol",
    "carol",
    OFFERING_MAIN,
    "Pending account linking",
    service_provider_comment="Please link your account.",
    service_provider_comment_url="https://idp.example.org/link",
)
_add_ou("frank", "frank", OFFERING_MAIN, "Requested")  # no consent
_add_ou("grace", "grace", OFFERING_MAIN, "OK", "grace01", is_restricted=True)
MAIN_VISIBLE_TO_MANAGER = ["alice", "bob", "carol", "grace"]
# CHILD
_add_ou("alice_child", "alice", OFFERING_CHILD, "Requested")
# OFF and FOREIGN
_add_ou("bob_off", "bob", OFFERING_OFF, "Requested")
_add_ou("carol_foreign", "carol", OFFERING_FOREIGN, "OK", "carol-foreign")

# BULK: 120 records. Usernames b001.. on every third one (those are OK), the rest Requested
# without username.
BULK_COUNT = 120
BULK_KEYS = []
for _i in range(1, BULK_COUNT + 1):
    _add_user(f"bulk{_i:03d}", f"bulk{_i:03d}", "Bulk", f"User {_i:03d}")
    _ok = _i % 3 == 0
    _add_ou(f"bulk{_i:03d}", f"bulk{_i:03d}", OFFERING_BULK, "OK" if _ok else "Requested", f"b{_i:03d}" if _ok else None)
    BULK_KEYS.append(f"bulk{_i:03d}")
BULK_OK = sum(1 for _i in range(1, BULK_COUNT + 1) if _i % 3 == 0)

# FSM: one user per record, all on OFFERING_FSM.
_fsm_users = [0]


def _fsm(key: str, state: str, username=None, **extra) -> str:
    _fsm_users[0] += 1
    user_key = f"fsm{_fsm_users[0]:03d}"
    _add_user(user_key, user_key, "Fsm", f"User {_fsm_users[0]:03d}")
    return _add_ou(key, user_key, OFFERING_FSM, state, username, **extra)


EDGES = []  # (action, source, key)
for _action, (_sources, _target, _name) in TRANSITIONS.items():
    for _source in _sources:
        _key = f"edge-{_action}-{slug(_source)}"
        _username = "edge-user" if _source in ("OK", "Requested deletion", "Deleting", "Deleted", "Error deleting") else None
        _fsm(
            _key,
            _source,
            _username,
            service_provider_comment=EDGE_COMMENT,
            service_provider_comment_url=EDGE_COMMENT_URL,
        )
        EDGES.append((_action, _source, _key))

INVALID_SOURCES = {}  # state label -> key
for _label in STATES:
    _key = f"invalid-{slug(_label)}"
    _fsm(_key, _label, "inv-user" if _label not in ("Requested", "Creating") else None)
    INVALID_SOURCES[_label] = _key

for _key, _state, _username in [
    ("walk-lifecycle", "Requested", None),
    ("walk-errors", "Requested", None),
    ("walk-agent", "Requested", None),
    ("put", "Requested", None),
    ("patch-requested", "Requested", None),
    ("patch-same", "Creating", "same-name"),
    ("patch-ok", "OK", "old-name"),
    ("patch-repoint", "OK", "repoint"),
    ("restricted", "OK", "restr"),
    ("comments", "OK", "comm"),
    ("comments-deleted", "Deleted", "gone"),
    ("delete", "OK", "to-delete"),
    ("comment-null", "Creating", None),
    ("comment-empty", "Creating", None),
    ("own-alice", "Requested", None),
]:
    if _key == "own-alice":
        _add_ou(_key, "alice", OFFERING_FSM, _state, _username)
    elif _key in ("patch-same", "comment-null", "comment-empty"):
        _fsm(
            _key,
            _state,
            _username,
            service_provider_comment=EDGE_COMMENT,
            service_provider_comment_url=EDGE_COMMENT_URL,
        )
    else:
        _fsm(_key, _state, _username)
_add_ou(
    "patch-pending",
    "heidi",
    OFFERING_FSM,
    "Pending additional validation",
    None,
    service_provider_comment=EDGE_COMMENT,
    service_provider_comment_url=EDGE_COMMENT_URL,
)
# users without a record on OFFERING_FSM, for the create tests there
_add_user("fsm-new-1", "fsm-new-1", "New", "One")

# ---------------------------------------------------------------------------------------------
# AGENT: what the deterministic username backend does per cycle (agent suite).
# Outcomes: "username:<name>", "link", "validate", "fail", "none".
AGENT_PLAN = {
    "agent-create": ["username:acreate", "username:acreate-again", "username:acreate-again"],
    "agent-link": ["link", "link", "username:alink"],
    "agent-validate": ["validate", "validate", "username:avalidate"],
    "agent-fail": ["fail", "fail", "username:afail"],
    "agent-errstart": ["fail", "link", "username:aerrstart"],
    "agent-cross": ["validate", "link", "username:across"],
    "agent-creating": ["none", "none", "username:acreating"],
}
AGENT_START = {
    "agent-create": ("Requested", None, False),
    "agent-link": ("Requested", None, False),
    "agent-validate": ("Requested", None, False),
    "agent-fail": ("Requested", None, False),
    "agent-errstart": ("Error creating", None, False),
    "agent-cross": ("Requested", None, False),
    "agent-creating": ("Creating", None, False),
    "agent-ok": ("OK", "aok", False),
    "agent-restricted": ("Requested", None, True),
}
for _key, (_state, _username, _restricted) in AGENT_START.items():
    _add_user(_key, _key, "Agent", _key.split("-", 1)[1].capitalize())
    _add_ou(_key, _key, OFFERING_AGENT, _state, _username, is_restricted=_restricted)
_add_user("agent-elsewhere", "agent-elsewhere", "Agent", "Elsewhere")
_add_ou("agent-elsewhere", "agent-elsewhere", OFFERING_AGENT2, "Requested")


# FILTERS: the newer clients' filters and update_runtime_state. Every record starts in the
# runtime state Active (the import cannot set another yet); the tests set and reset them
# through update_runtime_state. `filt-own` is the record whose user has a token: he sees it
# but may not write it. Last names give the order of `o=user_last_name`.
FILTERS_KEYS = []


def _add_filters_2026():
    for key, last, state, username in [
        ("filt-ok", "Adams", "OK", "filt01"),
        ("filt-req", "Baker", "Requested", None),
        ("filt-pal", "Clark", "Pending account linking", None),
        ("filt-deleted", "Davis", "Deleted", "filt04"),
        ("filt-own", "Evans", "OK", "filt05"),
    ]:
        extra = {"token": TOKENS[key]} if key in TOKENS else {}
        _add_user(key, key, "Filter", last, **extra)
        _add_ou(key, key, OFFERING_FILTERS, state, username)
        FILTERS_KEYS.append(key)


_add_filters_2026()

def ou(key: str) -> str:
    """The uuid (32 hex) of the offering user seeded under `key`."""
    return OFFERING_USERS[key]["uuid"]


def user(key: str) -> str:
    return USERS[key]["uuid"]


# ---------------------------------------------------------------------------------------------
OFFERINGS = [
    ("MAIN", OFFERING_MAIN, "Clients Main", "clients-main", CUSTOMER_PROVIDER, None, SP_POLICY, CHECKLIST),
    ("CHILD", OFFERING_CHILD, "Clients Child", "clients-child", CUSTOMER_PROVIDER, OFFERING_MAIN, SP_POLICY, None),
    ("BULK", OFFERING_BULK, "Clients Bulk", "clients-bulk", CUSTOMER_PROVIDER, None, SP_POLICY, None),
    ("FSM", OFFERING_FSM, "Clients FSM", "clients-fsm", CUSTOMER_PROVIDER, None, SP_POLICY, None),
    ("CREATE", OFFERING_CREATE, "Clients Create", "clients-create", CUSTOMER_PROVIDER, None, SP_POLICY, CHECKLIST),
    (
        "OFF",
        OFFERING_OFF,
        "Clients Switch Off",
        "clients-off",
        CUSTOMER_PROVIDER,
        None,
        {"service_provider_can_create_offering_user": False},
        None,
    ),
    ("FOREIGN", OFFERING_FOREIGN, "Foreign Cluster", "foreign-cluster", CUSTOMER_OTHER, None, SP_POLICY, None),
    ("AGENT", OFFERING_AGENT, "Clients Agent", "clients-agent", CUSTOMER_PROVIDER, None, SP_POLICY, None),
    ("AGENT2", OFFERING_AGENT2, "Clients Agent Other", "clients-agent-other", CUSTOMER_PROVIDER, None, SP_POLICY, None),
    ("FILTERS", OFFERING_FILTERS, "Clients Filters", "clients-filters", CUSTOMER_PROVIDER, None, SP_POLICY, None),
]
OFFERING_NAMES = {uuid: name for _, uuid, name, *_ in OFFERINGS}
CUSTOMER_NAMES = {
    CUSTOMER_PROVIDER: "Clients Provider",
    CUSTOMER_CONSUMER: "Clients University",
    CUSTOMER_OTHER: "Other Provider",
}
MANAGED_OFFERINGS = [
    OFFERING_MAIN,
    OFFERING_CHILD,
    OFFERING_BULK,
    OFFERING_FSM,
    OFFERING_CREATE,
    OFFERING_OFF,
    OFFERING_AGENT,
    OFFERING_AGENT2,
    OFFERING_FILTERS,
]
CONSENTED_ON_MAIN = ["alice", "bob", "carol", "dave", "erin", "grace"]

QUESTION_DEFAULTS = {
    "user_guidance": "",
    "always_show_guidance": False,
    "guidance_answer_value": None,
    "guidance_operator": "equals",
    "operator": "equals",
    "review_answer_value": [],
    "always_requires_review": False,
    "min_value": None,
    "max_value": None,
    "allowed_file_types": [],
    "allowed_mime_types": [],
    "max_file_size_mb": None,
    "max_files_count": None,
    "dependency_logic_operator": "and",
    "options": [],
    "dependencies": [],
}


def _question(**fields) -> dict:
    q = dict(QUESTION_DEFAULTS)
    q.update(fields)
    return q


CHECKLIST_NAME = "Clients compliance"
CHECKLIST_DESCRIPTION = "What the provider needs to know"
QUESTION_TEXT = {
    Q_BOOL: "Do you process personal data?",
    Q_TEXT: "Describe your data handling.",
    Q_SELECT: "Data sensitivity level",
    Q_NUMBER: "How many people will use the account?",
}
GUIDANCE_BOOL = "Read the data-protection guide first."


def document() -> dict:
    doc = {
        "users": list(USERS.values()),
        "customers": [{"uuid": uuid, "name": name} for uuid, name in CUSTOMER_NAMES.items()],
        "projects": [{"uuid": PROJECT, "name": "Climate model", "customer": CUSTOMER_CONSUMER}],
        "checklists": [
            {
                "uuid": CHECKLIST,
                "name": CHECKLIST_NAME,
                "description": CHECKLIST_DESCRIPTION,
                "checklist_type": "offering_compliance",
                "questions": [
                    _question(
                        uuid=Q_BOOL,
                        description=QUESTION_TEXT[Q_BOOL],
                        question_type="boolean",
                        required=True,
                        order=1,
                        user_guidance=GUIDANCE_BOOL,
                        always_show_guidance=True,
                        operator="equals",
                        review_answer_value=True,
                    ),
                    _question(
                        uuid=Q_TEXT,
                        description=QUESTION_TEXT[Q_TEXT],
                        question_type="text_area",
                        required=False,
                        order=2,
                        operator="contains",
                        review_answer_value=["export"],
                    ),
                    _question(
                        uuid=Q_SELECT,
                        description=QUESTION_TEXT[Q_SELECT],
                        question_type="single_select",
                        required=True,
                        order=3,
                        options=[
                            {"uuid": OPT_HIGH, "label": "High", "order": 1},
                            {"uuid": OPT_LOW, "label": "Low", "order": 2},
                        ],
                        dependencies=[
                            {
                                "uuid": DEP_SELECT_ON_BOOL,
                                "depends_on": Q_BOOL,
                                "required_answer_value": True,
                                "operator": "equals",
                            }
                        ],
                    ),
                    _question(
                        uuid=Q_NUMBER,
                        description=QUESTION_TEXT[Q_NUMBER],
                        question_type="number",
                        required=False,
                        order=4,
                        min_value=1,
                        max_value=1000,
                    ),
                ],
            }
        ],
        "offerings": [],
        "roles": [],
        "role_permissions": {
            "OFFERING.MANAGER": [
                "OFFERING.CREATE_USER",
                "OFFERING.UPDATE_USER",
                "OFFERING.DELETE_USER",
                "OFFERINGUSER.UPDATE_RESTRICTION",
            ]
        },
        "terms_of_service": [
            {
                "uuid": TOS_MAIN,
                "offering": OFFERING_MAIN,
                "version": "1",
                "is_active": True,
                "requires_reconsent": False,
                "terms_of_service": "Be nice to the scheduler.",
            }
        ],
        "consents": [
            {
                "uuid": _uuid(6, i + 1),
                "user": USERS[key]["uuid"],
                "offering": OFFERING_MAIN,
                "version": "1",
                "agreement_date": "2026-01-02T10:00:00Z",
            }
            for i, key in enumerate(CONSENTED_ON_MAIN)
        ],
        "offering_users": list(OFFERING_USERS.values()),
    }
    for _, uuid, name, slug_, customer, parent, options, checklist in OFFERINGS:
        doc["offerings"].append(
            {
                "uuid": uuid,
                "name": name,
                "slug": slug_,
                "type": "Marketplace.Slurm",
                "customer": customer,
                "parent": parent,
                "plugin_options": options,
                "compliance_checklist": checklist,
            }
        )
    for offering in MANAGED_OFFERINGS:
        doc["roles"].append({"user": user("spmanager"), "role": "OFFERING.MANAGER", "scope": {"offering": offering}})
    _add_profile_2026(doc)
    add_posix(doc)
    return doc


# ---------------------------------------------------------------------------------------------
# The 2026 contract (docs/spec/offering-users-2026.md §4, §9): PROFILE, an offering with an
# explicit exposure config; alice's profile filled, bob's phone number empty (incomplete there,
# so hidden from the manager while the server enforces completeness, as run.sh starts it);
# alice's PROFILE account backed by her account at the provider and with POSIX values.
OFFERING_PROFILE = _uuid(4, 11)
PROFILE_EXPOSED = ["full_name", "email", "phone_number", "job_title", "affiliations", "birth_date", "uid_number"]
ALICE_PROFILE = {
    "phone_number": "+372 5555 0101",
    "job_title": "Research engineer",
    "affiliations": ["member@uni.example.org"],
    "birth_date": "1990-02-28",
    "uid_number": 100042,
    "gender": "female",
    "organization": "Clients University",
}
SP_ACCOUNT_ALICE = _uuid(12, 1)
PROFILE_OU_ALICE = _uuid(7, 9001)
PROFILE_OU_BOB = _uuid(7, 9002)
PROFILE_RUNTIME_STATE_BOB = "Pending additional validation"


def _add_profile_2026(doc: dict) -> None:
    for entry in doc["users"]:
        if entry["uuid"] == user("alice"):
            entry.update(ALICE_PROFILE)
    doc["offerings"].append(
        {
            "uuid": OFFERING_PROFILE,
            "name": "Clients Profile",
            "slug": "clients-profile",
            "type": "Marketplace.Slurm",
            "customer": CUSTOMER_PROVIDER,
            "plugin_options": SP_POLICY,
            "exposed_user_attributes": PROFILE_EXPOSED,
        }
    )
    doc["roles"].append({"user": user("spmanager"), "role": "OFFERING.MANAGER", "scope": {"offering": OFFERING_PROFILE}})
    doc["service_provider_accounts"] = [
        {"uuid": SP_ACCOUNT_ALICE, "user": user("alice"), "customer": CUSTOMER_PROVIDER, "username": "asmith"}
    ]
    doc["offering_users"] += [
        {
            "uuid": PROFILE_OU_ALICE,
            "user": user("alice"),
            "offering": OFFERING_PROFILE,
            "username": "asmith",
            "state": "OK",
            "service_provider_account": SP_ACCOUNT_ALICE,
        },
        {
            "uuid": PROFILE_OU_BOB,
            "user": user("bob"),
            "offering": OFFERING_PROFILE,
            "username": "bjones",
            "state": "OK",
            "runtime_state": PROFILE_RUNTIME_STATE_BOB,
        },
    ]


# POSIX (docs/spec/offering-users-2026.md §7, §9; sdk/test_posix_2026.py): a provider of its own
# with a default pool, two offerings that resolve to it, a project with its groups, and two
# users: one without values, one (a project member) holding UID and GID 5001.
CUSTOMER_POSIX = _uuid(2, 4)
PROJECT_POSIX = _uuid(3, 2)
OFFERING_POSIX_A = _uuid(4, 12)
OFFERING_POSIX_B = _uuid(4, 13)
POSIX_POOL = _uuid(14, 1)
POSIX_PROJECT_GROUP = _uuid(13, 1)
POSIX_PROVIDER_GROUP = _uuid(13, 2)
POSIX_USER = user_uuid(9001)
POSIX_MEMBER = user_uuid(9002)
OU_POSIX_A = _uuid(7, 9101)
OU_POSIX_B = _uuid(7, 9102)
OU_POSIX_MEMBER = _uuid(7, 9103)


def add_posix(doc: dict) -> None:
    """Adds the POSIX provider, its pool, groups, users and offering users to `doc`."""
    doc["customers"].append({"uuid": CUSTOMER_POSIX, "name": "POSIX Provider"})
    doc["projects"].append({"uuid": PROJECT_POSIX, "name": "Genomics", "customer": CUSTOMER_POSIX})
    for uuid, name in [(POSIX_USER, "posix-user"), (POSIX_MEMBER, "posix-member")]:
        doc["users"].append({"uuid": uuid, "username": name, "first_name": "Posix", "last_name": name.split("-")[1]})
    for uuid, name, slug_ in [
        (OFFERING_POSIX_A, "POSIX Cluster A", "posix-a"),
        (OFFERING_POSIX_B, "POSIX Cluster B", "posix-b"),
    ]:
        doc["offerings"].append(
            {"uuid": uuid, "name": name, "slug": slug_, "type": "Marketplace.Slurm", "customer": CUSTOMER_POSIX,
             "plugin_options": dict(SP_POLICY, homedir_prefix="/home/", login_shell="/bin/bash")}
        )
        doc["roles"].append({"user": user("spmanager"), "role": "OFFERING.MANAGER", "scope": {"offering": uuid}})
    doc["roles"].append({"user": POSIX_MEMBER, "role": "PROJECT.MEMBER", "scope": {"project": PROJECT_POSIX}})
    doc["offering_users"] += [
        {"uuid": OU_POSIX_A, "user": POSIX_USER, "offering": OFFERING_POSIX_A, "username": "pxuser", "state": "OK"},
        {"uuid": OU_POSIX_B, "user": POSIX_USER, "offering": OFFERING_POSIX_B, "username": "pxuser", "state": "OK"},
        {"uuid": OU_POSIX_MEMBER, "user": POSIX_MEMBER, "offering": OFFERING_POSIX_A, "username": "pxmember",
         "state": "OK", "uidnumber": 5001, "primarygroup": 5001, "login_shell": "/bin/bash",
         "home_directory": "/home/pxmember"},
    ]
    doc["posix_id_pools"] = [
        {"uuid": POSIX_POOL, "scope": {"customer": CUSTOMER_POSIX}, "description": "POSIX Provider",
         "min_uid": 5000, "max_uid": 5999, "min_gid": 5000, "max_gid": 5999,
         "min_group_gid": 9000, "max_group_gid": 9999}
    ]
    doc["posix_groups"] = [
        {"uuid": POSIX_PROJECT_GROUP, "kind": "project_group", "offering": OFFERING_POSIX_A,
         "projects": [PROJECT_POSIX], "gid": 9001},
        {"uuid": POSIX_PROVIDER_GROUP, "kind": "provider_project_group", "customer": CUSTOMER_POSIX,
         "project": PROJECT_POSIX, "name": "genomics", "gid": 9002},
    ]


if __name__ == "__main__":
    text = json.dumps(document(), indent=1)
    if len(sys.argv) > 1 and sys.argv[1] != "-":
        with open(sys.argv[1], "w") as f:
            f.write(text)
    else:
        print(text)
