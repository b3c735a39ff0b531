"""semroute's benchmark suite, one folder per capability (as src/semroute/ and tests/):
pytest-benchmark speed files (``bench_*.py``), scripts, quality reports; ``quality/`` runs
every quality report at once."""
