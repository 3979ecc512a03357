"""The robust growth trend: Theil's slope over the last eight quarterly revenues, per row.

The estimator is Theil's (1950) "abbreviated" method, the cheap sibling of Theil–Sen: the
24 months become 8 quarterly points, each quarter is paired with the same quarter a year
later, and the trend is the median of those 4 slopes — the typical year-on-year change of a
quarter. Divided by the mean quarterly revenue it is relative per year: "+0.2" reads
"growing by 20% of its usual revenue a year".

Why this and not a ratio of two windows or a least-squares line: one huge order (or a
credit note) in a single month moves one quarter, which enters exactly one of the four
slopes; the median of four is the mean of the middle two, which always lies between the
smallest and largest of the three untouched slopes, so one outlier month can never flip a
declining account into a growing one. A least-squares slope — even on log1p values — is
dragged by it (a 20× month at the end of 24 flips a -25%/year account), and a
12-vs-12-month ratio is decided by it. Quarters rather than months because B2B accounts buy
every few weeks, and monthly zeros would dominate the slopes.

Why not all 28 pairs (full Theil–Sen): its median needs a sorting network of a few hundred
``least`` / ``greatest`` per row — measured at ~6 s per million customers on DuckDB, more
than the whole rest of the feature step — or a per-row list sort, slower still. The median
of four is ``(sum − min − max) / 2``: a handful of vectorised operations, plain SQL on every
engine, computed from the eight quarterly sums of the one grouped pass.
"""

import ibis
import ibis.expr.types as ir

QUARTERS = 8
YEAR = 4  # quarters
PAIRS: tuple[tuple[int, int], ...] = tuple((i, i + YEAR) for i in range(QUARTERS - YEAR))
"""Each quarter of the first year with the same quarter of the second."""


def median_of_four(values: list[ir.FloatingValue]) -> ir.FloatingValue:
    """The median of four values: the mean of the two left when the extremes are dropped."""
    a, b, c, d = values
    return (a + b + c + d - ibis.least(a, b, c, d) - ibis.greatest(a, b, c, d)) / 2


def theil_growth(quarters: list[ir.FloatingValue]) -> ir.FloatingValue:
    """The robust revenue trend of eight non-null quarterly revenues (oldest first), per year.

    Median of the four year-apart slopes, times 4 quarters a year, over the mean quarterly
    revenue; NULL when that mean is not positive.
    """
    if len(quarters) != QUARTERS:
        raise ValueError(f"the trend reads {QUARTERS} quarterly values, not {len(quarters)}")
    slopes = [(quarters[j] - quarters[i]) / YEAR for i, j in PAIRS]
    mean = sum(quarters[1:], quarters[0]) / QUARTERS
    return ibis.ifelse(mean > 0, median_of_four(slopes) * YEAR / mean, ibis.null("float64"))
