"""Fixtures the unit tests share."""
from __future__ import annotations

import json
from concurrent.futures import Future

import pytest

from analysis import geography
from analysis.areas import reference_areas
from tests.conftest import PROVINCE


@pytest.fixture(scope="session")
def geo_folder(tmp_path_factory):
    """A processed folder holding only what cleaning writes of the geography: the department's province and Bắc
    Kạn (06), which joined it."""
    folder = tmp_path_factory.mktemp("processed")
    reference_areas([PROVINCE, "06"]).write_parquet(folder / "reference_areas.parquet")
    (folder / "manifest.json").write_text(json.dumps({"provinces": [PROVINCE, "06"], "primary": PROVINCE}))
    return folder


@pytest.fixture(scope="session")
def geo(geo_folder):
    """The run's geography as cleaning writes it."""
    return geography.load(geo_folder)


WARM = object()   # the kernel a fake worker hands its jobs


class InlineWorkers:
    """The runner's workers (`run.kernels.Workers`) without kernels: each job runs at once, on the caller's thread,
    given `WARM` as its kernel."""

    def submit(self, fn):
        future = Future()
        try:
            future.set_result(fn(WARM))
        except BaseException as exc:
            future.set_exception(exc)
        return future
