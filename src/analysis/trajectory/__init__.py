"""Trend models, back-testing, projections and the judgement of each target."""
