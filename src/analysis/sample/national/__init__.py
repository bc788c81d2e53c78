"""The national benchmark set: every pre-2025 province, built and written a column at a time (issue 8)."""
