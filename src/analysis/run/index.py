"""reports/index.html: every run's pages, newest first, named for readers, working offline."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

from analysis import io
from analysis.corrections import OTHERS
from analysis.periods import parse_month
from analysis.run.pages import catalogue
from analysis.templating import render
from analysis.text import LOCALES, month, t

RUN_DIR = re.compile(r"\d{4}-\d{2}")


def _kind(page: dict) -> str:
    """The page's kind, as run.json records it (runs written before it did: the file name's first word)."""
    return page.get("kind") or page["file"].split("-")[0]


def _entries(pages: list[dict], lang: str) -> list[dict]:
    """One entry per page whatever its language: the title in the index's language (else the first there is) and
    a link per language, the index's first."""
    order = {code: i for i, code in enumerate([lang, *LOCALES])}
    by_key: dict[str, list[dict]] = {}
    for p in pages:
        by_key.setdefault(p.get("key") or p["file"], []).append(p)
    out = []
    for versions in by_key.values():
        versions.sort(key=lambda p: order.get(p.get("lang", lang), 99))
        out.append({"title": versions[0]["title"], "file": versions[0]["file"],
                    "links": [(p.get("lang", lang).upper(), p["file"]) for p in versions] if len(versions) > 1
                    else []})
    return out


def write_index(reports: Path, lang: str) -> Path:
    """Every run folder, newest first, its pages grouped by the kinds of config/reports.yml, in its order, each
    page once with a link per language."""
    runs = []
    for run_dir in sorted((p for p in reports.iterdir() if p.is_dir() and RUN_DIR.fullmatch(p.name)), reverse=True):
        record = json.loads((run_dir / "run.json").read_text(encoding="utf-8")) if (run_dir / "run.json").exists() \
            else {"pages": [{"file": p.name, "title": p.stem} for p in sorted(run_dir.glob("*.html"))]}
        pages = record.get("pages", [])
        checks = record.get("validation") or {}
        groups = [(t(kind.heading, lang), _entries([p for p in pages if _kind(p) == kind.kind], lang))
                  for kind in catalogue().pages]
        # The data checks, for the data team: the page in the index's language, else any.
        check = checks.get(lang) or next(iter(checks.values()), None)
        books = record.get("workbook") or {}
        runs.append({"folder": run_dir.name, "shown": month(parse_month(run_dir.name), lang),
                     "groups": [(heading, items) for heading, items in groups if items], "checks": check,
                     "workbook": books.get(lang) or next(iter(books.values()), None),
                     "operators": [(t("corrections", lang)["others"] if sender == OTHERS else sender, file)
                                   for sender, file in sorted((record.get("operators") or {}).items())]})
    page = render("index.html.j2", lang=lang, title=t("index_title", lang), runs=runs, as_of_label=t("data_as_of", lang),
                  checks_label=t("quality_page", lang), workbook_label=t("month_workbook", lang),
                  operators_label=t("operators_feedback", lang), generated_label=t("generated", lang),
                  stamp=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    target = reports / "index.html"
    io.write_text(page, target)
    return target
