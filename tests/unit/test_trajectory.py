"""Formulas on cases worked by hand, models on synthetic series with known parameters, and the judgement's edges."""
from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from analysis.periods import from_index, month_index
from analysis.targets import Target
from analysis.trajectory import formulas
from analysis.trajectory import calibration
from analysis.trajectory.backtest import backtest, origins
from analysis.trajectory.models import damped, fit
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
    assert rule == "linear"


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


# -- models, anchored at the latest observation, by hand -------------------------------------------------------

def test_recent_pace_continues_the_last_twelve_months_from_the_latest_value():
    # 0.5 a month for a year, then 1.0 a month for a year: latest 28 at month 24, the last twelve months' pace 1.0.
    t = np.arange(25, dtype=float)
    y = np.where(t <= 12, 10 + 0.5 * t, 16 + (t - 12))
    m = fit("pace", t, y)
    assert m.slope == pytest.approx(1.0)
    assert m.point(np.array([24.0, 27.0])) == pytest.approx([28.0, 31.0])


def test_linear_trend_is_least_squares_over_the_last_24_months_continued_from_the_latest_value():
    rng = np.random.default_rng(5)
    t = np.arange(40, dtype=float)
    y = 5 + 0.2 * t + np.where(t >= 16, 0.6 * (t - 16), 0) + rng.normal(0, 0.3, t.size)
    m = fit("linear", t, y)
    slope = np.polyfit(t[-24:], y[-24:], 1)[0]
    assert m.slope == pytest.approx(slope)
    assert m.point(np.array([45.0]))[0] == pytest.approx(y[-1] + 6 * slope)


def test_compound_growth_from_the_latest_value():
    t = np.arange(30, dtype=float)
    y = 100 * 1.02 ** t
    assert fit("compound", t, y).point(np.array([41.0]))[0] == pytest.approx(y[-1] * 1.02 ** 12)


def test_the_shortfall_to_the_ceiling_shrinks_at_the_recent_rate():
    # 20 points short at month 0, 10 at month 12 (halved in a year): 5 short a year later, 2.5 after two.
    t = np.arange(13, dtype=float)
    y = 100 - 20 * 0.5 ** (t / 12)
    m = fit("pace", t, y, ceiling=100.0)
    assert m.params()["scale"] == "shortfall"
    assert m.point(np.array([24.0, 36.0])) == pytest.approx([95.0, 97.5])
    assert (m.point(np.arange(13.0, 133.0)) < 100).all() and (m.point(np.arange(133.0, 600.0)) <= 100).all()


def test_a_series_at_its_ceiling_stays_there_in_every_bounded_model():
    t = np.arange(24, dtype=float)
    y = np.minimum(90 + t, 100.0)    # reaches 100 at month 10 and stays
    for name in ("pace", "damped_pace", "linear", "compound", "logistic"):
        assert fit(name, t, y, ceiling=100.0).point(np.array([24.0, 60.0])) == pytest.approx([100.0, 100.0]), name


def test_damping_by_hand():
    # D(h) = φ + φ² + … + φ^h with φ = 0.97: 0.97, 0.97 + 0.9409, 0.97 + 0.9409 + 0.912673
    assert damped(np.array([1.0, 2.0, 3.0]), 0.97) == pytest.approx([0.97, 1.9109, 2.823573])
    assert damped(np.array([5.0]), 1.0) == pytest.approx([5.0])


def test_logistic_needs_a_ceiling_and_compound_positive_values():
    t = np.arange(24, dtype=float)
    assert fit("logistic", t, 50 + t * 0.1, ceiling=None) is None
    assert fit("compound", t, t - 5) is None
    assert fit("linear", t[:1], t[:1]) is None   # one point: no slope


# -- the back-test -------------------------------------------------------------------------------------------

def test_origins_every_third_month_from_the_twelfth_and_every_year_from_the_third():
    assert origins(np.arange(30, dtype=float)).tolist() == [12, 15, 18, 21, 24, 27]
    yearly = np.array([month_index(date(y, 12, 1)) for y in range(2020, 2026)], dtype=float)
    assert origins(yearly).tolist() == [3, 4, 5]


def test_backtest_errors_by_hand_and_the_pace_without_three_origins():
    # Flat at 0 for 12 months, then 12 and 24: one origin (after month 11), whose pace is 0, forecasts 0 for both
    # later months: errors 12 and 24, MAE 18. One origin is too few for a contest: the recent pace is used.
    t = np.arange(14, dtype=float)
    scores, name, e = backtest(t, np.r_[np.zeros(12), 12.0, 24.0], None)
    assert name == "pace"
    assert e.horizon.tolist() == [1.0, 2.0] and e.forecast.tolist() == [0.0, 0.0] and e.actual.tolist() == [12.0, 24.0]
    pace = next(s for s in scores if s.model == "pace")
    assert pace.mae == pytest.approx(18.0) and pace.origins == 1


def test_the_simplest_model_wins_a_tie():
    # A straight line is forecast exactly by the recent pace and by the linear trend: the pace, listed first, wins.
    scores, name, _ = backtest(np.arange(30, dtype=float), 20 + 0.9 * np.arange(30.0), None)
    assert name == "pace" and next(s for s in scores if s.model == "linear").mae == pytest.approx(0, abs=1e-9)


def test_a_saturating_series_is_forecast_on_the_shortfall_scale():
    # The shortfall to 100 halves every year: the pace on the shortfall scale forecasts it exactly, a straight
    # line overshoots.
    t = np.arange(48, dtype=float)
    scores, name, _ = backtest(t, 100 - 60 * 0.5 ** (t / 12), 100.0)
    assert name == "pace" and next(s for s in scores if s.model == "linear").mae > 0.1


# -- intervals calibrated on the back-test ---------------------------------------------------------------------

def test_interval_quantile_by_hand():
    # Twenty scaled errors 0.1, -0.2, 0.3 … -2.0: the 80th percentile of their absolute values, interpolated
    # linearly, is at rank 0.8 × 19 = 15.2, between 1.6 and 1.7: 1.62.
    r = np.array([(-1) ** i * 0.1 * (i + 1) for i in range(20)])
    q = calibration.quantiles(pl.DataFrame({"indicator_id": "x", "group": "area", "bucket": 0, "r": r})).row(
        0, named=True)
    assert (q["q_lo"], q["q_hi"], q["n"]) == (pytest.approx(-1.62), pytest.approx(1.62), 20)
    # 3 months ahead, for a series moving 0.5 a month: 50 ± 1.62 × 0.5 × 3 = 50 ± 2.43
    lo, hi = calibration.interval(np.array([50.0]), np.array([3.0]), 0.5, {0: (q["q_lo"], q["q_hi"])})
    assert (lo[0], hi[0]) == (pytest.approx(47.57), pytest.approx(52.43))


def test_a_longer_horizon_is_never_more_certain_and_a_small_pool_borrows_from_every_kind_of_area():
    # Communes: 30 errors of 0.5 at 1–3 and at 4–6 months. Provinces and districts: 20 errors of 2.0 at 1–3
    # months, 20 of 1.0 at 4–6 (raised to 2.0: a longer horizon is never more certain).
    errors = pl.DataFrame({"indicator_id": "x", "group": ["area"] * 40 + ["commune"] * 60,
                           "bucket": [0] * 20 + [1] * 20 + [0] * 30 + [1] * 30,
                           "r": [2.0] * 20 + [1.0] * 20 + [0.5] * 60})
    q = {(g, b): hi for _, g, b, _, _, hi in calibration.quantiles(errors).iter_rows()}
    assert (q[("area", 0)], q[("area", 1)], q[("commune", 1)]) == (2.0, 2.0, 0.5)
    # Five errors of 3.0 are too few for a pool: with the communes' thirty of 0.5, the 80th percentile of 35
    # errors (rank 0.8 × 34 = 27.2, among the 0.5s) is 0.5.
    few = pl.DataFrame({"indicator_id": "x", "group": ["area"] * 5 + ["commune"] * 30, "bucket": 0,
                        "r": [3.0] * 5 + [0.5] * 30})
    row = calibration.quantiles(few).filter(pl.col("group") == "area").row(0, named=True)
    assert (row["q_hi"], row["n"]) == (0.5, 35)


def test_back_test_coverage_uses_only_the_errors_known_at_each_origin():
    # Twenty errors of one unit forecast from month 90, one month ahead (known at month 91); one row forecast from
    # month 100, two months ahead, 1.5 short (scale 1).
    rows = pl.DataFrame({"indicator_id": "x", "group": "area", "bucket": 0,
                         "origin_t": [90.0] * 20 + [100.0], "horizon": [1.0] * 20 + [2.0],
                         "forecast": [10.0] * 21, "actual": [11.0] * 20 + [11.5], "scale": [1.0] * 21})
    out = calibration.honest_inside(rows)
    # At month 100 the twenty errors are known: q = 1 / (1 × 1) = 1, so 10 ± 1 × 1 × 2 = 8 to 12 holds 11.5.
    # At month 90 nothing was known yet: no verdict.
    last = out.row(-1, named=True)
    assert (last["lower"], last["upper"], last["inside"]) == (8.0, 12.0, True)
    assert out["inside"][:20].null_count() == 20

# -- the judgement of one series -------------------------------------------------------------------------------

def _target(**kw) -> Target:
    # households_fiber: a share with a ceiling of 100 (config/indicators/households_fiber.yml)
    base = dict(id="households_fiber", direction="higher", target=85, target_date=date(2025, 12, 1),
                baseline=date(2023, 9, 1))
    return Target(**{**base, **kw})


def _months(first: str, n: int) -> np.ndarray:
    y, m = map(int, first.split("-"))
    return np.arange(month_index(date(y, m, 1)), month_index(date(y, m, 1)) + n, dtype=float)


# A straight line is projected on the linear scale only without a ceiling: an indicator with none (per 100 people).
LINE = dict(id="fbb_subs_per_100")


def test_fewer_than_two_points_is_insufficient_data():
    row, proj, _ = judge(_months("2024-01", 1), np.array([70.0]), _target(), date(2024, 6, 1))
    assert row["status"] == "insufficient_data" and proj is None


def test_two_points_give_the_recent_pace_and_no_ratio():
    row, proj, scores = judge(_months("2023-09", 2), np.array([70.0, 71.0]), _target(**LINE), date(2023, 10, 1))
    assert row["model"] == "pace" and proj.projected[0] == pytest.approx(72.0) and scores == []
    assert row["ratio_r"] is None and row["ratio_rule"] == "too_soon" and row["progress_p"] is None


def test_straight_line_before_the_deadline_by_hand():
    # 70% at 2023-09 rising 0.5 point a month: at 2024-09 (12 months) 76%, target 85% at 2025-12 (15 months on).
    t, y = _months("2023-09", 13), 70 + 0.5 * np.arange(13)
    row, proj, _ = judge(t, y, _target(**LINE), date(2024, 9, 1))
    assert row["latest_value"] == pytest.approx(76) and row["current_pace"] == pytest.approx(0.5)
    assert row["months_remaining"] == 15 and row["required_pace"] == pytest.approx((85 - 76) / 15)
    # Thirteen months leave one back-test origin: the recent pace, 0.5 a month, from the latest value.
    assert row["model"] == "pace" and row["projected_at_target"] == pytest.approx(83.5)   # 76 + 0.5 · 15
    assert proj.periods[0] == date(2024, 10, 1) and proj.projected[0] == pytest.approx(76.5)
    assert proj.periods[-1] == date(2027, 12, 1)
    assert row["progress_p"] == pytest.approx((83.5 - 70) / 15)
    assert row["eta"] == date(2026, 3, 1) and row["eta_basis"] == "projected"   # 76 + 0.5 · 18 = 85
    cagr_obs, cagr_req = (76 / 70) - 1, (85 / 70) ** (1 / 2.25) - 1
    assert row["ratio_r"] == pytest.approx(cagr_obs / cagr_req) and row["ratio_r"] == pytest.approx(0.9511, abs=1e-4)
    # Open SDG's R (0.9511) calls it on track; the projection (83.5, short of 85) does not: the page says both.
    assert row["ratio_status"] == "on_track" and row["status"] == "off_track" and row["ratio_disagrees"]


@pytest.mark.parametrize("q, status", [(0.25, "at_risk"), (0.15, "off_track")])
def test_at_risk_when_only_the_optimistic_bound_reaches_the_target(q, status):
    # The same line, scale 0.5 a month; the deadline is 15 months ahead (pool 13–18 months), so the upper bound is
    # 83.5 + q · 0.5 · 15: 85.375 with q = 0.25 (reaches 85), 84.625 with q = 0.15 (does not).
    t, y = _months("2023-09", 13), 70 + 0.5 * np.arange(13)
    row, _, _ = judge(t, y, _target(**LINE), date(2024, 9, 1), table={3: (-q, q)})
    assert row["upper_at_target"] == pytest.approx(83.5 + q * 7.5) and row["status"] == status


def test_on_track_when_the_projection_meets_the_target_by_the_deadline():
    # 79.6% at 2024-09 rising 0.8 a month: 85.2% at 2025-04 (84.4% at 2025-03), 91.6% at the deadline.
    t, y = _months("2023-09", 13), 70 + 0.8 * np.arange(13)
    row, _, _ = judge(t, y, _target(**LINE), date(2024, 9, 1))
    assert row["status"] == "on_track" and row["projected_at_target"] == pytest.approx(91.6)
    assert row["eta"] == date(2025, 4, 1) <= row["target_date"]


def test_after_the_deadline_missed_then_met_late():
    t, y = _months("2023-09", 37), 70 + 0.5 * np.arange(37)   # to 2026-09: 88%; at 2025-12 (27): 83.5%
    row, _, _ = judge(t, y, _target(), date(2026, 9, 1))
    assert row["deadline_met"] is False and row["value_at_deadline"] == pytest.approx(83.5)
    assert row["status"] == "achieved_late" and row["eta"] == date(2026, 3, 1) and row["eta_basis"] == "observed"
    row, _, _ = judge(t[:28], y[:28], _target(target=90), date(2025, 12, 1))   # data ends at the deadline
    assert row["status"] == "missed" and row["gap"] == pytest.approx(90 - 83.5)


def test_an_expected_date_is_never_before_the_month_judged():
    # Data stop at 2024-06 (87%, one point a month); judged as of 2024-12. The pace would have reached 89% in
    # 2024-08, but nothing observed says so: the expected date is the month judged, not a month already past.
    t, y = _months("2023-01", 18), 70 + 1.0 * np.arange(18)
    row, _, _ = judge(t, y, _target(target=89, **LINE), date(2024, 12, 1))
    assert row["eta"] == date(2024, 12, 1) and row["eta_basis"] == "projected"


def test_lower_is_better_series_achieved():
    t, y = _months("2023-09", 13), 60 - 2.0 * np.arange(13)   # latency falling to 36 ms; target 40 ms
    row, _, _ = judge(t, y, _target(direction="lower", target=40, **LINE), date(2024, 9, 1))
    assert row["status"] == "achieved" and row["eta"] == date(2024, 7, 1)   # 60 − 2·10 = 40


def test_yearly_series_take_the_base_year_s_value_and_give_yearly_dates():
    # Open SDG's rule: the base year's value (2023, for a plan issued in 2023-09), else the first year after it.
    t = np.array([month_index(date(y, 12, 1)) for y in (2021, 2022, 2023, 2024)], dtype=float)
    row, _, _ = judge(t, np.array([70.0, 74.0, 80.0, 86.0]), _target(target=94), date(2025, 6, 1))
    assert row["baseline_period"] == date(2023, 12, 1) and row["baseline_value"] == 80.0
    assert row["years_elapsed"] == pytest.approx(1.0) and row["years_total"] == pytest.approx(2.0)
    # The shortfall to 100 went from 20 to 14 in the last year (× 0.7): 90.2% in 2025-12, 93.14% in 2026-12,
    # 95.2% in 2027-12: expected in 2027, at the series' own month.
    assert row["frequency"] == "yearly" and row["eta"] == date(2027, 12, 1) and row["eta_basis"] == "projected"
    assert row["projected_at_target"] == pytest.approx(90.2)


def test_r_is_not_defined_when_the_baseline_already_meets_the_target():
    # Baseline 90% ≥ target 85%: the required rate would point the wrong way and R's sign would flip.
    row, _, _ = judge(_months("2023-09", 25), np.linspace(90, 95, 25), _target(), date(2025, 9, 1))
    assert row["ratio_r"] is None and row["ratio_rule"] == "baseline_met" and row["progress_p"] is None
    assert row["status"] == "achieved"


def test_no_r_or_p_within_twelve_months_of_the_baseline():
    # A series that starts in 2025-07 (the merged province): its baseline is its first value; four months later an
    # annualised rate would be noise.
    t, y = _months("2025-07", 5), np.array([60.0, 60.5, 61.0, 61.5, 62.0])
    row, _, _ = judge(t, y, _target(), date(2025, 11, 1))
    assert row["baseline_period"] == date(2025, 7, 1) and row["ratio_r"] is None and row["progress_p"] is None
    assert row["ratio_rule"] == "too_soon"


@pytest.mark.parametrize("comparison, met", [(">=", True), (">", False)])
def test_strict_and_non_strict_targets(comparison, met):
    # "> 80%" in a plan is not met by exactly 80%.
    t, y = _months("2023-09", 13), np.linspace(74, 80, 13)
    row, _, _ = judge(t, y, _target(target=80, comparison=comparison), date(2024, 9, 1))
    assert (row["status"] == "achieved") is met and row["comparison"] == comparison
    assert formulas.meets(80.0, 80, "higher", strict=True) is False and formulas.meets(80.0, 80, "higher") is True


def test_a_comparison_against_the_direction_is_refused():
    with pytest.raises(ValueError):
        _target(comparison="<")


def test_a_target_at_the_ceiling_is_met_within_one_counted_unit():
    # 240 hamlets: one is 100/240 = 0.4167 points. The shortfall halves every 6 months and is 0.82 points at the
    # latest month (2025-12): 6 months later 0.41 < 0.4167 (met), 5 months later 0.82 × 0.5^(5/6) = 0.46 (not yet).
    t = _months("2023-01", 36)
    y = 100 - 0.82 * 2.0 ** ((t[-1] - t) / 6)   # 46.8 points short three years before
    hamlets = _target(id="hamlets_mbb_coverage", target=100)
    row, _, _ = judge(t, y, hamlets, date(2025, 12, 1), unit_step=100 / 240)
    assert row["model"] == "pace" and row["eta"] == date(2026, 6, 1) and row["eta_basis"] == "projected"
    # Without the unit, a saturating projection never reaches 100% exactly.
    never, _, _ = judge(t, y, hamlets, date(2025, 12, 1))
    assert never["eta"] is None and never["note"].startswith("not reached within 3 years")


def test_judgements_never_contradict_themselves_on_random_series():
    rng = np.random.default_rng(17)
    table = {b: (-0.8, 0.8) for b in range(len(calibration.BUCKETS))}
    for _ in range(300):
        n = int(rng.integers(2, 60))
        t = _months("2021-01", n)
        y = np.clip(50 + np.cumsum(rng.normal(rng.uniform(-0.5, 1.5), 1.0, n)), 0, 100)
        as_of = from_index(int(t[-1]) + int(rng.integers(0, 6)))
        row, proj, _ = judge(t, y, _target(target=float(rng.uniform(40, 100))), as_of, table=table, unit_step=0.5)
        if proj is not None:
            assert (proj.upper <= 100).all() and (proj.lower >= 0).all()
            assert (proj.lower <= proj.projected + 1e-9).all() and (proj.projected <= proj.upper + 1e-9).all()
        if row["status"] == "on_track":
            assert row["eta"] is not None and row["eta"] <= row["target_date"]
        if row.get("eta_basis") == "projected":
            assert row["eta"] >= as_of


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


def test_the_projection_table_holds_each_area_month_by_month():
    # Two stacks' projections by hand: months as indices (2026-11 = 2026 * 12 + 10), dates in the table; an area
    # without a model has no rows.
    from analysis.trajectory.engine import PROJECTION_SCHEMA, Areas, _projection_frame
    from analysis.trajectory.series import Projections
    nov = 2026 * 12 + 10
    none = np.full(3, np.nan)
    a = Projections(np.array([nov, nov + 1, nov + 2]), np.array([[1.0, 2.0, 3.0], none]),
                    np.array([[0.5, np.nan, 2.5], none]), np.array([[1.5, np.nan, 3.5], none]),
                    np.array(["pace", None], dtype=object))
    b = Projections(np.array([nov + 1]), np.array([[9.0]]), np.array([[8.0]]), np.array([[10.0]]),
                    np.array(["linear"], dtype=object))
    areas = lambda codes, levels: Areas(np.array(codes, dtype=object), np.array(levels, dtype=object),   # noqa: E731
                                        np.full(len(codes), np.nan), np.full(len(codes), np.nan))
    frame = _projection_frame("ftth", [(areas(["19001", "19002"], ["commune", "commune"]), a),
                                       (areas(["190"], ["district"]), b)])
    assert frame.schema == pl.Schema(PROJECTION_SCHEMA)
    assert frame.fill_nan(None).rows() == [
        ("ftth", "19001", "commune", date(2026, 11, 1), 1.0, 0.5, 1.5, "pace"),
        ("ftth", "19001", "commune", date(2026, 12, 1), 2.0, None, None, "pace"),
        ("ftth", "19001", "commune", date(2027, 1, 1), 3.0, 2.5, 3.5, "pace"),
        ("ftth", "190", "district", date(2026, 12, 1), 9.0, 8.0, 10.0, "linear")]
    assert np.isnan(frame["lower"][1]) and np.isnan(frame["upper"][1])   # no interval: NaN, as computed
    assert _projection_frame("ftth", []).schema == pl.Schema(PROJECTION_SCHEMA)
