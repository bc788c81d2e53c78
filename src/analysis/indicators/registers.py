"""Indicators from yearly or dated registers: the smartphone survey and the shared state applications."""
from __future__ import annotations

import polars as pl




def adults_with_smartphone(survey: pl.DataFrame) -> pl.DataFrame:
    """Weighted adults with a smartphone / weighted adults surveyed, in %; yearly, stated at December of the
    survey year (the month a year's figure is compared with a year-end target)."""
    out = survey.select(area_code="area_code", area_level="area_level",
                        period=pl.date(pl.col("year"), 12, 1), numerator="adults_with_smartphone",
                        denominator="adults_surveyed")
    return out


def state_apps_on_cloud(apps: pl.DataFrame, province: str | None) -> pl.DataFrame:
    """Shared applications on state, provincial or domestic providers' cloud / all in the register, in %, at each
    register date (the department's province only: the register is its own)."""
    out = apps.group_by("as_of").agg(numerator=pl.col("on_cloud").sum(), denominator=pl.len()).select(
        area_code=pl.lit(province, pl.String), area_level=pl.lit("province"), period=pl.col("as_of").dt.truncate("1mo"),
        numerator="numerator", denominator="denominator")
    return out
