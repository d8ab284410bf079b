"""newswire: real-time event streaming for live news."""

__version__ = "0.1.0"
