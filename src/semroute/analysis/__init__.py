"""semroute analyze: replay a log through cache, router and pruner; report savings."""
