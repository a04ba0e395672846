"""``kizuna metrics …``: the shared command group for figures computed from the data.

Revenue and retention commands come from ``cli/revenue.py``; usage metrics add theirs.
"""

from __future__ import annotations

import typer

metrics_app = typer.Typer(
    help="Compute and show metrics: revenue and retention (MRR, churn, NRR/GRR, cohorts) "
    "and product usage.",
    no_args_is_help=True,
)
