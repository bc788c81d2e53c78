"""The clean stage: raw operator files in, tidy tables, quarantine and manifest out."""
