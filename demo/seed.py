"""The demo data of DataABS: users of every role, originators, the 2025 market, a pipeline and investors.

`seed_demo()` loads it in one transaction through the services and workflow moves,
so every deal has a real audit chain. It is idempotent: each object is looked up
by its natural key (USCC, username, deal name, investor name) and an existing one
is left exactly as it is. The data lives in the `demo_*` modules beside this one.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction

from investors.models import Investor
from origination.choices import Role
from origination.models import Originator, User
from origination.services import originator_create

from .build import ensure_deal
from .investors import INVESTOR_USERS, ensure_investors
from .market import ISSUED_2025, ORIGINATORS
from .market_data import ensure_market_data
from .pipeline import PIPELINE
from .specs import OriginatorSpec

DEMO_PASSWORD = "dataabs-demo"  # noqa: S105 - the published password of the demo accounts
ARRANGER = ("arthur", "Arthur", "Wu")
COMPLIANCE = ("carol", "Carol", "Sun")
# The accounts the table lists first: the ones a demo starts with.
HEADLINE_USERS = ("alice", "bob", "carol", "ivy", "ian", "arthur")


class DemoConflict(Exception):
    """An existing row with a demo natural key does not fit the demo (e.g. 'alice' of another company)."""


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    organisation: str
    password: str


@dataclass
class SeedReport:
    """What a seed run created (by kind) and the demo accounts to sign in with."""

    created: Counter[str] = field(default_factory=Counter)
    accounts: list[DemoAccount] = field(default_factory=list)


def _ensure_user(
    *,
    username: str,
    role: str,
    first_name: str,
    last_name: str,
    created: Counter,
    password_hash: Callable[[], str],
    originator: Originator | None = None,
    investor: Investor | None = None,
    superuser: bool = False,
) -> User:
    user = User.objects.filter(username=username).first()
    if user is not None:
        org = originator or investor
        if user.role != role or (org is not None and user.organisation != org):
            raise DemoConflict(f"User '{username}' exists as {user.role} of {user.organisation}, not {role} of {org}.")
        return user
    user = User(
        username=username,
        role=role,
        first_name=first_name,
        last_name=last_name,
        email=f"{username}@example.com",
        originator=originator,
        investor=investor,
        is_staff=superuser,
        is_superuser=superuser,
        password=password_hash(),
    )
    user.save()
    created["users"] += 1
    return user


def _ensure_originator(*, actor: User, spec: OriginatorSpec, created: Counter) -> Originator:
    originator = Originator.objects.filter(uscc=spec.uscc).first()
    if originator is not None:
        return originator
    created["originators"] += 1
    return originator_create(
        actor=actor,
        name=spec.name,
        uscc=spec.uscc,
        ownership_type=spec.ownership_type,
        industry=spec.industry,
        region=spec.region,
        credit_rating=spec.credit_rating,
    )


def _accounts(users: list[User]) -> list[DemoAccount]:
    order = {name: i for i, name in enumerate(HEADLINE_USERS)}
    users = sorted(users, key=lambda u: (order.get(u.username, len(order)), u.username))
    return [
        DemoAccount(
            username=u.username,
            role=str(u.get_role_display()),
            organisation=str(u.organisation) if u.organisation else "-",
            password=DEMO_PASSWORD,
        )
        for u in users
    ]


def seed_demo() -> SeedReport:
    """Load the demo data (idempotent, one transaction); return what was created and the accounts."""
    report = SeedReport()
    created = report.created
    # Hashing is deliberately slow and every demo account has the same password: hash it once per run.
    password_hash = functools.cache(lambda: make_password(DEMO_PASSWORD))
    with transaction.atomic():
        arthur = _ensure_user(
            username=ARRANGER[0], role=Role.ARRANGER, first_name=ARRANGER[1], last_name=ARRANGER[2],
            created=created, password_hash=password_hash, superuser=True,
        )  # fmt: skip
        carol = _ensure_user(
            username=COMPLIANCE[0], role=Role.COMPLIANCE, first_name=COMPLIANCE[1], last_name=COMPLIANCE[2],
            created=created, password_hash=password_hash,
        )  # fmt: skip
        originators: dict[str, Originator] = {}
        staff: dict[str, User] = {}
        for ospec in ORIGINATORS:
            originators[ospec.key] = _ensure_originator(actor=arthur, spec=ospec, created=created)
            staff[ospec.key] = _ensure_user(
                username=ospec.username, role=Role.ORIGINATOR, first_name=ospec.first_name,
                last_name=ospec.last_name, originator=originators[ospec.key], created=created,
                password_hash=password_hash,
            )  # fmt: skip
        investors = ensure_investors(created=created)
        investor_staff = [
            _ensure_user(
                username=username,
                role=Role.INVESTOR,
                first_name=first,
                last_name=last,
                investor=investors[institution],
                created=created,
                password_hash=password_hash,
            )
            for username, (first, last, institution) in INVESTOR_USERS.items()
        ]
        ensure_market_data(actor=arthur, created=created)
        specs = {ospec.key: ospec for ospec in ORIGINATORS}
        for deal_spec in (*ISSUED_2025, *PIPELINE):
            ensure_deal(
                spec=deal_spec,
                ospec=specs[deal_spec.originator],
                originator=originators[deal_spec.originator],
                actors={"originator": staff[deal_spec.originator], "compliance": carol, "arranger": arthur},
                created=created,
            )
        if created.get("deals"):
            # Every investor against every product on the market, once the demo is committed.
            from investors.match_jobs import match_request

            match_request()
    report.accounts = _accounts([arthur, carol, *staff.values(), *investor_staff])
    return report
