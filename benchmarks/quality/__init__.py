"""Quality benchmarks: cache hit curves, guards, routing and pruning survival (``python -m benchmarks.quality``)."""
