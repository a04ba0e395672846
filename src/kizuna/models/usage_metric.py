"""Usage metrics (活用度): the catalogue of definitions, the latest value of each per
account, and the state of the incremental computation.

The full series (every account × period) live in Parquet under ``data_dir/usage/`` (see
``usage/values.py``); only the latest value per account, metric and grain is kept here so
that pages and health scores can join it with accounts cheaply.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, IdMixin, PortableJSON, TimestampMixin


class UsageMetric(IdMixin, TimestampMixin, Base):
    """One metric of the catalogue: a kind (``analytics.metrics.KINDS``) with parameters."""

    __tablename__ = "usage_metric"

    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    grains: Mapped[list[str]] = mapped_column(PortableJSON, default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(default=True)
    builtin: Mapped[bool] = mapped_column(default=False)
    featured: Mapped[bool] = mapped_column(default=False)  # shown on the usage overview
    position: Mapped[int] = mapped_column(Integer, default=0)


class UsageMetricLatest(Base):
    """The value of the current (latest) period, and of the one before, per account."""

    __tablename__ = "usage_metric_latest"

    metric_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("usage_metric.id", ondelete="CASCADE"), primary_key=True
    )
    grain: Mapped[str] = mapped_column(String(8), primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    period_start: Mapped[date]
    value: Mapped[float | None] = mapped_column(Float)
    previous_value: Mapped[float | None] = mapped_column(Float)


class UsageComputeState(Base):
    """One row (id 1): what the next incremental computation must redo."""

    __tablename__ = "usage_compute_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Earliest local day whose events were stored since the last computation (None: none).
    dirty_since: Mapped[date | None]
    # The "today" of the last computation: its current periods were partial.
    computed_today: Mapped[date | None]
    catalogue_hash: Mapped[str] = mapped_column(String(64), default="")
    last_run_at: Mapped[datetime | None]
    last_run_ms: Mapped[int | None] = mapped_column(Integer)
    events_stored: Mapped[int] = mapped_column(BigInteger, default=0)
