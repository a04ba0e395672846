"""Where facts come from. Each provider owns the keys under its prefix: it lists them
(``specs``) and computes the columns asked for (``load``), one or two queries each.

Adding a source of facts (the journey, sales) is adding a provider to ``PROVIDERS`` in
``facts/catalogue.py``; providers read tables directly (models layer), so the features
whose facts they expose may sit above ``facts`` and use conditions themselves.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from sqlalchemy import String, case, cast, func, select
from sqlalchemy.orm import Session, aliased

from kizuna.facts.frame import FactSpec, Kind, empty_column
from kizuna.health.signals.catalogue import Unit, available_signals
from kizuna.health.signals.history import load_history, signal_frame
from kizuna.models.account import Account
from kizuna.models.activity import Activity
from kizuna.models.contact import Contact, ContactRoleLink
from kizuna.models.coverage import DEFAULT_TOUCH_MODEL, CoverageTier, TouchModel
from kizuna.models.custom_field import CustomFieldDefinition
from kizuna.models.enums import (
    ActivityKind,
    ContactRole,
    CustomFieldObject,
    CustomFieldType,
    Phase,
    Tier,
)
from kizuna.models.health import ChurnRisk, ExpansionSignal, HealthScore
from kizuna.models.product import Product
from kizuna.models.segment import AccountTag
from kizuna.models.subscription import Subscription
from kizuna.models.user import Team, User

Column = npt.NDArray[Any]


@dataclass(frozen=True)
class LoadContext:
    """What every provider needs: the rows (accounts, in order) and the day."""

    account_ids: Sequence[str]
    index: dict[str, int]  # str(UUID) and its 32-digit hex → row (see ``raw_id``)
    today: date
    zone: str
    data_dir: Path

    def rows(self, ids: Sequence[uuid.UUID | str]) -> npt.NDArray[np.int64]:
        return np.array([self.index.get(str(i), -1) for i in ids], dtype=np.int64)

    def scatter(self, kind: Kind, ids: Sequence[uuid.UUID | str], values: Sequence[Any]) -> Column:
        """A full column with ``values`` placed at the rows of ``ids`` (others unknown)."""
        column = empty_column(kind, len(self.account_ids))
        rows = self.rows(ids)
        keep = rows >= 0
        if keep.any():
            picked = np.empty(len(values), dtype=object)
            picked[:] = list(values)
            column[rows[keep]] = picked[keep]
        return column


def raw_id(column: Any) -> Any:
    """An id column read as text, without building a ``uuid.UUID`` per row (SQLite gives
    its 32-digit hex, PostgreSQL the hyphenated form): both are keys of
    ``LoadContext.index``. On 10 k accounts' activities and contacts this saves ~0.5 s per
    load."""
    return cast(column, String)


class Provider(Protocol):
    prefix: str

    def specs(self, session: Session) -> list[FactSpec]: ...

    def load(self, session: Session, keys: set[str], ctx: LoadContext) -> dict[str, Column]: ...


def _spec(key: str, kind: Kind, names: tuple[str, str], group: str, **kw: Any) -> FactSpec:
    return FactSpec(key=key, kind=kind, name=names[0], name_en=names[1], group=group, **kw)


_OWNERS = {
    "csm_owner": ("CS担当", "CSM owner"),
    "sales_owner": ("営業担当", "Sales owner"),
    "ae_owner": ("AE担当", "AE owner"),
    "support_owner": ("サポート担当", "Support owner"),
}
_CUSTOM_KINDS = {
    CustomFieldType.INTEGER: Kind.NUMBER,
    CustomFieldType.DECIMAL: Kind.NUMBER,
    CustomFieldType.MONEY: Kind.NUMBER,
    CustomFieldType.DATE: Kind.DATE,
    CustomFieldType.BOOLEAN: Kind.FLAG,
    CustomFieldType.SELECT: Kind.CHOICE,
    CustomFieldType.MULTI_SELECT: Kind.TAGS,
}


class AccountFacts:
    """The account's own fields, its owners (by e-mail) and the CSM's team, custom fields."""

    prefix = "account."

    def specs(self, session: Session) -> list[FactSpec]:
        g = "account"
        out = [
            _spec("account.name", Kind.TEXT, ("顧客名", "Account name"), g),
            _spec("account.industry", Kind.TEXT, ("業種", "Industry"), g),
            _spec("account.region", Kind.TEXT, ("地域", "Region"), g),
            _spec("account.tier", Kind.CHOICE, ("ティア", "Tier"), g, choices=tuple(Tier)),
            _spec("account.phase", Kind.CHOICE, ("フェーズ", "Phase"), g, choices=tuple(Phase)),
            _spec("account.employee_count", Kind.NUMBER, ("従業員数", "Employees"), g),
            _spec("account.currency", Kind.TEXT, ("通貨", "Currency"), g),
            _spec("account.created_on", Kind.DATE, ("登録日", "Created on"), g),
            _spec("account.csm_team", Kind.TEXT, ("CS担当のチーム", "CSM's team"), g),
            _spec(
                "account.touch_model",
                Kind.CHOICE,
                ("タッチモデル", "Touch model"),
                g,
                choices=tuple(TouchModel),
            ),
            _spec("account.tier_pinned", Kind.FLAG, ("ティア固定", "Tier pinned"), g),
        ]
        out += [
            _spec(f"account.{k}", Kind.TEXT, names, g, unit="email") for k, names in _OWNERS.items()
        ]
        for field in _custom_fields(session):
            kind = _CUSTOM_KINDS.get(field.field_type, Kind.TEXT)
            out.append(
                _spec(
                    f"account.custom.{field.key}",
                    kind,
                    (field.label_ja, field.label_en or field.label_ja),
                    "custom",
                    choices=tuple(field.choices) if kind is Kind.CHOICE else (),
                    unit="yen" if field.field_type is CustomFieldType.MONEY else "",
                )
            )
        return out

    def load(self, session: Session, keys: set[str], ctx: LoadContext) -> dict[str, Column]:
        owners = {k: aliased(User) for k in _OWNERS}
        team = aliased(Team)
        stmt = select(
            raw_id(Account.id),
            Account.name,
            Account.industry,
            Account.region,
            Account.tier,
            Account.phase,
            Account.employee_count,
            Account.currency,
            Account.created_at,
            Account.custom_fields,
            team.name,
            *(owners[k].email for k in _OWNERS),
        )
        for k, user in owners.items():
            stmt = stmt.outerjoin(user, getattr(Account, f"{k}_id") == user.id)
        stmt = stmt.outerjoin(team, owners["csm_owner"].team_id == team.id)
        rows = session.execute(stmt).all()
        ids = [r[0] for r in rows]
        zone = ZoneInfo(ctx.zone)
        plain: dict[str, tuple[Kind, list[Any]]] = {
            "account.name": (Kind.TEXT, [r[1] for r in rows]),
            "account.industry": (Kind.TEXT, [r[2] or None for r in rows]),
            "account.region": (Kind.TEXT, [r[3] or None for r in rows]),
            "account.tier": (Kind.CHOICE, [r[4].value if r[4] else None for r in rows]),
            "account.phase": (Kind.CHOICE, [r[5].value if r[5] else None for r in rows]),
            "account.employee_count": (
                Kind.NUMBER,
                [np.nan if r[6] is None else float(r[6]) for r in rows],
            ),
            "account.currency": (Kind.TEXT, [r[7] for r in rows]),
            "account.created_on": (
                Kind.DATE,
                [np.datetime64(r[8].astimezone(zone).date(), "D") for r in rows],
            ),
            "account.csm_team": (Kind.TEXT, [r[10] for r in rows]),
        }
        for n, k in enumerate(_OWNERS):
            plain[f"account.{k}"] = (Kind.TEXT, [r[11 + n] for r in rows])
        out = {k: _typed(ctx, kind, ids, vals) for k, (kind, vals) in plain.items() if k in keys}
        if keys & {"account.touch_model", "account.tier_pinned"}:
            out.update(_coverage_columns(session, keys, ctx))
        kinds = {f"account.custom.{f.key}": f for f in _custom_fields(session)}
        for key in keys:
            field = kinds.get(key)
            if field is not None:
                kind = _CUSTOM_KINDS.get(field.field_type, Kind.TEXT)
                values = [_custom(kind, (r[9] or {}).get(field.key)) for r in rows]
                out[key] = _typed(ctx, kind, ids, values)
        return out


def _coverage_columns(session: Session, keys: set[str], ctx: LoadContext) -> dict[str, Column]:
    """The touch model of each account's tier (coverage model, else seed 000's default)
    and whether its tier is pinned by hand (tier rules leave it alone)."""
    touch = {t.value: m.value for t, m in DEFAULT_TOUCH_MODEL.items()}
    for tier, model in session.execute(select(CoverageTier.tier, CoverageTier.touch_model)):
        touch[tier.value] = model.value
    rows = session.execute(select(raw_id(Account.id), Account.tier, Account.tier_pinned)).all()
    ids = [r[0] for r in rows]
    out: dict[str, Column] = {}
    if "account.touch_model" in keys:
        models = [touch.get(r[1].value) if r[1] else None for r in rows]
        out["account.touch_model"] = ctx.scatter(Kind.CHOICE, ids, models)
    if "account.tier_pinned" in keys:
        pinned = [1.0 if r[2] else 0.0 for r in rows]
        out["account.tier_pinned"] = _typed(ctx, Kind.FLAG, ids, pinned)
    return out


def _custom_fields(session: Session) -> list[CustomFieldDefinition]:
    return list(
        session.scalars(
            select(CustomFieldDefinition)
            .where(
                CustomFieldDefinition.object_type == CustomFieldObject.ACCOUNT,
                CustomFieldDefinition.is_active.is_(True),
            )
            .order_by(CustomFieldDefinition.position, CustomFieldDefinition.key)
        )
    )


def _custom(kind: Kind, raw: Any) -> Any:
    if raw is None or raw == "":
        return (
            np.datetime64("NaT")
            if kind is Kind.DATE
            else (np.nan if kind in (Kind.NUMBER, Kind.FLAG) else None)
        )
    if kind is Kind.NUMBER:
        try:
            return float(raw)
        except (TypeError, ValueError):
            return np.nan
    if kind is Kind.FLAG:
        return 1.0 if raw in (True, "true", "1", 1) else 0.0
    if kind is Kind.DATE:
        try:
            return np.datetime64(date.fromisoformat(str(raw)[:10]), "D")
        except ValueError:
            return np.datetime64("NaT")
    if kind is Kind.TAGS:
        return frozenset(str(x) for x in raw) if isinstance(raw, list) else frozenset()
    return str(raw)


def _typed(ctx: LoadContext, kind: Kind, ids: Sequence[uuid.UUID], values: list[Any]) -> Column:
    column = ctx.scatter(kind, ids, values)
    if kind in (Kind.NUMBER, Kind.FLAG):
        return column.astype(float)
    if kind is Kind.DATE:
        return column.astype("datetime64[D]")
    return column


class TagFacts:
    prefix = "tags"

    def specs(self, session: Session) -> list[FactSpec]:
        return [_spec("tags", Kind.TAGS, ("タグ", "Tags"), "account")]

    def load(self, session: Session, keys: set[str], ctx: LoadContext) -> dict[str, Column]:
        tags: dict[uuid.UUID, set[str]] = defaultdict(set)
        for account_id, tag in session.execute(
            select(raw_id(AccountTag.account_id), AccountTag.tag)
        ):
            tags[account_id].add(tag)
        ids = list(tags)
        return {"tags": ctx.scatter(Kind.TAGS, ids, [frozenset(tags[i]) for i in ids])}


_BANDS = ("green", "yellow", "red", "unknown")


class HealthFacts:
    """Today's stored health score, its band and 7-day change, churn risk, expansion."""

    prefix = "health."

    def specs(self, session: Session) -> list[FactSpec]:
        g = "health"
        return [
            _spec("health.score", Kind.NUMBER, ("ヘルススコア", "Health score"), g),
            _spec("health.band", Kind.CHOICE, ("ヘルス区分", "Health band"), g, choices=_BANDS),
            _spec(
                "health.change_7d", Kind.NUMBER, ("スコア変化 (7日)", "Score change (7 days)"), g
            ),
            _spec(
                "health.churn_risk", Kind.NUMBER, ("解約リスク", "Churn risk"), g, unit="percent"
            ),
            _spec(
                "health.expansion",
                Kind.TAGS,
                ("拡大シグナル", "Expansion signals"),
                g,
                description="seats / option / renewal",
            ),
        ]

    def load(self, session: Session, keys: set[str], ctx: LoadContext) -> dict[str, Column]:
        out: dict[str, Column] = {}
        if keys & {"health.score", "health.band", "health.change_7d"}:
            rows = session.execute(
                select(
                    raw_id(HealthScore.account_id),
                    HealthScore.score,
                    HealthScore.band,
                    HealthScore.change_7d,
                )
            ).all()
            ids = [r[0] for r in rows]
            out["health.score"] = _typed(ctx, Kind.NUMBER, ids, [_num(r[1]) for r in rows])
            out["health.band"] = ctx.scatter(Kind.CHOICE, ids, [r[2] for r in rows])
            out["health.change_7d"] = _typed(ctx, Kind.NUMBER, ids, [_num(r[3]) for r in rows])
        if "health.churn_risk" in keys:
            risks = session.execute(
                select(raw_id(ChurnRisk.account_id), ChurnRisk.probability)
            ).all()
            out["health.churn_risk"] = _typed(
                ctx, Kind.NUMBER, [r[0] for r in risks], [float(r[1]) * 100 for r in risks]
            )
        if "health.expansion" in keys:
            kinds: dict[uuid.UUID, set[str]] = defaultdict(set)
            for account_id, kind in session.execute(
                select(raw_id(ExpansionSignal.account_id), ExpansionSignal.kind)
            ):
                kinds[account_id].add(kind)
            ids = list(kinds)
            out["health.expansion"] = ctx.scatter(
                Kind.TAGS, ids, [frozenset(kinds[i]) for i in ids]
            )
        return out


def _num(value: float | None) -> float:
    return np.nan if value is None else float(value)


_SIGNAL_UNITS = {
    Unit.RATIO: "ratio",
    Unit.PERCENT: "percent",
    Unit.YEN: "yen",
    Unit.DAYS: "days",
    Unit.HOURS: "hours",
}


class SignalFacts:
    """Every health signal (DEAR built-ins, each usage metric × grain) as of today, under
    ``signal.<key>``: the same values the scorecards read (data dated before today)."""

    prefix = "signal."

    def specs(self, session: Session) -> list[FactSpec]:
        out = []
        for s in available_signals(session):
            if s.key.startswith("field:"):
                continue  # account fields are account.* facts (current values)
            kind = Kind.FLAG if s.unit is Unit.FLAG else Kind.NUMBER
            out.append(
                FactSpec(
                    key=f"signal.{s.key}",
                    kind=kind,
                    name=s.name,
                    name_en=s.name_en,
                    group=s.group.value,
                    unit=_SIGNAL_UNITS.get(s.unit, ""),
                    description=s.description,
                    description_en=s.description_en,
                )
            )
        return out

    def load(self, session: Session, keys: set[str], ctx: LoadContext) -> dict[str, Column]:
        signals = sorted(k.removeprefix("signal.") for k in keys)
        history = load_history(
            session,
            data_dir=ctx.data_dir,
            zone=ctx.zone,
            today=ctx.today,
            columns=signals,
            since=ctx.today,
        )
        days = np.full(len(ctx.account_ids), np.datetime64(ctx.today, "D"))
        frame = signal_frame(history, list(ctx.account_ids), days, signals)
        return {f"signal.{k}": frame.values[k] for k in signals}


_TOUCH_NAMES = {
    ActivityKind.MEETING: ("会議", "meetings"),
    ActivityKind.CALL: ("電話", "calls"),
    ActivityKind.EMAIL: ("メール", "emails"),
    ActivityKind.INQUIRY: ("問い合わせ", "inquiries"),
    ActivityKind.NOTE: ("メモ", "notes"),
    ActivityKind.QBR: ("QBR", "QBRs"),
    ActivityKind.TRAINING: ("トレーニング", "trainings"),
    ActivityKind.EVENT: ("イベント", "events"),
    ActivityKind.PROPOSAL: ("提案", "proposals"),
}


class ActivityFacts:
    """Post-sale activities by kind: how many ever, and days since the last one."""

    prefix = "activity."

    def specs(self, session: Session) -> list[FactSpec]:
        out = []
        for kind, (ja, en) in _TOUCH_NAMES.items():
            out.append(
                _spec(
                    f"activity.{kind.value}.count",
                    Kind.NUMBER,
                    (f"{ja}の回数", f"Number of {en}"),
                    "activity",
                )
            )
            out.append(
                _spec(
                    f"activity.{kind.value}.days_since",
                    Kind.NUMBER,
                    (f"最後の{ja}からの日数", f"Days since the last of the {en}"),
                    "activity",
                    unit="days",
                )
            )
        return out

    def load(self, session: Session, keys: set[str], ctx: LoadContext) -> dict[str, Column]:
        # Only the kinds asked for, and the newest date only when a days_since is asked:
        # on 200 k activities that is the difference between ~2 s and ~0.1 s.
        kinds = sorted({ActivityKind(k.split(".")[1]) for k in keys})
        columns: list[Any] = [raw_id(Activity.account_id), Activity.kind, func.count()]
        if any(k.endswith(".days_since") for k in keys):
            columns.append(func.max(Activity.occurred_at))
        rows = session.execute(
            select(*columns)
            .where(Activity.is_pre_sale.is_(False), Activity.kind.in_(kinds))
            .group_by(Activity.account_id, Activity.kind)
        ).all()
        zone = ZoneInfo(ctx.zone)
        out: dict[str, Column] = {}
        for kind in kinds:
            mine = [r for r in rows if r[1] == kind]
            ids = [r[0] for r in mine]
            count_key, since_key = (
                f"activity.{kind.value}.count",
                f"activity.{kind.value}.days_since",
            )
            if count_key in keys:
                counts = _typed(ctx, Kind.NUMBER, ids, [float(r[2]) for r in mine])
                counts[np.isnan(counts)] = 0.0
                out[count_key] = counts
            if since_key in keys:
                days = [float((ctx.today - _local_day(r[3], zone)).days) for r in mine]
                out[since_key] = _typed(ctx, Kind.NUMBER, ids, days)
        return out


def _local_day(value: datetime, zone: ZoneInfo) -> date:
    if value.tzinfo is None:  # SQLite's max() hands back the stored text's naive UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone).date()


class ContactFacts:
    """Active contacts, and how many hold each role."""

    prefix = "contact."

    def specs(self, session: Session) -> list[FactSpec]:
        out = [_spec("contact.count", Kind.NUMBER, ("担当者数", "Contacts"), "contact")]
        names = {
            ContactRole.DECISION_MAKER: ("決裁者", "decision makers"),
            ContactRole.ADMIN: ("管理者", "admins"),
            ContactRole.USER: ("利用者", "users"),
            ContactRole.CHAMPION: ("チャンピオン", "champions"),
            ContactRole.EXECUTIVE_SPONSOR: ("エグゼクティブスポンサー", "executive sponsors"),
        }
        for role, (ja, en) in names.items():
            out.append(
                _spec(
                    f"contact.{role.value}.count",
                    Kind.NUMBER,
                    (f"{ja}の人数", f"Number of {en}"),
                    "contact",
                )
            )
        return out

    def load(self, session: Session, keys: set[str], ctx: LoadContext) -> dict[str, Column]:
        out: dict[str, Column] = {}
        active = Contact.is_active.is_(True)
        if "contact.count" in keys:
            rows = session.execute(
                select(raw_id(Contact.account_id), func.count())
                .where(active)
                .group_by(Contact.account_id)
            ).all()
            out["contact.count"] = _zero_filled(ctx, rows)
        roles = sorted(k for k in keys if k.startswith("contact.") and k != "contact.count")
        if roles:
            # One row per account, a column per role asked for (not a row per account × role).
            wanted = [ContactRole(k.split(".")[1]) for k in roles]
            by_role = session.execute(
                select(
                    raw_id(Contact.account_id),
                    *(func.sum(case((ContactRoleLink.role == r, 1), else_=0)) for r in wanted),
                )
                .join(ContactRoleLink, ContactRoleLink.contact_id == Contact.id)
                .where(active, ContactRoleLink.role.in_(wanted))
                .group_by(Contact.account_id)
            ).all()
            for n, key in enumerate(roles, start=1):
                out[key] = _zero_filled(ctx, [(r[0], r[n]) for r in by_role])
        return out


def _zero_filled(ctx: LoadContext, rows: Sequence[Any]) -> Column:
    column = _typed(ctx, Kind.NUMBER, [r[0] for r in rows], [float(r[1]) for r in rows])
    column[np.isnan(column)] = 0.0
    return column


class ProductFacts:
    """The codes of the products an account has an active line of today."""

    prefix = "products"

    def specs(self, session: Session) -> list[FactSpec]:
        codes = tuple(session.scalars(select(Product.code).order_by(Product.code)))
        return [
            _spec(
                "products", Kind.TAGS, ("契約中の製品", "Products held"), "revenue", choices=codes
            )
        ]

    def load(self, session: Session, keys: set[str], ctx: LoadContext) -> dict[str, Column]:
        held: dict[uuid.UUID, set[str]] = defaultdict(set)
        rows = session.execute(
            select(raw_id(Subscription.account_id), Product.code)
            .join(Product, Product.id == Subscription.product_id)
            .where(
                Subscription.start_on <= ctx.today,
                (Subscription.end_on.is_(None)) | (Subscription.end_on > ctx.today),
            )
        )
        for account_id, code in rows:
            held[account_id].add(code)
        ids = list(held)
        return {"products": ctx.scatter(Kind.TAGS, ids, [frozenset(held[i]) for i in ids])}
