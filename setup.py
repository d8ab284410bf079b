"""Only the optional C part of the build; everything else is in pyproject.toml.

``NEWSWIRE_BUILD_EXTENSION`` decides, as websockets' ``BUILD_EXTENSION`` does: ``yes`` requires the
C write loop (the build fails without a compiler), ``no`` leaves it out, unset builds it when it can.
"""

import os

from setuptools import Extension, setup

choice = os.environ.get("NEWSWIRE_BUILD_EXTENSION", "").strip().lower()
if choice not in ("", "yes", "no"):
    raise SystemExit(f"NEWSWIRE_BUILD_EXTENSION={choice!r}: use yes, no, or leave it unset")

setup(
    ext_modules=[] if choice == "no" else [
        # A plain C library loaded with ctypes (no Python API); without it the gateway writes from Python
        # (gateway/fanout.py) and says so at start and in newswire_gateway_native_fanout.
        Extension("newswire.gateway._fanout", sources=["gateway/_fanout.c"], optional=choice != "yes"),
    ],
)
