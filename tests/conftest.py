"""Shared fixtures: samples are generated once and cached by the generator's hash (.cache/samples/), never into
data/; what a test writes goes to its own temporary folder."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from analysis.sample.cache import sample
from analysis.sample.settings import DEFAULT_CONFIG

# The sample's province (the generator's ground truth, config/sample.yml): the code tests may name.
PROVINCE = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))["province_code"]
SHORT = ("2024-09", "2024-11")  # three months that include resubmissions and every operator's habits


@pytest.fixture(scope="session")
def short_sample() -> Path:
    # Resubmissions are rare (3% of files); a short sample raises the rate so the tests see several. Written once
    # into .cache/samples/ and reused while the generator is unchanged; a test copies it before writing to it.
    return sample(seed=7, first_month=SHORT[0], last_month=SHORT[1], mess_rates={"resubmission": 0.2})


@pytest.fixture(scope="session")
def full_sample() -> Path:
    return sample(seed=7)


@pytest.fixture(scope="session")
def full_processed(full_sample, tmp_path_factory) -> tuple[Path, dict]:
    """The full sample cleaned once for the tests that need the whole 2021-2026 series."""
    from datetime import date

    from analysis.clean import stage
    out = tmp_path_factory.mktemp("full-processed")
    return out, stage.run(full_sample / "raw", out, today=date(2026, 11, 25))
