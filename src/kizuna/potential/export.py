"""The white-space matrix as CSV (one row per account, one column per product)."""

from __future__ import annotations

import csv
import io

from kizuna.kit.money import to_major
from kizuna.potential.rules import CellState, percent
from kizuna.potential.schemas import Matrix, MatrixCell


def _cell(cell: MatrixCell) -> str:
    parts = []
    if cell.state is CellState.OWNED:
        parts.append("owned")
    if cell.mrr_amount is not None and cell.currency and cell.confidence is not None:
        amount = to_major(cell.mrr_amount, cell.currency)
        parts.append(f"potential {amount} {cell.currency} ({percent(cell.confidence)}%)")
    return "; ".join(parts)


def to_csv(matrix: Matrix) -> str:
    """Account, tier, CSM, then per product: ``owned``, ``potential <amount> <currency>
    (<confidence %>)``, both, or empty (white space)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["account_id", "account", "tier", "csm", *[p.code for p in matrix.products]])
    for row in matrix.rows:
        writer.writerow(
            [
                str(row.account_id),
                row.account_name,
                row.tier.value if row.tier else "",
                row.csm_name or "",
                *[_cell(c) for c in row.cells],
            ]
        )
    return out.getvalue()
