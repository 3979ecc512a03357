"""Which customers the population fits see when a store has more than enough of them.

The purchase and spend models have three or four population parameters. Their standard
errors shrink like 1/sqrt(customers): at 200,000 customers they are sqrt(5) = 2.2 times
those of a 1,000,000-customer fit, still a small fraction of the parameters (about 0.5% of
r for the BG/NBD with CDNOW's parameters, see bench/clv.py) and far below the spread of any
one customer's prediction. Fitting on a fixed-size sample keeps the fit's cost flat as the
customer base grows, while every customer still gets predictions.

The sample is a *bottom-k* sample on a hash of the customer id: the same customers are
drawn whatever order the engine returns the rows in (so a rerun on the same store gives
the same parameters), and a customer stays in the sample as the base grows unless
newcomers with smaller hashes push them out. The hash is tabulation hashing (a fixed
random table per byte position, XOR-ed), which treats every customer alike.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

_POSITIONS = 64
_TABLE = np.random.default_rng(20050401).integers(
    0, np.iinfo(np.int64).max, size=(_POSITIONS, 256), dtype=np.int64
)
_FLAT = _TABLE.reshape(-1)


def customer_hash(customer_ids: pa.Array | pa.ChunkedArray) -> npt.NDArray[np.int64]:
    """A 63-bit hash of every customer id, independent of row order and of the process."""
    ids = pc.cast(customer_ids, pa.large_string())
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    n = len(ids)
    offsets = np.frombuffer(ids.buffers()[1], dtype=np.int64)[ids.offset : ids.offset + n + 1]
    lengths = np.diff(offsets)
    if ids.null_count or (n and lengths.min() == 0):
        raise ValueError("customer ids cannot be missing or empty")
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    data = np.frombuffer(ids.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    starts = offsets[:-1] - offsets[0]
    # Each byte's position within its id: a running count that restarts at every id.
    step = np.ones(len(data), dtype=np.int32)
    step[0] = 0
    step[starts[1:]] = 1 - lengths[:-1]
    position = np.cumsum(step, dtype=np.int32)
    values = _FLAT[((position % _POSITIONS) << 8) | data]
    # The length goes in too, so ids that differ only by trailing bytes past 64 differ.
    return np.bitwise_xor.reduceat(values, starts) ^ _TABLE[0, lengths % 256]


def fit_rows(customer_ids: pa.Array | pa.ChunkedArray, size: int) -> npt.NDArray[np.int64] | None:
    """Row numbers of the ``size`` customers the fits use, in row order; None for all."""
    if size <= 0 or len(customer_ids) <= size:
        return None
    hashed = customer_hash(customer_ids)
    chosen = np.argpartition(hashed, size - 1)[:size]
    return np.sort(chosen).astype(np.int64)
