"""reports/index.html: every run's pages, newest first, named for readers, working offline."""
from __future__ import annotations

import html
import json
import re
from datetime import datetime, timezone
from pathlib import Path

from analysis import io
from analysis.periods import parse_month
from analysis.run.pages import catalogue
from analysis.text import month, t

RUN_DIR = re.compile(r"\d{4}-\d{2}")


def _kind(page: dict) -> str:
    """The page's kind, as run.json records it (runs written before it did: the file name's first word)."""
    return page.get("kind") or page["file"].split("-")[0]


def write_index(reports: Path, lang: str) -> Path:
    sections = []
    for run_dir in sorted((p for p in reports.iterdir() if p.is_dir() and RUN_DIR.fullmatch(p.name)), reverse=True):
        pages = json.loads((run_dir / "run.json").read_text(encoding="utf-8")).get("pages", []) \
            if (run_dir / "run.json").exists() else [{"file": p.name, "title": p.stem} for p in sorted(run_dir.glob("*.html"))]
        groups = []
        for kind in catalogue().pages:   # config/reports.yml: its order, its headings
            label = t(kind.heading, lang)
            items = "".join(f'<li><a href="{html.escape(run_dir.name)}/{html.escape(p["file"])}">'
                            f'{html.escape(p["title"])}</a></li>' for p in pages if _kind(p) == kind.kind)
            if items:
                groups.append(f"<h3>{html.escape(label)}</h3><ul>{items}</ul>")
        shown = month(parse_month(run_dir.name), lang)  # 11/2024, formatted for the locale
        sections.append(f"<h2>{html.escape(t('data_as_of', lang))} {html.escape(shown)}</h2>{''.join(groups)}")
    title = html.escape(t("index_title", lang))
    stamp = html.escape(datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    # GX Data Docs are for analysts and load their styling from a CDN: linked, never part of a report.
    docs = (f'<p><a href="data-docs/index.html">{html.escape(t("data_docs", lang))}</a></p>'
            if (reports / "data-docs" / "index.html").exists() else "")
    page = (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>'
            '<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:1rem auto;padding:0 1rem;'
            'line-height:1.4}li{margin:.35rem 0}h2{margin-top:1.5rem;font-size:1.15rem}h3{font-size:1rem;margin:.8rem 0 .2rem}</style></head>'
            f'<body><h1>{title}</h1>{"".join(sections)}{docs}'
            f'<p><small>{html.escape(t("generated", lang))} {stamp}</small></p></body></html>')
    target = reports / "index.html"
    io.write_text(page, target)
    return target
