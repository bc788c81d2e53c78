"""Indicators from yearly or dated registers: the smartphone survey and the shared state applications."""
from __future__ import annotations

import polars as pl

from analysis.indicators.base import PROVINCE, finish


def adults_with_smartphone(survey: pl.DataFrame) -> pl.DataFrame:
    """Weighted adults with a smartphone / weighted adults surveyed, in %; yearly, stated at December of the
    survey year (the month a year's figure is compared with a year-end target)."""
    out = survey.select(area_code="area_code", area_level="area_level",
                        period=pl.date(pl.col("year"), 12, 1), numerator="adults_with_smartphone",
                        denominator="adults_surveyed")
    return finish(out, "adults_with_smartphone", "%", 100, frequency="yearly")


def state_apps_on_cloud(apps: pl.DataFrame) -> pl.DataFrame:
    """Shared applications on state, provincial or domestic providers' cloud / all in the register, in %, at each
    register date (province only: the register is the province's)."""
    out = apps.group_by("as_of").agg(numerator=pl.col("on_cloud").sum(), denominator=pl.len()).select(
        area_code=pl.lit(PROVINCE), area_level=pl.lit("province"), period=pl.col("as_of").dt.truncate("1mo"),
        numerator="numerator", denominator="denominator")
    return finish(out, "state_apps_on_cloud", "%", 100, frequency="dated")
