"""Skipping a stage whose inputs have not changed: a stamp is the hash of its input files, its parameters and the
code; equal stamps and outputs present mean the stage's outputs are already what it would write."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from analysis import io
from analysis.run.config import ROOT

CODE = [ROOT / "src" / "analysis", ROOT / "notebooks", ROOT / "expectations" / "gx", ROOT / "config" / "targets"]
CODE_SUFFIXES = {".py", ".ipynb", ".yml", ".json", ".j2", ".css"}


def files_hash(paths: list[Path]) -> str:
    """sha256 over the files' relative names and contents (folders walked, in a fixed order)."""
    h = hashlib.sha256()
    for base in paths:
        if not base.exists():
            h.update(f"missing:{base}".encode())
            continue
        files = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else [base]
        for p in files:
            if p.name.startswith(".") or "__pycache__" in p.parts or p.name.endswith(".lock"):
                continue
            h.update(str(p.relative_to(base) if base.is_dir() else p.name).encode())
            h.update(bytes.fromhex(io.sha256(p)))
    return h.hexdigest()


def code_version() -> str:
    """A hash of the code the run executes: the package, notebooks, suites and target sets."""
    h = hashlib.sha256()
    for base in CODE:
        for p in sorted(base.rglob("*")):
            if p.is_file() and p.suffix in CODE_SUFFIXES and "__pycache__" not in p.parts:
                h.update(str(p.relative_to(ROOT)).encode())
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
