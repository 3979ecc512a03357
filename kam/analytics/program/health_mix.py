"""How healthy the key accounts are, as a distribution: how many score in each band of the
health score (0–100), and how many have no score. A missing score is missing: counted
apart, never as 0 (seed 004's balanced portfolio asks how many accounts are at risk, not
an average that hides them)."""

import math
from collections.abc import Sequence
from dataclasses import dataclass

BANDS: tuple[tuple[float, float, str], ...] = (
    (0, 20, "0–19"),
    (20, 40, "20–39"),
    (40, 60, "40–59"),
    (60, 80, "60–79"),
    (80, 100.000001, "80–100"),
)
"""The bands of the score: [low, high) and how each reads."""


@dataclass(frozen=True)
class HealthMix:
    """The accounts per band (in ``BANDS`` order), those without a score, and the median of
    those with one (None when none has)."""

    counts: tuple[int, ...]
    missing: int
    median: float | None

    @property
    def scored(self) -> int:
        """How many accounts have a score."""
        return sum(self.counts)

    @property
    def labelled(self) -> tuple[tuple[str, int], ...]:
        """(band, accounts) in band order."""
        return tuple((band[2], count) for band, count in zip(BANDS, self.counts, strict=True))


def health_mix(scores: Sequence[float | None]) -> HealthMix:
    """Count ``scores`` (one per account; None or not finite: no score) into ``BANDS``."""
    known = sorted(float(s) for s in scores if s is not None and math.isfinite(s))
    counts = [0] * len(BANDS)
    for score in (min(max(s, 0.0), 100.0) for s in known):
        for index, (low, high, _) in enumerate(BANDS):
            if low <= score < high:
                counts[index] += 1
                break
    middle = len(known) // 2
    median = None
    if known:
        median = known[middle] if len(known) % 2 else (known[middle - 1] + known[middle]) / 2
    return HealthMix(tuple(counts), len(scores) - len(known), median)
