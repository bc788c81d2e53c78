"""Plan 171 digital-infrastructure analytics."""
