"""Shared fixtures: samples are generated once and cached by the generator's hash (.cache/samples/), never into
data/; what a test writes goes to its own temporary folder. Under pytest-xdist (`make test` runs a worker per core)
a session fixture that builds something costly is built once for all the workers (`once`)."""
from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from analysis import paths
from analysis.sample.cache import sample
from analysis.sample.settings import DEFAULT_CONFIG

# The sample's province (the generator's ground truth, config/sample.yml): the code tests may name.
PROVINCE = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))["province_code"]
SHORT = ("2024-09", "2024-11")  # three months that include resubmissions and every operator's habits


# The modules that take longest, first, in this order; the rest as collected. pytest-xdist's loadscope hands a worker
# whole modules in the order they come (`make test` passes --no-loadscope-reorder: by default it orders them by their
# number of tests, which left the browser's few long tests to start last, 36 s after the other worker had finished).
# The chain's run and the notebooks start the two workers, so neither waits on a fixture the other is building; the
# browser and the kill tests, which read the chain's run, come next. Measured wall times: README, *Tests*.
FIRST = ("end_to_end/test_run.py", "integration/test_notebooks.py", "end_to_end/test_browser.py",
         "end_to_end/test_reliability.py", "integration/test_clean_cache.py", "integration/test_suites.py",
         "integration/test_partitions.py", "integration/test_clean.py", "integration/test_sample.py",
         "integration/test_warm_kernels.py", "unit/test_properties.py", "integration/test_national.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {f"tests/{module}": i for i, module in enumerate(FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(FIRST)))   # stable: the rest as collected


def once(tmp_path_factory, name: str, build: Callable[[Path], object]) -> tuple[Path, object]:
    """`build(folder)` run once in the whole test session, whichever worker asks first: the others wait on a lock
    and reuse the folder and what `build` returned (JSON). Without workers it is a plain session fixture. A build
    that fails leaves nothing behind, so the next worker to ask tries again and fails alike."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if base.name.startswith("popen-gw") else base   # the workers' common folder
    folder, done = shared / name, shared / f"{name}.done.json"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            folder.mkdir(exist_ok=True)
            value = build(folder)
            done.write_text(json.dumps(value, default=str), encoding="utf-8")
        return folder, json.loads(done.read_text(encoding="utf-8"))


def kept_clean_cache(name: str, processed: Path, clean: Callable[[], object]) -> object:
    """`clean()` into `processed`, starting from the clean cache (`<processed>/.cache/clean/`) that the last test
    session left under `name`, and keeping this one's for the next. Its entries are keyed by each raw file's content
    and by every module of the package, so after any change to the code every file is read again; after none, the
    session cleans from the cache, which `test_clean_cache.py` proves gives byte for byte what a full clean gives."""
    from analysis.clean.cache import FOLDER
    kept = paths.CACHE / "test-clean" / name
    if kept.exists():
        shutil.copytree(kept, processed / FOLDER)
    value = clean()
    if (processed / FOLDER).exists():   # swapped in whole: another session may be reading the last one
        fresh = kept.with_name(f"{name}.{os.getpid()}")
        shutil.copytree(processed / FOLDER, fresh)
        shutil.rmtree(kept, ignore_errors=True)
        try:
            fresh.rename(kept)
        except OSError:   # another session put its own there meanwhile: as good as this one
            shutil.rmtree(fresh, ignore_errors=True)
    return value


@pytest.fixture(scope="session")
def short_sample() -> Path:
    # Resubmissions are rare (3% of files); a short sample raises the rate so the tests see several. Written once
    # into .cache/samples/ and reused while the generator is unchanged; a test copies it before writing to it.
    return sample(seed=7, first_month=SHORT[0], last_month=SHORT[1], mess_rates={"resubmission": 0.2})


@pytest.fixture(scope="session")
def short_processed(short_sample, tmp_path_factory) -> tuple[Path, dict]:
    """The short sample cleaned once for the session (as of 25 November 2026): (folder, manifest). Read it, or copy
    it before writing into it."""
    from datetime import date

    from analysis.clean import stage
    return once(tmp_path_factory, "short-processed", lambda out: kept_clean_cache(
        "short", out, lambda: stage.run(short_sample / "raw", out, today=date(2026, 11, 25))))


@pytest.fixture(scope="session")
def full_sample() -> Path:
    return sample(seed=7)


@pytest.fixture(scope="session")
def full_processed(full_sample, tmp_path_factory) -> tuple[Path, dict]:
    """The full sample cleaned once for the tests that need the whole 2021-2026 series."""
    from datetime import date

    from analysis.clean import stage
    return once(tmp_path_factory, "full-processed", lambda out: kept_clean_cache(
        "full", out, lambda: stage.run(full_sample / "raw", out, today=date(2026, 11, 25))))


@pytest.fixture(scope="session")
def national_share(tmp_path_factory) -> tuple[Path, dict, dict]:
    """A share of the national set (two whole provinces, 60 months, 400,000 speed tests) and its clean at national
    scope: (folder with raw/, truth/, processed/; the generator's summary; the manifest)."""
    def build(root: Path) -> dict:
        from analysis.clean.stage import run as clean
        from analysis.sample.cache import national_sample
        # written once into .cache/samples/ like the province sample; read here, never written to
        written, meta = national_sample(seed=7, share=0.03, speed_tests=400_000)
        for folder in ("raw", "truth"):
            (root / folder).symlink_to(written / folder, target_is_directory=True)
        manifest = kept_clean_cache("national-share", root / "processed",
                                    lambda: clean(root / "raw", root / "processed", provinces="all"))
        return {"meta": meta, "manifest": manifest}
    root, built = once(tmp_path_factory, "national-share", build)
    return root, built["meta"], built["manifest"]
