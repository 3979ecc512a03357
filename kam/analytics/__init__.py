"""kam's analytics layer: the analytical store, imports into it, and the computations over it.

Pure Python: nothing here imports Django or a kam app (an import-linter contract in the
test suite enforces it). Apps call in and get back Arrow tables or frozen dataclasses.
"""
