"""Domain errors. They carry a code and parameters, never HTTP status or translated text.

``api/errors.py`` and ``web/errors.py`` map them, each in one table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with one input field (``loc`` is the path, e.g. ``("body", "mrr")``)."""

    loc: tuple[str | int, ...]
    code: str
    message: str


class DomainError(Exception):
    """Base of every expected error raised by services."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.params = params


class NotFound(DomainError):
    """Missing, or not visible to the actor: the two are deliberately indistinguishable."""

    code = "not_found"


class Conflict(DomainError):
    """The change clashes with existing data (duplicate key, stale state)."""

    code = "conflict"


class Forbidden(DomainError):
    """The actor may see the object but may not do this to it."""

    code = "forbidden"


class Unauthenticated(DomainError):
    """No valid credentials were presented."""

    code = "unauthenticated"


class Invalid(DomainError):
    """Input that breaks a business rule; ``problems`` names each field."""

    code = "invalid"

    def __init__(self, problems: list[FieldProblem] | FieldProblem) -> None:
        self.problems = problems if isinstance(problems, list) else [problems]
        summary = "; ".join(f"{'.'.join(map(str, p.loc))}: {p.message}" for p in self.problems)
        super().__init__(summary)

    @classmethod
    def field(cls, name: str, message: str, code: str = "invalid") -> Invalid:
        """Shorthand for one problem with one body field."""
        return cls(FieldProblem(("body", name), code, message))
