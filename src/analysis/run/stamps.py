"""Skipping a stage whose inputs have not changed: a stamp is the hash of its input files, its parameters and the
code; equal stamps and outputs present mean the stage's outputs are already what it would write."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from analysis import io, paths

# What the run executes: the package, the notebooks, the suites and the configuration that is code (indicators,
# target sets, the report list). config/run.yml is not: its values are the stages' parameters, stamped as such.
CODE = [paths.PACKAGE, paths.NOTEBOOKS, paths.EXPECTATIONS / "gx", paths.CONFIG / "targets",
        paths.CONFIG / "indicators", paths.CONFIG / "reports.yml"]
CODE_SUFFIXES = {".py", ".ipynb", ".yml", ".json", ".j2", ".css", ".js", ".html"}


def _editor_file(p: Path, base: Path) -> bool:
    """Files an editor or JupyterLab leaves beside the code (.ipynb_checkpoints/, .foo.swp, foo~, __pycache__/):
    opening `make lab` must not make the next run redo everything."""
    parts = p.relative_to(base).parts if base.is_dir() else (p.name,)
    return any(x.startswith(".") or x == "__pycache__" for x in parts) or p.name.endswith("~")


def files_hash(paths: list[Path]) -> str:
    """sha256 over the files' relative names and contents (folders walked, in a fixed order)."""
    h = hashlib.sha256()
    for base in paths:
        if not base.exists():
            h.update(f"missing:{base}".encode())
            continue
        files = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else [base]
        for p in files:
            if _editor_file(p, base) or p.name.endswith(".lock"):
                continue
            h.update(str(p.relative_to(base) if base.is_dir() else p.name).encode())
            h.update(bytes.fromhex(io.sha256(p)))
    return h.hexdigest()


def code_version() -> str:
    """A hash of the code the run executes: the package, notebooks, suites and target sets."""
    h = hashlib.sha256()
    for base in CODE:
        files = sorted(base.rglob("*")) if base.is_dir() else [base] if base.exists() else []
        for p in files:
            if p.is_file() and p.suffix in CODE_SUFFIXES and not _editor_file(p, base):
                h.update(str(p.relative_to(paths.ROOT)).encode())
                h.update(p.read_bytes())
    return h.hexdigest()[:16]


class Stamps:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    @staticmethod
    def key(inputs: list[Path], params: dict, code: str) -> str:
        blob = json.dumps({"inputs": files_hash(inputs), "params": params, "code": code}, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()

    def fresh(self, stage: str, key: str, outputs: list[Path]) -> bool:
        return self.data.get(stage) == key and all(p.exists() for p in outputs)

    def done(self, stage: str, key: str) -> None:
        self.data[stage] = key
        io.write_json(self.data, self.path)

    def forget(self, stage: str) -> None:
        self.data.pop(stage, None)
        io.write_json(self.data, self.path)
