"""Key-account selection, computed in the analytical engine: features, scoring, snapshots.

``policy`` (the scoring matrix and its TOML form), ``features`` (per-account figures from
``customer_month``), ``scoring`` (points, dimension scores, tiers, quadrants, key accounts,
explanations) and ``snapshot`` (immutable score snapshots swapped in atomically). Everything
is an Ibis expression, so the same code runs on DuckDB and on Spark (docs/scale.md).
"""
