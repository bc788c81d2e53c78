"""Every notebook of notebooks/: valid, stored without outputs, one parameters cell of typed, commented literals,
no function or class of its own, and it runs under papermill with its defaults (on the sample laid out as the
project's data/ folder)."""
from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import nbformat
import pytest

from analysis.run.notebooks import NOTEBOOKS, NotebookFailed, execute
from tests.conftest import kept_clean_cache

ALL = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
EXPLORE = "00-explore.ipynb"   # the analyst's starter: reads what the chain wrote
CHAIN = ["01-clean.ipynb", "02-validate.ipynb", "03-indicators.ipynb", "04-trajectories.ipynb",
         "10-province-report.ipynb", "11-district-report.ipynb", "12-target-report.ipynb", "13-explorer.ipynb"]


def test_the_notebooks_are_the_starter_and_the_chain():
    assert ALL == [EXPLORE, *CHAIN]


@pytest.mark.parametrize("name", ALL)
def test_valid_without_outputs(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.id


@pytest.mark.parametrize("name", ALL)
def test_one_parameters_cell_of_typed_commented_literals(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    lines = [ln for ln in tagged[0].source.splitlines() if ln.strip()]
    tree = ast.parse(tagged[0].source)
    assert len(tree.body) == len(lines) >= 1
    for stmt, text in zip(tree.body, lines):
        assert isinstance(stmt, ast.AnnAssign), text          # a type hint
        ast.literal_eval(stmt.value)                          # a literal (raises otherwise)
        assert "  # " in text and text.split("  # ", 1)[1].strip(), text  # a comment saying what it is


@pytest.mark.parametrize("name", ALL)
def test_no_def_or_class_in_notebooks(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            nodes = ast.walk(ast.parse(cell.source))
            assert not any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))
                           for n in nodes), cell.id


@pytest.mark.slow
def test_every_notebook_runs_with_its_defaults(short_sample, tmp_path):
    """The project's layout in a temporary folder: notebooks/ beside data/raw (the sample); each notebook, in
    chain order, with no parameter given, as an analyst opening it in JupyterLab would run it."""
    project = tmp_path / "project"
    shutil.copytree(NOTEBOOKS, project / "notebooks")
    shutil.copytree(short_sample / "raw", project / "data" / "raw")
    import papermill as pm
    from analysis.run.notebooks import kernel

    def chain() -> None:
        for name in [*CHAIN, EXPLORE]:
            pm.execute_notebook(str(project / "notebooks" / name), str(tmp_path / f"out-{name}"),
                                kernel_name=kernel(), cwd=str(project / "notebooks"), progress_bar=False,
                                log_output=False)
    # The clean notebook starts from the clean cache the last session left (every file is read again after a
    # change to the code): what is tested here is that each notebook runs as it is, not cleaning.
    kept_clean_cache("notebooks", project / "data" / "processed", chain)
    assert (project / "data" / "processed" / "status.parquet").exists()
    assert (project / "reports" / "data-docs" / "index.html").exists()
    # Opened as an analyst does (not by the runner), the charts are JupyterLab's own Vega-Lite, with tooltips.
    for name in ("12-target-report.ipynb", "13-explorer.ipynb", EXPLORE):
        outputs = [o for c in nbformat.read(tmp_path / f"out-{name}", as_version=4).cells if c.cell_type == "code"
                   for o in c.outputs if "application/vnd.vegalite.v5+json" in o.get("data", {})]
        assert outputs, name
        specs = [o["data"]["application/vnd.vegalite.v5+json"] for o in outputs]
        assert all('"tooltip"' in json.dumps(s) for s in specs), name
        assert all("text/html" not in o["data"] for o in outputs), name
    # the starter's three charts: the communes' lines, the ranking (a click on a district picks its communes) and
    # the district's series
    explore = [o["data"]["application/vnd.vegalite.v5+json"] for c in nbformat.read(tmp_path / f"out-{EXPLORE}",
               as_version=4).cells if c.cell_type == "code" for o in c.outputs
               if "application/vnd.vegalite.v5+json" in o.get("data", {})]
    assert len(explore) == 3
    ranking = next(s for s in explore if "vconcat" in s)
    assert ranking["params"][0]["select"]["fields"] == ["district"] and ranking["params"][0]["views"] == ["parents"]


def _notebook(tmp_path, monkeypatch, name: str, *cells: str) -> Path:
    """notebooks/<name> in a folder of the test's own: a parameters cell, then `cells`; where the run keeps it."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x: int = 1  # a parameter"), *map(nbformat.v4.new_code_cell, cells)]
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (tmp_path / "nb").mkdir()
    nbformat.write(nb, tmp_path / "nb" / name)
    monkeypatch.setattr("analysis.run.notebooks.NOTEBOOKS", tmp_path / "nb")
    return tmp_path / "kept" / name


def test_a_failing_notebook_is_named_with_its_cell_and_kept(tmp_path, monkeypatch):
    out = _notebook(tmp_path, monkeypatch, "broken.ipynb", "1 / 0")
    with pytest.raises(NotebookFailed) as e:
        execute("broken.ipynb", out, {})
    assert e.value.line() == f"file broken.ipynb: cell 2 failed: ZeroDivisionError: division by zero (kept: {out})"
    assert out.exists()


def test_a_notebook_whose_kernel_dies_is_named_in_one_line_and_kept(tmp_path, monkeypatch):
    """A stage that runs out of memory kills its kernel: the run says so in one line naming the notebook (exit 1),
    not as an unexpected error, and keeps the notebook as far as it went."""
    out = _notebook(tmp_path, monkeypatch, "dies.ipynb", "print('before')", "import os\nos._exit(1)")
    with pytest.raises(NotebookFailed) as e:
        execute("dies.ipynb", out, {})
    assert e.value.line() == f"file dies.ipynb: its kernel died while it ran (out of memory, or killed) (kept: {out})"
    ran = [c for c in nbformat.read(out, as_version=4).cells if c.cell_type == "code"]
    assert [o.get("text") for o in ran[-2].outputs] == ["before\n"]
