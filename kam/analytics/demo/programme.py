"""The demo's key account programme working: once its first selection is published, the
key accounts buy more than they would have.

The demo company's invoice lines are drawn before anyone is selected, so nothing in them
favours key accounts. ``programme_uplift`` adds, after the selection date, repeat orders
of the key accounts alone: each of their invoices after the cut brings a second order of
the same lines on the same day with probability ``effect`` (0.5: about half as much again).
Nothing else changes, so the measured return (docs/program.md) has a known effect to find;
an ``effect`` of 0 adds nothing, the history with no effect. Deterministic for a seed.
"""

from collections.abc import Iterable
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kam.analytics.schema import DocumentType

PROGRAMME_EFFECT = 0.5
"""The demo's planted effect: the chance that a key account's invoice after the selection
brings a repeat order (so its revenue grows by about this share)."""

REPEAT_SUFFIX = "-R"
"""A repeat order's invoice number is the original's with this suffix."""


def programme_uplift(
    transactions: pa.Table, key_ids: Iterable[str], cut: date, effect: float, seed: int
) -> pa.Table:
    """The repeat orders of the key accounts ``key_ids`` after ``cut``: the lines of each of
    their invoices dated after ``cut`` with probability ``effect``, as invoices of their own
    (same day, same lines, the number suffixed ``-R``). Empty when ``effect`` is 0."""
    if not 0 <= effect <= 1:
        raise ValueError("the programme's effect is a probability between 0 and 1")
    keys = pa.array(sorted(set(key_ids)), pa.string())
    theirs = transactions.filter(
        pc.and_(
            pc.and_(
                pc.is_in(transactions["customer_id"], value_set=keys),
                pc.greater(transactions["date"], pa.scalar(cut, pa.date32())),
            ),
            pc.equal(transactions["document_type"], DocumentType.INVOICE.value),
        )
    )
    if effect == 0 or theirs.num_rows == 0:
        return theirs.slice(0, 0)
    invoices = pc.unique(theirs["invoice_id"]).sort()
    rng = np.random.default_rng([seed, 14])
    repeated = invoices.filter(pa.array(rng.random(len(invoices)) < effect))
    lines = theirs.filter(pc.is_in(theirs["invoice_id"], value_set=repeated))
    renamed = pc.binary_join_element_wise(lines["invoice_id"], REPEAT_SUFFIX, "")
    return lines.set_column(0, "invoice_id", renamed)
