"""What an operator of the scheduled run sees: outputs a colleague can read, a code hash JupyterLab's checkpoints
do not change, a run configuration whose paths are the project's and whose provinces are its own."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import paths
from analysis.errors import AnalysisError
from analysis.run import config
from analysis.run.stamps import code_version, files_hash


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_outputs_follow_the_umask(tmp_path, umask, mode):
    # A fresh interpreter: the umask is read when analysis.io is imported.
    code = ("import sys; from pathlib import Path; import polars as pl; from analysis import io; "
            "d = Path(sys.argv[1]); io.write_text('x', d / 'page.html'); io.write_json({}, d / 'run.json'); "
            "io.write_parquet(pl.DataFrame({'a': [1]}), d / 't.parquet')")
    subprocess.run([sys.executable, "-c", f"import os; os.umask({umask}); exec({code!r})", str(tmp_path)], check=True)
    for name in ("page.html", "run.json", "t.parquet"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode, name


def test_editor_files_never_enter_the_code_hash():
    before = code_version()
    checkpoints = paths.NOTEBOOKS / ".ipynb_checkpoints"
    made = not checkpoints.exists()
    try:
        checkpoints.mkdir(exist_ok=True)
        (checkpoints / "zz-test-checkpoint.ipynb").write_text("{}", encoding="utf-8")
        (paths.NOTEBOOKS / "zz-test.ipynb~").write_text("{}", encoding="utf-8")
        assert code_version() == before
    finally:
        (checkpoints / "zz-test-checkpoint.ipynb").unlink(missing_ok=True)
        (paths.NOTEBOOKS / "zz-test.ipynb~").unlink(missing_ok=True)
        if made:
            checkpoints.rmdir()


def test_a_raw_folder_s_hash_ignores_hidden_folders(tmp_path):
    (tmp_path / "a.csv").write_text("x", encoding="utf-8")
    before = files_hash([tmp_path])
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "a-checkpoint.csv").write_text("y", encoding="utf-8")
    assert files_hash([tmp_path]) == before
    (tmp_path / "b.csv").write_text("y", encoding="utf-8")
    assert files_hash([tmp_path]) != before


def test_paths_in_the_file_are_the_project_s_and_flags_the_caller_s(tmp_path, monkeypatch):
    cfg_file = tmp_path / "run.yml"
    cfg_file.write_text('raw: data/raw\nprocessed: out/p\nprovinces: ["19"]\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    cfg = config.load(cfg_file, {"reports": Path("here")})
    assert cfg.raw == paths.ROOT / "data" / "raw" and cfg.processed == paths.ROOT / "out" / "p"
    assert cfg.reports == tmp_path / "here"


def test_the_run_s_provinces_come_from_its_configuration(tmp_path):
    cfg_file = tmp_path / "run.yml"
    cfg_file.write_text("provinces: 19,6\n", encoding="utf-8")
    assert config.load(cfg_file, {}).provinces == ["19", "06"]
    assert config.load(cfg_file, {"provinces": "all"}).provinces == "all"
    cfg_file.write_text("lang: vi\n", encoding="utf-8")
    with pytest.raises(AnalysisError, match="provinces: Field required"):
        config.load(cfg_file, {})
    cfg_file.write_text("provinces: ['99']\n", encoding="utf-8")
    with pytest.raises(AnalysisError, match="provinces: unknown province code"):
        config.load(cfg_file, {})


def test_no_province_or_district_code_is_written_in_the_code_or_the_notebooks():
    """Not in code, docstrings, help texts or examples either: the codes live in config/ and the geography."""
    import re
    # A quoted two-digit province, three-digit district or five-digit commune code, a list of them, or "19,06".
    code = re.compile(r"""["'\[](0[1-9]|[1-9][0-9]|[0-9]{3}|[0-9]{5})["'\]]|["'][0-9]{2}(,[0-9]{2})+["']""")
    found = []
    for p in [*paths.PACKAGE.rglob("*.py"), *paths.NOTEBOOKS.glob("*.ipynb")]:
        if "sample" in p.relative_to(paths.ROOT).parts:
            continue   # the sample generator writes its own province's files
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            if code.search(line.replace('\\"', '"')):
                found.append(f"{p.relative_to(paths.ROOT)}:{n}: {line.strip()}")
    assert found == []
