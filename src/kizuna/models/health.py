"""Health (ヘルススコア, C4): scorecards and their versions, daily scores with their
explanation, the churn-risk model and its scores, expansion signals.

A scorecard's definition (groups, measures, scoring, weights, bands, missing-data rule) is a
JSON document validated by ``health.definition``; editing a published scorecard creates a
new version, and every score row keeps the version that produced it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, IdMixin, PortableJSON, TimestampMixin
from kizuna.kit.clock import utc_now


class HealthScorecard(IdMixin, TimestampMixin, Base):
    """A named scorecard; which accounts it scores is decided by ``applies_to`` (tiers,
    phases) and ``priority`` (the most specific match wins; the default catches the rest)."""

    __tablename__ = "health_scorecard"

    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # {"tiers": ["tier1"], "phases": ["onboarding"]}: empty lists match every account.
    applies_to: Mapped[dict[str, Any]] = mapped_column(default=dict)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    is_default: Mapped[bool] = mapped_column(default=False)
    archived: Mapped[bool] = mapped_column(default=False)


class HealthScorecardVersion(IdMixin, Base):
    """One version of a scorecard's definition: draft → published → retired."""

    __tablename__ = "health_scorecard_version"
    __table_args__ = (UniqueConstraint("scorecard_id", "number"),)

    scorecard_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("health_scorecard.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft|published|retired
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    # The calibration lab's last back-test of this version (AUC, lift, churn per band).
    backtest: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    published_at: Mapped[datetime | None]


class HealthScore(Base):
    """The current score of each account, with its full explanation."""

    __tablename__ = "health_score"
    __table_args__ = (Index("ix_health_score_band_score", "band", "score"),)

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("health_scorecard_version.id", ondelete="CASCADE"), index=True
    )
    scored_on: Mapped[date]
    score: Mapped[float | None] = mapped_column(Float)  # None: too little data to score
    band: Mapped[str] = mapped_column(String(16))  # green|yellow|red|unknown
    score_7d_ago: Mapped[float | None] = mapped_column(Float)
    change_7d: Mapped[float | None] = mapped_column(Float, index=True)
    # {"groups": [...], "measures": [{key, value, points, weight, contribution,
    #   observed_on, previous_value, previous_points}, ...]}
    explanation: Mapped[dict[str, Any]] = mapped_column(default=dict)
    computed_at: Mapped[datetime] = mapped_column(default=utc_now)


class HealthScoreHistory(Base):
    """One row per account and day: the score, its version and each measure's points."""

    __tablename__ = "health_score_history"
    __table_args__ = (Index("ix_health_score_history_day", "scored_on"),)

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    scored_on: Mapped[date] = mapped_column(primary_key=True)
    version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("health_scorecard_version.id", ondelete="CASCADE"), index=True
    )
    score: Mapped[float | None] = mapped_column(Float)
    band: Mapped[str] = mapped_column(String(16))
    # {measure_key: [value, points]} — compact, enough to say what changed since a day.
    measures: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ChurnModel(IdMixin, Base):
    """A trained churn-risk model: its validation, its parameters as text (no pickles)."""

    __tablename__ = "churn_model"

    number: Mapped[int] = mapped_column(Integer, unique=True)
    status: Mapped[str] = mapped_column(String(16))  # published|refused|retired
    message: Mapped[str] = mapped_column(Text, default="")  # why it was refused
    horizon_days: Mapped[int] = mapped_column(Integer)
    train_until: Mapped[date]
    trained_at: Mapped[datetime] = mapped_column(default=utc_now)
    observations: Mapped[int] = mapped_column(Integer, default=0)
    positives: Mapped[int] = mapped_column(Integer, default=0)
    # AUC, lift of the top decile, Brier score, calibration table, held-out period…
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    features: Mapped[list[str]] = mapped_column(PortableJSON, default=list)
    model_text: Mapped[str] = mapped_column(Text, default="")  # LightGBM model_to_string
    calibration: Mapped[dict[str, Any]] = mapped_column(default=dict)
    trained_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    seconds: Mapped[float] = mapped_column(Float, default=0.0)


class ChurnRisk(Base):
    """Each account's latest churn-risk probability and its top reasons."""

    __tablename__ = "churn_risk"
    __table_args__ = (Index("ix_churn_risk_probability", "probability"),)

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    model_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("churn_model.id", ondelete="CASCADE"), index=True
    )
    scored_on: Mapped[date]
    probability: Mapped[float] = mapped_column(Float)
    # [{"feature", "value", "contribution"}, ...] largest first
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(PortableJSON, default=list)
    computed_at: Mapped[datetime] = mapped_column(default=utc_now)


class ExpansionSignal(Base):
    """An expansion opportunity found on an account, with the evidence behind it."""

    __tablename__ = "expansion_signal"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)  # seats|option|renewal
    # Which option (product code) a capability signal points at; "" otherwise.
    subject: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    detected_on: Mapped[date]
    strength: Mapped[float] = mapped_column(Float, default=0.0)  # 0–1, for ordering
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    computed_at: Mapped[datetime] = mapped_column(default=utc_now)
