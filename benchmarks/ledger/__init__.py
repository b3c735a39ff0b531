"""Benchmarks of ``semroute.ledger``: pytest-benchmark files (``bench_*.py``) and scripts
(``python -m benchmarks.ledger.<name>``)."""
