"""The formulas an indicator's file names (`formula:` in config/indicators/<id>.yml), each a function of the
cleaned tables, the indicator's facts and the run's settings, returning numerator and denominator (or value) rows
at every level; the engine adds the value, unit and frequency from the same file.

A new indicator computed like an existing one needs no code: a new file naming the formula and its `params`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import polars as pl

from analysis.indicators import networks, registers, speeds, subscriptions
from analysis.metadata import Indicator

Tables = dict[str, pl.DataFrame]


@dataclass(frozen=True)
class Settings:
    min_tests: int = speeds.MIN_TESTS  # speed measurements an area needs in a month
    province: str | None = None        # the department's province: its own registers are by province


Formula = Callable[[Tables, Indicator, Settings], pl.DataFrame]


def per_100_people(t: Tables, ind: Indicator, s: Settings) -> pl.DataFrame:
    return subscriptions.per_100_people(t["subscribers"], t["population"], tuple(ind.params["services"]))


def smartphone_share(t: Tables, ind: Indicator, s: Settings) -> pl.DataFrame:
    return subscriptions.smartphone_share(t["subscribers"])


def households_fiber(t: Tables, ind: Indicator, s: Settings) -> pl.DataFrame:
    return subscriptions.households_fiber(t["subscribers"], t["population"])


def adults_with_smartphone(t: Tables, ind: Indicator, s: Settings) -> pl.DataFrame:
    return registers.adults_with_smartphone(t["smartphone_survey"])


def download_speed(t: Tables, ind: Indicator, s: Settings) -> pl.DataFrame:
    return speeds.download(t["speed_tests"], ind.params["network"], s.min_tests)


def hamlets_covered(t: Tables, ind: Indicator, s: Settings) -> pl.DataFrame:
    return networks.hamlets_covered(t["hamlet_coverage"], t["hamlet_registry"], ind.params["flag"])


def bts_site_sharing(t: Tables, ind: Indicator, s: Settings) -> pl.DataFrame:
    return networks.bts_site_sharing(t["bts_sites"])


def state_apps_on_cloud(t: Tables, ind: Indicator, s: Settings) -> pl.DataFrame:
    return registers.state_apps_on_cloud(t["state_apps"], s.province)


FORMULAS: dict[str, Formula] = {f.__name__: f for f in (
    per_100_people, smartphone_share, households_fiber, adults_with_smartphone, download_speed, hamlets_covered,
    bts_site_sharing, state_apps_on_cloud)}
