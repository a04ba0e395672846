"""Every module that registers job handlers; importing one registers its ``@handler``\\ s.

Adding a feature's jobs is one line here (the worker loads this list at start).
"""

from __future__ import annotations

import importlib

HANDLER_MODULES: tuple[str, ...] = (
    "kizuna.jobs.queue",
    "kizuna.jobs.importing",
    "kizuna.jobs.usage",
    "kizuna.jobs.health",
    "kizuna.jobs.health_model",
    "kizuna.jobs.coverage",
    "kizuna.jobs.journey",
    "kizuna.jobs.playbooks",
    "kizuna.jobs.notify",
    "kizuna.jobs.renewals",
)


def load_all() -> None:
    """Import every handler module (idempotent: Python imports each module once)."""
    for module in HANDLER_MODULES:
        importlib.import_module(module)
