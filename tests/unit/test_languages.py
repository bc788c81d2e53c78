"""Both languages side by side: every page in each configured language, each linking its other languages, and a
run in one language leaving the month's pages in the other in place."""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone


from analysis.run import config, pages
from analysis.run.pipeline import Pipeline, kept_pages
from analysis.targets import load


def test_every_page_in_every_language_links_its_other_language(geo):
    plan = load("plan-171-2025")
    jobs = pages.jobs({"processed": "p", "targets": plan.id}, ["vi", "en"], geo, plan)
    per_language = 1 + len(pages.districts(geo, plan)) + len(plan.targets) + 1   # and the explorer
    assert len(jobs) == 2 * per_language
    assert {j.lang for j in jobs} == {"vi", "en"} and all(j.parameters["lang"] == j.lang for j in jobs)
    province = {j.lang: j for j in jobs if j.kind == "province"}
    assert province["vi"].page == "province-vi.html" and province["vi"].alternates == (("en", "province-en.html"),)
    assert province["en"].alternates == (("vi", "province-vi.html"),)
    fibre = [j for j in jobs if j.key == "target:households_fiber" and j.lang == "en"][0]
    assert fibre.page == "target-households_fiber-en.html"
    assert fibre.alternates == (("vi", "target-households_fiber-vi.html"),)


def test_a_run_in_one_language_links_the_pages_another_run_left(geo):
    plan = load("plan-171-2025")
    jobs = pages.jobs({"processed": "p", "targets": plan.id}, ["en"], geo, plan,
                      elsewhere={("province", "vi"): "province-vi.html", ("province", "en"): "stale.html"})
    province = [j for j in jobs if j.kind == "province"][0]
    # the Vietnamese page left in place is linked; an English entry from before never wins over this run's own
    assert province.alternates == (("vi", "province-vi.html"),) and province.page == "province-en.html"
    assert all(j.alternates == () for j in jobs if j.kind != "province")


def test_a_run_in_english_keeps_the_month_s_vietnamese_pages(tmp_path, monkeypatch):
    reports = tmp_path / "reports"
    month = reports / "2026-09"
    (month / "notebooks").mkdir(parents=True)
    entries = []
    for lang in ("vi", "en"):
        (month / f"province-{lang}.html").write_text(f"old {lang}", encoding="utf-8")
        (month / "notebooks" / f"province-{lang}.ipynb").write_text("{}", encoding="utf-8")
        entries.append({"kind": "province", "key": "province", "lang": lang, "file": f"province-{lang}.html",
                        "title": "T", "notebook": f"notebooks/province-{lang}.ipynb"})
    (month / "run.json").write_text(json.dumps({"pages": entries}), encoding="utf-8")

    kept = kept_pages(month, ["en"])
    assert [p["file"] for p in kept] == ["province-vi.html"]

    (tmp_path / "raw").mkdir()
    cfg = config.load(None, {"raw": tmp_path / "raw", "processed": tmp_path / "processed", "reports": reports,
                             "languages": "en"})
    run = Pipeline(cfg, force=False)
    (run.staging / "notebooks").mkdir(parents=True)
    (run.staging / "province-en.html").write_text("new en", encoding="utf-8")
    job = pages.Job("province", "province en", "10-province-report.ipynb", {}, "province-en.html", "T", "en",
                    "province", (("vi", "province-vi.html"),))
    run._finish(month, "2026-09", [job], kept, datetime.now(timezone.utc), time.perf_counter())

    assert (month / "province-vi.html").read_text(encoding="utf-8") == "old vi"
    assert (month / "notebooks" / "province-vi.ipynb").exists()
    assert (month / "province-en.html").read_text(encoding="utf-8") == "new en"
    listed = {p["file"]: p["lang"] for p in json.loads((month / "run.json").read_text(encoding="utf-8"))["pages"]}
    assert listed == {"province-en.html": "en", "province-vi.html": "vi"}


def test_languages_come_from_the_config_and_a_flag_narrows_them(tmp_path):
    (tmp_path / "raw").mkdir()
    base = {"raw": tmp_path / "raw", "processed": tmp_path / "p", "reports": tmp_path / "r"}
    assert config.load(None, base).languages == ["vi", "en"]
    assert config.load(None, {**base, "languages": "en"}).languages == ["en"]
    assert config.load(None, {**base, "languages": "en,vi"}).languages == ["en", "vi"]
