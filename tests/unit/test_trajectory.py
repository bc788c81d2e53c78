"""Formulas on cases worked by hand, models on synthetic series with known parameters, and the judgement's edges."""
from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from analysis.periods import month_index
from analysis.targets import Target
from analysis.trajectory import formulas
from analysis.trajectory.backtest import backtest, choose
from analysis.trajectory.models import fit
from analysis.trajectory.series import judge


# -- the published formulas, by hand ---------------------------------------------------------------------------

def test_cagr_by_hand():
    assert formulas.cagr(100, 121, 2) == pytest.approx(0.10)  # 100 · 1.1² = 121
    assert formulas.cagr(0, 50, 2) is None and formulas.cagr(100, 121, 0) is None


def test_open_sdg_ratio_by_hand():
    # Baseline 50 (2023-09); latest 60.5 after 2 years: CAGR 10%. Target 80 at 2.25 years: required
    # (80/50)^(1/2.25) − 1 = 0.23227... R = 0.1 / 0.23227 = 0.4305: limited progress.
    r, observed, required, rule = formulas.ratio_r(50, 60.5, 80, 2, 2.25)
    assert observed == pytest.approx(0.10) and required == pytest.approx(1.6 ** (1 / 2.25) - 1)
    assert r == pytest.approx(0.10 / (1.6 ** (1 / 2.25) - 1)) and rule == "CAGR"
    assert formulas.category(r, achieved=False) == "limited_progress"


@pytest.mark.parametrize("r, expected", [(1.2, "on_track"), (0.95, "on_track"), (0.94, "acceleration_needed"),
                                         (0.6, "acceleration_needed"), (0.59, "limited_progress"),
                                         (0.0, "limited_progress"), (-0.01, "deterioration"),
                                         (None, "insufficient_data")])
def test_open_sdg_thresholds(r, expected):
    assert formulas.category(r, achieved=False) == expected


def test_target_already_met_is_achieved_whatever_the_ratio():
    assert formulas.category(-3.0, achieved=True) == "achieved"


def test_zero_base_uses_linear_paces():
    # 0 → 6 in 2 years (3 a year); 0 → 10 needed in 2.5 years (4 a year): R = 0.75.
    r, observed, required, rule = formulas.ratio_r(0, 6, 10, 2, 2.5)
    assert (observed, required, r) == (pytest.approx(3.0), pytest.approx(4.0), pytest.approx(0.75))
    assert rule.startswith("linear paces")


def test_lower_is_better_ratio_keeps_its_sign():
    # Latency-like: 40 → 32.4 in 2 years (CAGR −10%); target 25 in 3 years: required (25/40)^(1/3) − 1 = −0.1450.
    r, observed, required, _ = formulas.ratio_r(40, 32.4, 25, 2, 3)
    assert observed == pytest.approx(-0.10) and required == pytest.approx(0.625 ** (1 / 3) - 1)
    assert r == pytest.approx(-0.10 / (0.625 ** (1 / 3) - 1)) and formulas.category(r, False) == "acceleration_needed"
    assert formulas.meets(24.0, 25, "lower") and not formulas.meets(26.0, 25, "lower")


def test_falling_series_deteriorates():
    r, *_ = formulas.ratio_r(70, 63, 85, 2, 2.25)
    assert r < 0 and formulas.category(r, False) == "deterioration"


def test_unsd_progress_by_hand():
    assert formulas.progress_p(50, 72.5, 80) == pytest.approx(0.75)
    assert formulas.progress_p(50, None, 80) is None and formulas.progress_p(80, 90, 80) is None


# -- models on synthetic data ----------------------------------------------------------------------------------

T = np.arange(48, dtype=float)


def test_linear_and_compound_recover_their_parameters():
    f = fit("linear", T, 20 + 0.5 * T)
    assert (f.a, f.b) == (pytest.approx(20), pytest.approx(0.5))
    g = fit("compound", T, 30 * 1.02 ** T)
    assert g.params()["level_at_t0"] == pytest.approx(30) and g.params()["growth_per_month"] == pytest.approx(0.02)


def test_logistic_recovers_known_parameters_from_noisy_data():
    rng = np.random.default_rng(3)
    k, r, mid = 100.0, 0.12, 20.0
    y = k / (1 + np.exp(-r * (T - mid))) + rng.normal(0, 0.3, T.size)
    f = fit("logistic", T, np.clip(y, 0.5, 99.5), ceiling=k)
    p = f.params()
    assert p["rate_per_month"] == pytest.approx(r, rel=0.1)
    assert p["midpoint_month"] == pytest.approx(mid, abs=1.0)


def test_logistic_needs_a_ceiling_and_compound_positive_values():
    assert fit("logistic", T, 50 + T * 0.1, ceiling=None) is None
    assert fit("compound", T, T - 5) is None
    assert fit("linear", T[:2], T[:2]) is None  # fewer than three points: no fit


def test_interval_is_80_percent_and_widens_with_the_horizon():
    rng = np.random.default_rng(11)
    f = fit("linear", T, 10 + 0.3 * T + rng.normal(0, 1.0, T.size))
    _, lo, hi = f.predict(np.array([48.0, 72.0]))
    assert (hi - lo)[1] > (hi - lo)[0]
    # Over many samples, the interval of each sample's fit holds the next point 80% of the time.
    inside = 0
    for _ in range(2000):
        g = fit("linear", T, 10 + 0.3 * T + rng.normal(0, 1.0, T.size))
        _, lo, hi = g.predict(np.array([48.0]))
        inside += lo[0] <= 10 + 0.3 * 48 + rng.normal(0, 1.0) <= hi[0]
    assert inside / 2000 == pytest.approx(0.80, abs=0.03)


@pytest.mark.parametrize("true_model", ["linear", "compound", "logistic"])
def test_backtest_picks_the_model_that_generated_the_series(true_model):
    rng = np.random.default_rng(7)
    t = np.arange(60, dtype=float)
    y = {"linear": 20 + 0.9 * t, "compound": 5 * 1.05 ** t,
         "logistic": 100 / (1 + np.exp(-0.15 * (t - 35)))}[true_model]
    y = y * (1 + rng.normal(0, 0.002, t.size))
    best = choose(backtest(t, np.clip(y, 0.01, 99.99) if true_model == "logistic" else y, ceiling=100.0))
    assert best.model == true_model


# -- the judgement of one series -------------------------------------------------------------------------------

def _target(**kw) -> Target:
    base = dict(id="households_fiber", name_vi="x", name_en="x", unit="%", direction="higher", target=85,
                target_date=date(2025, 12, 1), baseline=date(2023, 9, 1), ceiling=100)
    return Target(**{**base, **kw})


def _months(first: str, n: int) -> np.ndarray:
    y, m = map(int, first.split("-"))
    return np.arange(month_index(date(y, m, 1)), month_index(date(y, m, 1)) + n, dtype=float)


def test_fewer_than_two_points_is_insufficient_data():
    row, proj, _ = judge(_months("2024-01", 1), np.array([70.0]), _target(), date(2024, 6, 1))
    assert row["status"] == "insufficient_data" and proj is None


def test_two_points_are_judged_but_not_fitted():
    row, proj, _ = judge(_months("2023-09", 2), np.array([70.0, 71.0]), _target(), date(2023, 10, 1))
    assert row["model"] is None and proj is None and row["note"] == "fewer than 3 observations: no trend is fitted"
    assert row["ratio_r"] is not None and row["status"] == formulas.category(row["ratio_r"], False)


def test_straight_line_before_the_deadline_by_hand():
    # 70% at 2023-09 rising 0.5 point a month: at 2024-09 (12 months) 76%, target 85% at 2025-12 (27 months).
    t, y = _months("2023-09", 13), 70 + 0.5 * np.arange(13)
    row, proj, _ = judge(t, y, _target(), date(2024, 9, 1))
    assert row["latest_value"] == pytest.approx(76) and row["current_pace"] == pytest.approx(0.5)
    assert row["months_remaining"] == 15 and row["required_pace"] == pytest.approx((85 - 76) / 15)
    assert row["model"] == "linear" and row["projected_at_target"] == pytest.approx(83.5)   # 70 + 0.5·27
    assert row["progress_p"] == pytest.approx((83.5 - 70) / 15)
    assert row["eta"] == date(2026, 3, 1)   # 70 + 0.5·30 = 85 at 30 months after 2023-09
    cagr_obs, cagr_req = (76 / 70) - 1, (85 / 70) ** (1 / 2.25) - 1
    # 0.085714 / 0.090124 = 0.9511: "on track" by the Open SDG ratio, although the straight line ends at
    # 83.5, short of 85 (P = 0.9): the published method compares growth rates, and says so.
    assert row["ratio_r"] == pytest.approx(cagr_obs / cagr_req) and row["ratio_r"] == pytest.approx(0.9511, abs=1e-4)
    assert row["status"] == "on_track"
    assert proj.periods[0] == date(2024, 10, 1) and proj.periods[-1] == date(2027, 12, 1)


def test_after_the_deadline_missed_then_met_late():
    t, y = _months("2023-09", 37), 70 + 0.5 * np.arange(37)   # to 2026-09: 88%; at 2025-12 (27): 83.5%
    row, _, _ = judge(t, y, _target(), date(2026, 9, 1))
    assert row["deadline_met"] is False and row["value_at_deadline"] == pytest.approx(83.5)
    assert row["status"] == "achieved_late" and row["eta"] == date(2026, 3, 1)
    row, _, _ = judge(t[:28], y[:28], _target(target=90), date(2025, 12, 1))   # data ends at the deadline
    assert row["status"] == "missed" and row["gap"] == pytest.approx(90 - 83.5)


def test_lower_is_better_series_achieved():
    t, y = _months("2023-09", 13), 60 - 2.0 * np.arange(13)   # latency falling to 36 ms; target 40 ms
    row, _, _ = judge(t, y, _target(direction="lower", target=40, ceiling=None), date(2024, 9, 1))
    assert row["status"] == "achieved" and row["eta"] == date(2024, 7, 1)   # 60 − 2·10 = 40


def test_yearly_series_takes_its_baseline_from_the_year_before_the_plan():
    t = np.array([month_index(date(y, 12, 1)) for y in (2021, 2022, 2023, 2024)], dtype=float)
    row, _, _ = judge(t, np.array([70.0, 74.0, 80.0, 86.0]), _target(target=94), date(2024, 12, 1))
    assert row["baseline_period"] == date(2022, 12, 1) and row["baseline_value"] == 74.0
    assert row["years_elapsed"] == pytest.approx(2.0) and row["years_total"] == pytest.approx(3.0)


def test_target_files_load_and_a_bad_one_names_file_and_field(tmp_path):
    from analysis.errors import AnalysisError
    from analysis.targets import load
    assert [t.id for t in load("national-2025").targets] == ["households_fiber", "fbb_subs_per_100",
                                                             "adults_with_smartphone", "fbb_download_mbps",
                                                             "mbb_download_mbps"]
    plan = load()
    assert len(plan.targets) == 11 and plan.get("households_fiber").target == 85
    assert plan.get("households_fiber").target_date == date(2025, 12, 1)
    bad = tmp_path / "bad.yml"
    bad.write_text(load().model_dump_json().replace('"households_fiber"', '"household_fibre"'), encoding="utf-8")
    with pytest.raises(AnalysisError) as e:
        load(bad)
    assert e.value.file == str(bad) and e.value.message.startswith("targets.7.id: Value error, unknown indicator")
