"""Shared by the tests: the one scaled time unit (``NEWSWIRE_TEST_TIMEOUT`` seconds, default 15)."""

import os

TIMEOUT = float(os.environ.get("NEWSWIRE_TEST_TIMEOUT", "15"))
