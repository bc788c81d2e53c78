"""Plan 171 digital-infrastructure analytics."""

__version__ = "0.1.0"
