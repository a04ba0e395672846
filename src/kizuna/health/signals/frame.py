"""The signal frame: one row per (account, as-of date), one column per signal."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class SignalFrame:
    """Signal values for rows of (account, as-of date).

    Every value is computed only from data dated strictly before its row's ``as_of`` day
    (a score "on" day D is what was knowable at the start of D). ``values`` are float64
    with NaN for missing; flags are 0.0/1.0. ``observed_on`` is the day of the newest data
    point behind each value (NaT when there is none): how fresh it is.
    """

    account_ids: npt.NDArray[np.object_]  # str(UUID) per row
    as_of: npt.NDArray[np.datetime64]  # datetime64[D] per row
    values: dict[str, npt.NDArray[np.float64]]
    observed_on: dict[str, npt.NDArray[np.datetime64]]

    def __len__(self) -> int:
        return len(self.account_ids)
