from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from mlci.drift import Profile, profile_table


def table(**columns: Any) -> pa.Table:
    return pa.table({k: v if isinstance(v, pa.Array) else pa.array(v) for k, v in columns.items()})


def prof(exact_limit: int | None = None, points: int = 4096, **columns: Any) -> Profile:
    kwargs = {"points": points} | ({"exact_limit": exact_limit} if exact_limit else {})
    return profile_table(table(**columns), **kwargs)


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)
