"""Warm kernels (issue 21, item 1): a worker's kernel runs notebook after notebook, and each notebook sees what a
fresh kernel would show it."""
from __future__ import annotations

import nbformat
import pytest

from analysis.run import kernels
from analysis.run.notebooks import NotebookFailed, execute, new_kernel

pytestmark = pytest.mark.slow


def _notebook(path, *sources: str) -> str:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(nb, path)
    return str(path)


def test_one_kernel_runs_notebooks_in_turn_and_none_sees_the_last_one_s_names(tmp_path):
    first = _notebook(tmp_path / "a.ipynb", "x = 1",
                      "names = dir()  # the notebook's (dir() within the comprehension would be the comprehension's)\n"
                      "print(sorted(n for n in ('charts', 'polars', 'engine', 'templating') if n in names))",
                      "leak = x * 41\nimport os\nos.chdir('/')")
    second = _notebook(tmp_path / "b.ipynb", "x = 2",
                       "names = dir()\nimport os, sys\nseen = sorted(n for n in ('leak', 'os') if n in names)\n"
                       "where = os.getcwd()\nwarm = 'analysis.report' in sys.modules\nprint(seen, where, warm)")
    workers = kernels.Workers(1, new_kernel)
    try:
        pids = []
        outs = []
        for i, nb in enumerate((first, second, first)):
            def job(km, nb=nb, i=i):
                pids.append(km.provisioner.pid)
                return execute(nb, tmp_path / f"out-{i}.ipynb", {"x": i}, km=km)
            outs.append(workers.submit(job).result(timeout=300))
    finally:
        workers.close()
    assert len(set(pids)) == 1                        # one kernel for the three notebooks
    # the first notebook finds none of the warm-up's names (its modules are loaded, its names are not)
    (names,) = [c for c in nbformat.read(outs[0], as_version=4).cells if c.source.startswith("names = dir()")]
    assert names.outputs[0]["text"].strip() == "[]"
    b = nbformat.read(outs[1], as_version=4)
    code = [c for c in b.cells if c.cell_type == "code"]
    # the names of the notebook before are gone, the folder is the notebooks' again, the imports are warm
    from analysis import paths
    assert code[-1].outputs[0]["text"].strip() == f"[] {paths.NOTEBOOKS} True"
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))   # counted from 1, as fresh
    # and the kernel said nothing of its own into any notebook (IPython's history complaining of a line number)
    for out in outs:
        said = [o for c in nbformat.read(out, as_version=4).cells if c.cell_type == "code" for o in c.outputs
                if o.get("name") == "stderr"]
        assert said == [], said


def test_a_notebook_that_kills_its_kernel_leaves_a_new_one_for_the_next(tmp_path):
    """And the notebook that killed it is kept as far as it went, to be read."""
    crash = _notebook(tmp_path / "crash.ipynb", "x = 0", "print('before')", "import os\nos._exit(1)")
    fine = _notebook(tmp_path / "fine.ipynb", "x = 0", "print(x + 1)")
    workers = kernels.Workers(1, new_kernel)
    try:
        failed = workers.submit(lambda km: execute(crash, tmp_path / "c.ipynb", {}, km=km))
        with pytest.raises(NotebookFailed, match="its kernel died while it ran"):
            failed.result(timeout=300)
        out = workers.submit(lambda km: execute(fine, tmp_path / "f.ipynb", {"x": 4}, km=km)).result(timeout=300)
    finally:
        workers.close()
    cells = [c for c in nbformat.read(out, as_version=4).cells if c.cell_type == "code"]
    assert cells[-1].outputs[0]["text"].strip() == "5"
    died = [c for c in nbformat.read(tmp_path / "c.ipynb", as_version=4).cells if c.cell_type == "code"]
    assert [o.get("text") for o in died[-2].outputs] == ["before\n"] and died[-1].outputs == []


def test_a_notebook_that_fails_is_written_with_its_error_for_inspection(tmp_path):
    """A warm kernel's notebook is written once, at its end (not before every cell): a failed one still is, with
    the cells that ran, their outputs and the error, and the run names the failing cell."""
    from analysis.run.notebooks import NotebookFailed
    bad = _notebook(tmp_path / "bad.ipynb", "x = 0", "print('before')", "1 / x", "print('never')")
    workers = kernels.Workers(1, new_kernel)
    try:
        failed = workers.submit(lambda km: execute(bad, tmp_path / "out.ipynb", {"x": 0}, km=km))
        with pytest.raises(NotebookFailed) as caught:
            failed.result(timeout=300)
    finally:
        workers.close()
    assert caught.value.ename == "ZeroDivisionError"
    code = [c for c in nbformat.read(tmp_path / "out.ipynb", as_version=4).cells if c.cell_type == "code"]
    texts = [[o.get("text", o.get("ename")) for o in c.outputs] for c in code]
    assert ["before\n"] in texts and ["ZeroDivisionError"] in texts and code[-1].outputs == []


def test_a_stage_s_own_kernel_runs_the_warm_up_it_is_given_instead_of_the_pages(tmp_path):
    """Validation's kernel (`Stage.warm_up`) imports Great Expectations while clean runs, not the pages' modules:
    the notebook then finds that import done, no warm-up name, and no page module loaded."""
    printed = _printed_after(tmp_path, "import xml.dom.minidom as minidom",
                             "print('xml.dom.minidom' in sys.modules, 'analysis.report' in sys.modules, "
                             "'minidom' in dir())")
    assert printed == "True False False"


def _printed_after(tmp_path, warm_up: str, code: str) -> str:
    """What `code` (after `import sys`) prints in a notebook run by a one-kernel worker warmed with `warm_up`."""
    nb = _notebook(tmp_path / "v.ipynb", "x = 1", f"import sys\n{code}")
    workers = kernels.Workers(1, new_kernel, warm_up=warm_up)
    try:
        out = workers.submit(lambda km: execute(nb, tmp_path / "out.ipynb", {"x": 2}, km=km)).result(timeout=300)
    finally:
        workers.close()
    printed = [c for c in nbformat.read(out, as_version=4).cells if c.source.startswith("import sys")][0]
    return printed.outputs[0]["text"].strip()


def test_a_warm_up_that_imports_jsonschema_first_still_finds_the_iri_grammar_marked_absent(tmp_path):
    """Validation's warm-up imports Great Expectations (and with it jsonschema) before anything of ours: the
    kernel imports `analysis` first, so jsonschema does not compile rfc3987-syntax's grammar there either
    (1.5-1.8 s of CPU)."""
    printed = _printed_after(tmp_path, "import jsonschema",
                             "print(repr(sys.modules.get('rfc3987_syntax', 'never imported')), "
                             "'jsonschema' in sys.modules)")
    assert printed == "None True"
