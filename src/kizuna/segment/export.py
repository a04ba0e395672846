"""Members as CSV (the members page's download and ``kizuna segments members --csv``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from kizuna.kit.csv_cells import safe_cell
from kizuna.segment.schemas import MemberOut

HEADER = (
    "account_id",
    "name",
    "tier",
    "phase",
    "csm_owner",
    "mrr_amount",
    "currency",
    "health_score",
    "health_band",
)


def members_csv(rows: Sequence[MemberOut]) -> str:
    """UTF-8 text with a BOM-less header row; amounts in minor units, cells guarded
    against formula injection."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for m in rows:
        writer.writerow(
            [
                safe_cell(v)
                for v in (
                    str(m.account_id),
                    m.name,
                    m.tier.value if m.tier else None,
                    m.phase.value if m.phase else None,
                    m.csm_owner_name,
                    m.mrr_amount,
                    m.currency,
                    None if m.health_score is None else round(m.health_score, 1),
                    m.health_band,
                )
            ]
        )
    return buffer.getvalue()
