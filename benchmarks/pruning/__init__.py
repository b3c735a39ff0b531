"""Benchmarks of ``semroute.pruning``: pytest-benchmark files (``bench_*.py``) and scripts
(``python -m benchmarks.pruning.<name>``)."""
