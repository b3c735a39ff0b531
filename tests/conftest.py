"""Suite-wide test settings."""

from hypothesis import HealthCheck, settings

# Speed is measured in benchmarks, never asserted in tests: on a shared CI machine one slow
# example would otherwise fail a property test on hypothesis's 200 ms deadline.
settings.register_profile("semroute", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("semroute")
