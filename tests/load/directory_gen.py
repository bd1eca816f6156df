#!/usr/bin/env python3
"""A large directory document for timing `waldur-offering-users import`.

    python3 tests/load/directory_gen.py --users 50000 --offering-users 100000 > /tmp/big.json
    waldur-offering-users import /tmp/big.json            # progress on a terminal
    waldur-offering-users import /tmp/big.json | cat      # through a pipe: the summary only

Every kind of the document is there: users (one token in ten), customers, projects, offerings
(one in four with a compliance checklist, one in ten switched off), roles (an owner per
customer, a manager per offering, every user a member of one project), terms of service with
consents for two users in three, and offering users spread over the ten states. UUIDs are
derived from the indices, so the same arguments give the same document and a second import
changes nothing.
"""

import argparse
import json
import sys

STATES = [
    "Requested", "Creating", "Pending account linking", "Pending additional validation", "OK",
    "Error creating", "Requested deletion", "Deleting", "Deleted", "Error deleting",
]


def uid(kind: int, index: int) -> str:
    """A UUID of 32 hex digits: the kind in the first four, the index in the last twelve."""
    return f"{kind:04x}0000000000000000{index:012x}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--offering-users", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--projects", type=int, default=500)
    parser.add_argument("--offerings", type=int, default=100)
    args = parser.parse_args()
    users, offerings = args.users, args.offerings
    if args.offering_users > users * offerings:
        sys.exit("more offering users than (user, offering) pairs")

    doc = {
        "users": [
            {"uuid": uid(1, i), "username": f"user{i:06d}", "first_name": "User", "last_name": f"N{i}",
             "email": f"user{i}@example.org", **({"token": f"load-token-{i:06d}"} if i % 10 == 0 else {})}
            for i in range(users)
        ],
        "customers": [{"uuid": uid(2, i), "name": f"Customer {i}", "abbreviation": f"C{i}"}
                      for i in range(args.customers)],
        "projects": [{"uuid": uid(3, i), "name": f"Project {i}", "customer": uid(2, i % args.customers)}
                     for i in range(args.projects)],
        "checklists": [{
            "uuid": uid(4, 0), "name": "Load compliance", "checklist_type": "offering_compliance",
            "questions": [
                {"uuid": uid(5, 0), "description": "Personal data?", "question_type": "boolean",
                 "required": True, "order": 1, "review_answer_value": True},
                {"uuid": uid(5, 1), "description": "Purpose", "question_type": "text_area", "order": 2},
                {"uuid": uid(5, 2), "description": "Contact e-mail", "question_type": "email", "order": 3},
            ],
        }],
        "offerings": [
            {"uuid": uid(6, i), "name": f"Offering {i}", "slug": f"offering-{i}", "type": "Marketplace.Slurm",
             "customer": uid(2, i % args.customers),
             "plugin_options": {"service_provider_can_create_offering_user": i % 10 != 9},
             **({"compliance_checklist": uid(4, 0)} if i % 4 == 0 else {})}
            for i in range(offerings)
        ],
        "roles": (
            [{"user": uid(1, i), "role": "CUSTOMER.OWNER", "scope": {"customer": uid(2, i)}}
             for i in range(min(args.customers, users))]
            + [{"user": uid(1, (i + 7) % users), "role": "OFFERING.MANAGER", "scope": {"offering": uid(6, i)}}
               for i in range(offerings)]
            + [{"user": uid(1, i), "role": "PROJECT.MEMBER", "scope": {"project": uid(3, i % args.projects)}}
               for i in range(users)]
        ),
        "terms_of_service": [
            {"uuid": uid(7, i), "offering": uid(6, i), "version": "1", "is_active": True,
             "requires_reconsent": True, "terms_of_service": "Be nice."}
            for i in range(offerings)
        ],
        "consents": [],
        "offering_users": [],
    }
    # Offering user k: user k % users on offering (k // users + user) % offerings, so that
    # (user, offering) pairs never repeat; two records in three have the user's consent.
    for k in range(args.offering_users):
        user = k % users
        offering = (k // users + user) % offerings
        ou = {"uuid": uid(8, k), "user": uid(1, user), "offering": uid(6, offering), "state": STATES[k % 10],
              "is_restricted": k % 17 == 0}
        if STATES[k % 10] in ("OK", "Requested deletion", "Deleting", "Error deleting"):
            ou["username"] = f"u{k}"
        doc["offering_users"].append(ou)
        if k % 3 != 0:
            doc["consents"].append({"uuid": uid(9, k), "user": uid(1, user), "offering": uid(6, offering),
                                    "version": "1", "agreement_date": "2026-01-02T10:00:00Z"})
    json.dump(doc, sys.stdout, separators=(",", ":"))


if __name__ == "__main__":
    main()
