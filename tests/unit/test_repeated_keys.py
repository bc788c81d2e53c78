"""Repeated keys found a share of the hashes at a time (`repeated_keys`): the same repeats whatever the number of
passes, so memory can stay bounded on a table of any size."""
from datetime import date

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis import repeated_keys
from analysis.clean.repeats import split_repeats, split_repeats_on_files


@pytest.mark.parametrize("bucket_rows, passes", [(1_000, 1), (3, 3), (1, 8)])
def test_the_repeated_keys_are_the_same_in_any_number_of_passes(monkeypatch, bucket_rows, passes):
    monkeypatch.setattr(repeated_keys, "BUCKET_ROWS", bucket_rows)
    ids = ["a", "b", "a", "c", "d", "d", "d", "e"]   # a twice, d three times: by hand
    table = pl.LazyFrame({"id": ids})
    assert repeated_keys.passes(len(ids)) == passes
    found = repeated_keys.repeated_hashes(table, pl.col("id").hash(), len(ids))
    assert found.to_list() == sorted(pl.Series(["a", "d"]).hash().to_list())


def test_rows_set_aside_across_files_are_the_same_in_several_passes(monkeypatch, tmp_path):
    """The query's split (kept and set aside) against `split_repeats` on the same rows held whole, which finds
    repeats by grouping the keys themselves: with one pass and with seven."""
    rng = np.random.default_rng(3)
    paths = []
    for k in range(4):
        n = 5_000
        part = pl.DataFrame({"test_id": pl.Series(rng.integers(0, 12_000, n)).cast(pl.String),
                             "mbps": rng.integers(0, 3, n), "source_file": f"f{k}.csv", "_t": k, "_row": range(n)})
        paths.append(tmp_path / f"part-{k}.parquet")
        part.write_parquet(paths[-1])
    whole = pl.concat([pl.read_parquet(p) for p in paths])
    held_kept, held_bad = split_repeats(whole, ["test_id"])
    assert held_bad.height > 1_000   # repeats both identical and conflicting
    for bucket_rows in (1_000_000, 3_000):
        monkeypatch.setattr(repeated_keys, "BUCKET_ROWS", bucket_rows)
        kept, bad = split_repeats_on_files(pl.concat([pl.scan_parquet(p) for p in paths]), ["test_id"])
        assert_frame_equal(kept.collect(), held_kept)
        shown = ["test_id", "mbps", "source_file", "_row", "_why"]   # (the positions `split_repeats` numbers differ)
        assert_frame_equal(bad.select(shown), held_bad.select(shown))


def test_a_month_of_the_rows_kept_is_read_from_the_files_themselves(tmp_path):
    """The table is written a month at a time, each month a run of the kept rows' query filtered to it
    (`writing.write_by_month`): the filter must reach the files, so a month reads its own row groups, not every
    file's; and the rows come out as the whole query's rows of that month, set-aside ones left out. (Rows set
    aside by their position in the query, as before 3 December 2026, kept the filter above the join.)"""
    paths = []
    for k, month in enumerate((1, 2, 3)):
        n = 1_000
        part = pl.DataFrame({"test_id": [f"T{k}-{i % 900}" for i in range(n)],   # 100 repeats in each file
                             "period": date(2024, month, 1), "mbps": pl.int_range(n, eager=True) % 7,
                             "source_file": f"f{k}.csv", "_t": k, "_row": pl.int_range(n, eager=True)})
        paths.append(tmp_path / f"batch-{k}.parquet")
        part.write_parquet(paths[-1])
    kept, bad = split_repeats_on_files(pl.concat([pl.scan_parquet(p) for p in paths]), ["test_id"])
    february = kept.filter(pl.col("period") == date(2024, 2, 1))
    plan = february.explain()
    assert "SELECTION" in plan and not plan.lstrip().startswith("FILTER"), plan
    assert february.collect().equals(kept.collect().filter(pl.col("period") == date(2024, 2, 1)))
    # 900 distinct ids a file; the 100 ids written twice conflict (different mbps), so both of their rows go
    assert february.collect().height == 800 and bad.height == 600
