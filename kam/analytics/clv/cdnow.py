"""Readers for the CDNOW purchase histories (Fader, Hardie & Lee 2005).

The CDNOW data are the purchases of the 23,570 customers who first bought at the online
music retailer CDNOW in the first quarter of 1997, followed to the end of June 1998; the
BG/NBD, Pareto/NBD and Gamma-Gamma results kam is checked against were published on the
1/10 sample of 2,357 customers. Both files are whitespace-separated text:

* ``CDNOW_master.txt``: a header line, then customer id, date (YYYYMMDD), number of CDs,
  dollar value;
* ``CDNOW_sample.txt``: no header; customer id, customer index within the sample, date,
  number of CDs, dollar value.

The readers return the transaction table the CLV summaries take: ``customer_id``
(string), ``date`` (date32), ``revenue`` (float64), plus ``quantity`` (int64).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

#: The calibration and holdout ends of the published CDNOW analyses (39 + 39 weeks).
CALIBRATION_END = "1997-09-30"
HOLDOUT_END = "1998-06-30"


def _read(path: Path, *, header: bool, date_column: int) -> pa.Table:
    lines = Path(path).read_text().split("\n")
    if header:
        lines = lines[1:]
    rows = [line.split() for line in lines if line.strip()]
    if not rows:
        raise ValueError(f"{path} holds no transactions")
    ids = [row[0] for row in rows]
    dates = np.array(
        [f"{d[:4]}-{d[4:6]}-{d[6:8]}" for d in (row[date_column] for row in rows)],
        dtype="datetime64[D]",
    )
    quantity = np.array([int(row[date_column + 1]) for row in rows], dtype=np.int64)
    revenue = np.array([float(row[date_column + 2]) for row in rows], dtype=np.float64)
    return pa.table(
        {
            "customer_id": pa.array(ids, type=pa.string()),
            "date": pa.array(dates, type=pa.date32()),
            "quantity": pa.array(quantity),
            "revenue": pa.array(revenue),
        }
    )


def read_cdnow_sample(path: str | Path) -> pa.Table:
    """Transactions of the 2,357-customer CDNOW sample (no header, five columns)."""
    return _read(Path(path), header=False, date_column=2)


def read_cdnow_master(path: str | Path) -> pa.Table:
    """Transactions of the full 23,570-customer CDNOW cohort (header line, four columns)."""
    return _read(Path(path), header=True, date_column=1)
