"""The vectorised core of journey evaluation, on plain arrays (no database).

- :func:`advance` moves accounts through the phases: an account leaves its phase when
  every required step of that phase is complete, possibly through several phases at once.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Mask = npt.NDArray[np.bool_]
NO_PHASE = -1


def advance(
    current: npt.NDArray[np.int64], complete: npt.NDArray[np.bool_], movable: Mask
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """New phase indexes and how many phases each account moved.

    ``current``: phase index per account (``NO_PHASE`` for none); ``complete[a, p]``: every
    required step of phase ``p`` is complete for account ``a``; ``movable``: the accounts
    that may move. The last phase is never left.
    """
    phases = complete.shape[1]
    new = current.copy()
    for p in range(phases - 1):
        leaving = movable & (new == p) & complete[:, p]
        new[leaving] = p + 1
    moved = np.where(current == NO_PHASE, 0, new - current)
    return new, moved
