"""Only the optional C part of the build; everything else is in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        # A plain C library loaded with ctypes (no Python API); optional: without a compiler the
        # gateway writes from Python instead (gateway/fanout.py).
        Extension("newswire.gateway._fanout", sources=["gateway/_fanout.c"], optional=True),
    ],
)
