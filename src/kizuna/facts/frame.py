"""The facts table: one row per account, one numpy column per fact key.

Column types by :class:`Kind`: NUMBER and FLAG are float64 (NaN when unknown; a flag is
0/1), DATE is ``datetime64[D]`` (NaT), TEXT and CHOICE are object arrays of ``str | None``,
TAGS an object array of frozensets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt


class Kind(StrEnum):
    NUMBER = "number"
    TEXT = "text"
    CHOICE = "choice"
    FLAG = "flag"
    DATE = "date"
    TAGS = "tags"


@dataclass(frozen=True)
class FactSpec:
    """One fact. ``unit`` is a display hint (``yen``, ``percent``, ``ratio``, ``days``…);
    ``choices`` the closed vocabulary of a CHOICE fact (shown through ``label``)."""

    key: str
    kind: Kind
    name: str  # Japanese
    name_en: str
    group: str
    unit: str = ""
    choices: tuple[str, ...] = ()
    description: str = ""
    description_en: str = ""

    def title(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") and self.name_en else self.name


def empty_column(kind: Kind, n: int) -> npt.NDArray[Any]:
    if kind in (Kind.NUMBER, Kind.FLAG):
        return np.full(n, np.nan)
    if kind is Kind.DATE:
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    if kind is Kind.TAGS:
        column = np.empty(n, dtype=object)
        column[:] = [frozenset()] * n
        return column
    return np.full(n, None, dtype=object)


@dataclass
class Facts:
    """Facts about ``account_ids`` (hyphenated UUID text) as of ``today``."""

    account_ids: npt.NDArray[np.object_]
    today: date
    specs: dict[str, FactSpec]
    columns: dict[str, npt.NDArray[Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.account_ids)

    def column(self, key: str) -> npt.NDArray[Any]:
        """The column of ``key`` (all unknown when it was not loaded)."""
        if key not in self.columns:
            self.columns[key] = empty_column(self.specs[key].kind, len(self))
        return self.columns[key]

    def value(self, key: str, row: int) -> Any:
        """A plain Python value of one cell (None when unknown)."""
        raw = self.column(key)[row]
        kind = self.specs[key].kind
        if kind in (Kind.NUMBER, Kind.FLAG):
            return None if np.isnan(raw) else float(raw)
        if kind is Kind.DATE:
            return None if np.isnat(raw) else date.fromisoformat(str(raw))
        if kind is Kind.TAGS:
            return sorted(raw)
        return raw

    def take(self, rows: Sequence[int] | npt.NDArray[np.int64]) -> Facts:
        """The facts of some rows only."""
        index = np.asarray(rows, dtype=np.int64)
        return Facts(
            account_ids=self.account_ids[index],
            today=self.today,
            specs=self.specs,
            columns={k: v[index] for k, v in self.columns.items()},
        )

    def row_of(self, account_id: str) -> int | None:
        hits = np.flatnonzero(self.account_ids == account_id)
        return int(hits[0]) if len(hits) else None
