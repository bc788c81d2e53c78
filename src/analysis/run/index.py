"""reports/index.html: every run's pages, newest first, named for readers, working offline."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

from analysis import io
from analysis.periods import parse_month
from analysis.run.pages import catalogue
from analysis.templating import render
from analysis.text import month, t

RUN_DIR = re.compile(r"\d{4}-\d{2}")


def _kind(page: dict) -> str:
    """The page's kind, as run.json records it (runs written before it did: the file name's first word)."""
    return page.get("kind") or page["file"].split("-")[0]


def write_index(reports: Path, lang: str) -> Path:
    """Every run folder, newest first, its pages grouped by the kinds of config/reports.yml, in its order."""
    runs = []
    for run_dir in sorted((p for p in reports.iterdir() if p.is_dir() and RUN_DIR.fullmatch(p.name)), reverse=True):
        pages = json.loads((run_dir / "run.json").read_text(encoding="utf-8")).get("pages", []) \
            if (run_dir / "run.json").exists() else [{"file": p.name, "title": p.stem} for p in sorted(run_dir.glob("*.html"))]
        groups = [(t(kind.heading, lang), [p for p in pages if _kind(p) == kind.kind]) for kind in catalogue().pages]
        runs.append({"folder": run_dir.name, "shown": month(parse_month(run_dir.name), lang),
                     "groups": [(heading, items) for heading, items in groups if items]})
    # GX Data Docs are for analysts and load their styling from a CDN: linked, never part of a report.
    docs = t("data_docs", lang) if (reports / "data-docs" / "index.html").exists() else None
    page = render("index.html.j2", lang=lang, title=t("index_title", lang), runs=runs, as_of_label=t("data_as_of", lang),
                  docs=docs, generated_label=t("generated", lang),
                  stamp=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    target = reports / "index.html"
    io.write_text(page, target)
    return target
