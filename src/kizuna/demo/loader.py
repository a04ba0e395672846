"""Write the generated demo into the database with bulk inserts.

The caller owns the transaction: we only flush. Row ids are fresh UUIDv7s; the
generator's natural keys (e-mails, product codes, external ids) are mapped to them here.
Teams, users and products that already exist (matched by name, e-mail and code) are
reused, never altered, so loading the demo next to a real administrator is safe.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from kizuna.auth.passwords import hash_password
from kizuna.demo.catalog import DEMO_PASSWORD, EXPANSION_USAGE
from kizuna.demo.dates import jst_midnight_utc
from kizuna.demo.generator import generate
from kizuna.demo.model import DemoData
from kizuna.kit import clock
from kizuna.kit.errors import Conflict
from kizuna.kit.ids import uuid7
from kizuna.models import (
    Account,
    Activity,
    Contact,
    ContactRoleLink,
    CustomFieldDefinition,
    Product,
    Subscription,
    SurveyResponse,
    Team,
    User,
    activity_contact,
    activity_user,
)
from kizuna.models.enums import CustomFieldObject, CustomFieldType

Progress = Callable[[str, int, int], None]
CHUNK = 2000


@dataclass(frozen=True)
class DemoSummary:
    """How many rows of each kind ``load_demo`` created."""

    teams: int
    users: int
    products: int
    accounts: int
    contacts: int
    contact_roles: int
    subscriptions: int
    activities: int
    activity_users: int
    activity_contacts: int
    survey_responses: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def load_demo(
    session: Session,
    *,
    seed: int = 42,
    accounts: int = 320,
    today: date | None = None,
    progress: Progress | None = None,
) -> DemoSummary:
    """Generate the demo company and insert it; refuses if any account exists."""
    if session.scalar(select(Account.id).limit(1)) is not None:
        raise Conflict("the demo needs a database without accounts", code="demo_already_loaded")
    demo = generate(seed, accounts, today=today or clock.today())
    return _Writer(session, demo, progress or _silent).run()


def _silent(stage: str, done: int, total: int) -> None:
    return None


def _stamps(moment: datetime) -> dict[str, Any]:
    return {"created_at": moment, "updated_at": moment, "custom_fields": {}}


def _expansion_fields(code: str) -> dict[str, Any]:
    """The option's expansion-signal setting (health/expansion.py), if the demo has one."""
    if code not in EXPANSION_USAGE:
        return {}
    metric, threshold = EXPANSION_USAGE[code]
    return {"expansion_metric": metric, "expansion_threshold": threshold}


class _Writer:
    def __init__(self, session: Session, demo: DemoData, progress: Progress) -> None:
        self.session, self.demo, self.progress = session, demo, progress
        self.ids: dict[str, uuid.UUID] = {}
        self.now = clock.utc_now()

    def run(self) -> DemoSummary:
        teams = self._insert_rows("teams", Team, self._teams())
        users = self._insert_rows("users", User, self._users())
        products = self._insert_rows("products", Product, self._products())
        self._insert_rows("product_fields", CustomFieldDefinition, self._product_fields())
        accounts = self._insert_rows("accounts", Account, self._accounts())
        contacts = self._insert_rows("contacts", Contact, self._contacts())
        roles = self._insert_rows("contact_roles", ContactRoleLink, self._contact_roles())
        lines = self._insert_rows("subscriptions", Subscription, self._lines())
        activities = self._insert_rows("activities", Activity, self._activities())
        activity_users, activity_contacts = self._activity_links()
        surveys = self._insert_rows("survey_responses", SurveyResponse, self._surveys())
        return DemoSummary(
            teams=teams,
            users=users,
            products=products,
            accounts=accounts,
            contacts=contacts,
            contact_roles=roles,
            subscriptions=lines,
            activities=activities,
            activity_users=activity_users,
            activity_contacts=activity_contacts,
            survey_responses=surveys,
        )

    def _insert_rows(self, stage: str, target: Any, rows: Sequence[dict[str, Any]]) -> int:
        for start in range(0, len(rows), CHUNK):
            self.session.execute(insert(target), rows[start : start + CHUNK])
            self.progress(stage, min(start + CHUNK, len(rows)), len(rows))
        self.session.flush()
        return len(rows)

    def _new_id(self, key: str) -> uuid.UUID:
        self.ids[key] = uuid7()
        return self.ids[key]

    def _reuse(self, key_column: Any, id_column: Any) -> set[str]:
        """Map existing rows' natural keys to their ids; returns the keys found."""
        found: dict[str, uuid.UUID] = dict(
            self.session.execute(select(key_column, id_column)).all()
        )
        self.ids.update(found)
        return set(found)

    # -- rows --------------------------------------------------------------------------

    def _teams(self) -> list[dict[str, Any]]:
        existing = dict(self.session.execute(select(Team.name, Team.id)).all())
        rows = []
        for team in self.demo.teams:
            key = f"team:{team.kind}"
            if team.name in existing:
                self.ids[key] = existing[team.name]
                continue
            rows.append(
                {
                    "id": self._new_id(key),
                    "name": team.name,
                    "kind": team.kind,
                    "description": team.description,
                    "created_at": self.now,
                    "updated_at": self.now,
                }
            )
        return rows

    def _users(self) -> list[dict[str, Any]]:
        existing = self._reuse(User.email, User.id)
        password_hash = hash_password(DEMO_PASSWORD)  # once: argon2 is slow on purpose
        return [
            {
                "id": self._new_id(user.email),
                "email": user.email,
                "name": user.name,
                "password_hash": password_hash,
                "role": user.role,
                "team_id": self.ids[f"team:{user.team}"],
                "locale": "ja",
                "timezone": "Asia/Tokyo",
                "capacity_accounts": user.capacity_accounts,
                "created_at": self.now,
                "updated_at": self.now,
            }
            for user in self.demo.users
            if user.email not in existing
        ]

    def _products(self) -> list[dict[str, Any]]:
        existing = self._reuse(Product.code, Product.id)
        return [
            {
                "id": self._new_id(p.code),
                "code": p.code,
                "name": p.name,
                "name_en": p.name_en,
                "kind": p.kind,
                "unit": p.unit,
                "list_price_amount": p.list_price_amount,
                "currency": "JPY",
                "description": p.description,
                **_stamps(self.now),
                "custom_fields": _expansion_fields(p.code),
            }
            for p in self.demo.products
            if p.code not in existing
        ]

    def _product_fields(self) -> list[dict[str, Any]]:
        """The product custom fields behind option expansion signals, so that the demo's
        settings (``EXPANSION_USAGE``) can be seen and edited on the product form."""
        existing = set(
            self.session.scalars(
                select(CustomFieldDefinition.key).where(
                    CustomFieldDefinition.object_type == CustomFieldObject.PRODUCT
                )
            )
        )
        fields = [
            ("expansion_metric", "拡大シグナルの利用指標", "Expansion signal: usage metric",
             CustomFieldType.TEXT, "例: usage:exported_rows:month"),
            ("expansion_threshold", "拡大シグナルの基準値", "Expansion signal: threshold",
             CustomFieldType.DECIMAL, "この値以上の利用で拡大シグナルを出します"),
        ]  # fmt: skip
        return [
            {
                "id": uuid7(),
                "object_type": CustomFieldObject.PRODUCT,
                "key": key,
                "label_ja": ja,
                "label_en": en,
                "field_type": kind,
                "help_text": help_text,
                "position": 100 + n,
                "choices": [],
                "extra": {},
                "created_at": self.now,
                "updated_at": self.now,
            }
            for n, (key, ja, en, kind, help_text) in enumerate(fields)
            if key not in existing
        ]

    def _accounts(self) -> list[dict[str, Any]]:
        rows = []
        for a in self.demo.accounts:
            row = asdict(a)
            for role in ("csm", "sales", "ae", "support"):
                row[f"{role}_owner_id"] = self.ids[row.pop(f"{role}_owner")]
            row.update(id=self._new_id(a.external_id), currency="JPY", **_stamps(a.created_at))
            rows.append(row)
        return rows

    def _contacts(self) -> list[dict[str, Any]]:
        rows = []
        for c in self.demo.contacts:
            row = asdict(c)
            del row["roles"]
            row.update(
                id=self._new_id(c.external_id),
                account_id=self.ids[row.pop("account")],
                **_stamps(c.created_at),
            )
            rows.append(row)
        return rows

    def _contact_roles(self) -> list[dict[str, Any]]:
        return [
            {"contact_id": self.ids[c.external_id], "role": role}
            for c in self.demo.contacts
            for role in c.roles
        ]

    def _lines(self) -> list[dict[str, Any]]:
        rows = []
        for line in self.demo.lines:
            row = asdict(line)
            row.update(
                id=uuid7(),
                account_id=self.ids[row.pop("account")],
                product_id=self.ids[row.pop("product_code")],
                currency="JPY",
                **_stamps(min(jst_midnight_utc(line.start_on), self.now)),
            )
            rows.append(row)
        return rows

    def _activities(self) -> list[dict[str, Any]]:
        rows = []
        for act in self.demo.activities:
            row = asdict(act)
            del row["users"], row["contacts"]
            row.update(
                id=self._new_id(act.external_id),
                account_id=self.ids[row.pop("account")],
                author_id=self.ids[row.pop("author")],
                **_stamps(act.occurred_at),
            )
            rows.append(row)
        return rows

    def _activity_links(self) -> tuple[int, int]:
        users = [
            {"activity_id": self.ids[a.external_id], "user_id": self.ids[u]}
            for a in self.demo.activities
            for u in a.users
        ]
        contacts = [
            {"activity_id": self.ids[a.external_id], "contact_id": self.ids[c]}
            for a in self.demo.activities
            for c in a.contacts
        ]
        return (
            self._insert_rows("activity_users", activity_user, users),
            self._insert_rows("activity_contacts", activity_contact, contacts),
        )

    def _surveys(self) -> list[dict[str, Any]]:
        rows = []
        for s in self.demo.surveys:
            row = asdict(s)
            contact = row.pop("contact")
            row.update(
                id=uuid7(),
                account_id=self.ids[row.pop("account")],
                contact_id=self.ids[contact] if contact else None,
                **_stamps(min(jst_midnight_utc(s.responded_on), self.now)),
            )
            del row["custom_fields"]
            rows.append(row)
        return rows
