"""Boundaries the department supplies, so that maps draw areas instead of points: per level (district, commune,
commune_2025) a GeoJSON or GeoParquet file and the property holding each unit's statistics-office code, named in
`config/run.yml` under `boundaries`. Read with shapely; each outline simplified to about 50 m and its coordinates
rounded to 4 decimals (11 m), so that a commune map stays a few hundred kilobytes in a page.
"""
from __future__ import annotations

import json
from pathlib import Path

from analysis.errors import AnalysisError

LEVELS = ("district", "commune", "commune_2025")
TOLERANCE = 0.0005   # degrees, about 50 m: finer than a dot on a phone's province map
DIGITS = 4


def _features(path: Path) -> list[tuple[dict, object]]:
    """(properties, shapely geometry) of each feature of a GeoJSON or GeoParquet file."""
    import shapely
    if path.suffix.lower() in (".parquet", ".geoparquet"):
        import pyarrow.parquet as pq
        table = pq.read_table(path)
        meta = json.loads((table.schema.metadata or {}).get(b"geo", b"{}"))
        column = meta.get("primary_column", "geometry")
        if column not in table.column_names:
            raise AnalysisError(f"no geometry column {column!r} (GeoParquet's primary column)", file=str(path))
        rows = table.drop([column]).to_pylist()
        return list(zip(rows, shapely.from_wkb(table.column(column).to_pylist())))
    data = json.loads(path.read_text(encoding="utf-8"))
    features = data.get("features") if isinstance(data, dict) else None
    if features is None:
        raise AnalysisError("not a GeoJSON FeatureCollection", file=str(path))
    return [(f.get("properties") or {}, shapely.from_geojson(json.dumps(f["geometry"]))) for f in features
            if f.get("geometry")]


def read(path: str | Path, code: str) -> dict[str, dict]:
    """code -> GeoJSON geometry (simplified, rounded) of every feature of the file; one line naming the file when it
    cannot be read or a feature has no code."""
    import shapely
    path = Path(path)
    if not path.exists():
        raise AnalysisError("boundary file not found", file=str(path))
    try:
        features = _features(path)
    except AnalysisError:
        raise
    except Exception as exc:   # shapely, pyarrow and json say what is wrong in their own words
        raise AnalysisError(f"cannot read the boundaries: {type(exc).__name__}: {str(exc).splitlines()[0]}",
                            file=str(path)) from None
    out = {}
    for i, (props, geom) in enumerate(features, start=1):
        value = props.get(code)
        if value in (None, ""):
            raise AnalysisError(f"feature {i} has no {code!r} (the code property named in config/run.yml); "
                                f"properties: {', '.join(sorted(props)) or 'none'}", file=str(path))
        simple = shapely.set_precision(shapely.simplify(geom, TOLERANCE), 10 ** -DIGITS)
        out[str(value).strip()] = json.loads(shapely.to_geojson(simple))
    return out


def load(spec: dict | None) -> dict[str, dict[str, dict]]:
    """level -> code -> geometry, for the levels the department supplies."""
    return {level: read(item["path"], item["code"]) for level, item in (spec or {}).items()}
