"""The department's boundary files: GeoJSON and GeoParquet read to one outline per code, small enough for a page,
and a file that cannot be used stopped in one line naming it."""
from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely

from analysis import boundaries, maps
from analysis.errors import AnalysisError

SQUARE = {"type": "Polygon", "coordinates": [[[105.8, 21.5], [105.9, 21.5], [105.9, 21.6], [105.8, 21.6],
                                             [105.8, 21.5]]]}


def _geojson(tmp_path, features):
    path = tmp_path / "xa.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def test_a_geojson_gives_an_outline_per_code_rounded_to_11_metres(tmp_path):
    # a square with 200 points on each side, off by a millimetre here and there: simplified to its 4 corners
    side = [[105.8 + i * 0.0005, 21.5 + (0.00000001 if i % 2 else 0)] for i in range(201)]
    ring = side + [[105.9, 21.6], [105.8, 21.6], [105.8, 21.5]]
    path = _geojson(tmp_path, [{"type": "Feature", "properties": {"ma_xa": "05431"},
                                "geometry": {"type": "Polygon", "coordinates": [ring]}}])
    out = boundaries.read(path, "ma_xa")
    assert list(out) == ["05431"]
    assert shapely.equals(shapely.from_geojson(json.dumps(out["05431"])), shapely.from_geojson(json.dumps(SQUARE)))
    assert len(out["05431"]["coordinates"][0]) == 5


def test_a_geoparquet_reads_the_same(tmp_path):
    path = tmp_path / "xa.parquet"
    table = pa.table({"ma_xa": ["05431"], "geometry": [shapely.to_wkb(shapely.from_geojson(json.dumps(SQUARE)))]})
    table = table.replace_schema_metadata({"geo": json.dumps({"primary_column": "geometry", "version": "1.0.0"})})
    pq.write_table(table, path)
    out = boundaries.read(path, "ma_xa")
    assert shapely.equals(shapely.from_geojson(json.dumps(out["05431"])), shapely.from_geojson(json.dumps(SQUARE)))


def test_a_file_without_the_code_property_is_one_line_naming_it(tmp_path):
    path = _geojson(tmp_path, [{"type": "Feature", "properties": {"ten": "Xã A"}, "geometry": SQUARE}])
    with pytest.raises(AnalysisError) as err:
        boundaries.read(path, "ma_xa")
    assert "feature 1 has no 'ma_xa'" in str(err.value) and "ten" in str(err.value) and "xa.geojson" in str(err.value)
    (tmp_path / "bad.geojson").write_text("{not json", encoding="utf-8")
    with pytest.raises(AnalysisError, match="cannot read the boundaries"):
        boundaries.read(tmp_path / "bad.geojson", "ma_xa")


def test_a_map_draws_outlined_units_as_areas_and_the_rest_as_dots(tmp_path):
    places = [{"p": 0, "l": "commune", "c": "05431"}, {"p": 1, "l": "commune", "c": "05434"}]
    path = _geojson(tmp_path, [{"type": "Feature", "properties": {"ma_xa": "05431"}, "geometry": SQUARE}])
    features = maps._features(places, {"commune": {"path": str(path), "code": "ma_xa"}})
    assert [f["p"] for f in features] == [0]
    assert shapely.equals(shapely.from_geojson(json.dumps(features[0]["geometry"])),
                          shapely.from_geojson(json.dumps(SQUARE)))
    layers = maps._layers("vi", None, shapes=True)
    assert layers[0]["mark"]["type"] == "geoshape" and layers[0]["transform"] == [{"filter": "datum.geo != null"}]
    assert layers[1]["mark"]["type"] == "circle" and layers[1]["transform"] == [{"filter": "datum.geo == null"}]
