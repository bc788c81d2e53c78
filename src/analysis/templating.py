"""HTML written from Jinja2 templates (src/analysis/templates/blocks/) with autoescape on: every value a block
shows, from the data or the catalogue, is escaped by the template engine where it is written, never by hand."""
from __future__ import annotations

from functools import lru_cache

import jinja2
from markupsafe import Markup

from analysis import paths

FOLD_AFTER = 12   # rows a long table shows before the rest folds behind a disclosure (phone, print)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    # StrictUndefined: a name missing from a block's context is an error, not an empty cell on a leader's page.
    return jinja2.Environment(loader=jinja2.FileSystemLoader(paths.TEMPLATES / "blocks"), autoescape=True,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=False)


def warm() -> None:
    """Compile every block template now (a warm kernel, before its first page): a page that is the first to use
    a template otherwise compiles it (0.1 s of a kernel's first page)."""
    env = environment()
    for name in env.list_templates():
        env.get_template(name)


def render(template: str, **context: object) -> str:
    return environment().get_template(template).render(**context).strip()


def table(columns: list[str], rows: list[list[object]], **options: object) -> str:
    """A table with a head and rows (cells shown as their text; None as nothing); `cls`, `intro`, `row_heads`, and
    `fold` (rows shown, the disclosure's label with {rest} for the rows behind it) for a long one."""
    cells = [["" if v is None else v for v in row] for row in rows]
    fold = options.get("fold")
    if fold:
        fold = (fold[0], fold[1].format(rest=len(cells) - fold[0], all=len(cells)))
    return render("table.html.j2", columns=columns, rows=cells, cls=options.get("cls"),
                  intro=options.get("intro"), row_heads=options.get("row_heads"), fold=fold)


def fold(label: str, body: str) -> str:
    """Detail behind a disclosure: a leader sees the summary, whoever needs the detail opens it (not printed)."""
    return render("fold.html.j2", label=label, body=Markup(body))
