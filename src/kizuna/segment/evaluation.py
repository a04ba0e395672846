"""Facts loaded once per request (or job) and shared by every condition evaluated in it.

A page listing ten segments loads the union of their facts once; a builder preview loads
only what its condition reads. Rows are every account ordered by id (``facts.catalogue``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy.typing as npt
from sqlalchemy.orm import Session

from kizuna.facts import conditions
from kizuna.facts.catalogue import fact_specs, load_facts
from kizuna.facts.frame import Facts, FactSpec


@dataclass
class FactSource:
    session: Session
    today: date
    zone: str
    data_dir: Path
    _specs: dict[str, FactSpec] | None = None
    _facts: Facts | None = None
    _loaded: set[str] = field(default_factory=set)

    def specs(self) -> dict[str, FactSpec]:
        if self._specs is None:
            self._specs = fact_specs(self.session)
        return self._specs

    def facts(self, keys: Iterable[str] = ()) -> Facts:
        """Facts holding at least ``keys`` (loading only those not loaded yet)."""
        wanted = set(keys)
        missing = wanted - self._loaded
        if self._facts is None or missing:
            fresh = load_facts(
                self.session,
                missing if self._facts is not None else wanted,
                today=self.today,
                zone=self.zone,
                data_dir=self.data_dir,
                specs=self.specs(),
            )
            if self._facts is None or len(fresh) != len(self._facts):
                if self._facts is not None:  # accounts changed meanwhile: start over
                    fresh = load_facts(
                        self.session,
                        wanted | self._loaded,
                        today=self.today,
                        zone=self.zone,
                        data_dir=self.data_dir,
                        specs=self.specs(),
                    )
                    self._loaded = set()
                self._facts = fresh
            else:
                self._facts.columns.update({k: fresh.columns[k] for k in missing})
            self._loaded |= wanted
        return self._facts

    def parse(self, definition: object, *, where: str = "definition") -> conditions.Condition:
        return conditions.parse(definition, self.specs(), field=where)

    def matching(self, condition: conditions.Condition, *, extra: Iterable[str] = ()) -> Facts:
        """Facts for evaluating ``condition`` (plus ``extra`` keys)."""
        return self.facts(conditions.facts_used(condition) | set(extra))

    def patch(self, key: str, column: npt.NDArray[Any]) -> None:
        """Replace a loaded column (a run that changed tiers evaluates the next rules on
        the new values, also in a dry run that wrote nothing)."""
        if self._facts is not None and key in self._loaded:
            self._facts.columns[key] = column
