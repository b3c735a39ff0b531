"""semroute tests."""
