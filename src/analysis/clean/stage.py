"""`python -m analysis clean`: every raw file read, every row kept, quarantined or counted as non-data."""
from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import polars as pl

from analysis import __version__, io
from analysis.areas import reference_areas
from analysis.clean import values
from analysis.clean.parse import ParseError, date_in_title, parse_count, parse_date, parse_period
from analysis.clean.readers import Table, find_table, read_grids
from analysis.clean.resolve import AreaResolver
from analysis.errors import AnalysisError
from analysis.names import fold, header_key

# Kinds this stage turns into tables today; files of the other kinds are found, hashed and counted as
# "not cleaned yet" in the manifest (issue 3 adds them), so no row goes unaccounted.
CLEANED_KINDS = ("subscribers", "population")
TOTAL_WORDS = ("tong cong", "tong so", "cong huyen", "cong toan", "total", "sum ")
QUARANTINE_SCHEMA = {"source_file": pl.String, "sheet": pl.String, "row_number": pl.Int64, "kind": pl.String,
                     "reason": pl.String, "raw": pl.String}


@dataclass
class Account:
    """Row accounting for one input file: rows read = kept + quarantined + non-data + superseded + not cleaned."""
    path: str
    sha256: str
    kinds: set[str] = field(default_factory=set)
    rows_read: int = 0
    kept: int = 0
    quarantined: int = 0
    non_data: Counter = field(default_factory=Counter)
    superseded: int = 0
    not_cleaned: int = 0
    encoding: str | None = None
    submitted: str | None = None
    submitted_rule: str | None = None

    def balanced(self) -> bool:
        return self.rows_read == (self.kept + self.quarantined + sum(self.non_data.values()) + self.superseded
                                  + self.not_cleaned)


def _raw_text(cells: list[str | None]) -> str:
    return " | ".join("" if c is None else c for c in cells)


def _non_data(table: Table, cells: list[str | None]) -> str | None:
    if all(c is None for c in cells):
        return "blank"
    keys = {header_key(c) for c in cells if c}
    if len(keys & table.header_keys) >= max(3, len(table.header_keys) // 2):
        return "repeated_header"
    for c in cells:
        if c and fold(c).strip().startswith(TOTAL_WORDS) and not any(ch.isdigit() for ch in c[:6]):
            return "totals"
    return None


class Cleaner:
    def __init__(self, raw: Path) -> None:
        self.raw = raw
        self.resolver = AreaResolver(reference_areas())
        self.quarantine: list[dict] = []
        self.accounts: dict[str, Account] = {}
        self.records: dict[str, list[dict]] = defaultdict(list)  # kind -> parsed rows (with file and row)
        self.file_meta: dict[str, dict] = {}

    def _quarantine(self, t: Table, row: int, reason: str, cells: list[str | None]) -> None:
        self.quarantine.append({"source_file": t.file, "sheet": t.sheet, "row_number": row, "kind": t.kind.name,
                                "reason": reason, "raw": _raw_text(cells)})
        self.accounts[t.file].quarantined += 1

    def read_file(self, path: Path) -> None:
        rel = path.relative_to(self.raw).as_posix()
        acc = self.accounts[rel] = Account(rel, io.sha256(path))
        try:
            grids, acc.encoding = read_grids(path)
        except AnalysisError as exc:
            self.quarantine.append({"source_file": rel, "sheet": None, "row_number": None, "kind": None,
                                    "reason": exc.message, "raw": ""})
            return
        for sheet, grid in grids:
            acc.rows_read += len(grid)
            table = find_table(rel, sheet, grid, acc.encoding)
            if table is None:
                acc.non_data["no_known_header"] += len(grid)
                self.quarantine.append({"source_file": rel, "sheet": sheet, "row_number": None, "kind": None,
                                        "reason": "no header row of a known kind in the first 30 rows", "raw": ""})
                continue
            acc.kinds.add(table.kind.name)
            acc.non_data["title"] += table.rows_above
            acc.non_data["header"] += len(table.header_rows)
            for line in table.titles:
                d = date_in_title(line)
                if d:
                    self.file_meta.setdefault(rel, {})["title_date"] = d
            if table.kind.name not in CLEANED_KINDS:
                acc.not_cleaned += len(table.rows)
                continue
            parse_row = getattr(self, f"_row_{table.kind.name}")
            for number, cells in table.rows:
                why = _non_data(table, cells)
                if why:
                    acc.non_data[why] += 1
                    continue
                cols = {name: (cells[i] if i < len(cells) else None) for i, name in table.columns.items()}
                try:
                    rec = parse_row(cols)
                except ParseError as exc:
                    self._quarantine(table, number, str(exc), cells)
                    continue
                rec.update(source_file=rel, _row=number)
                self.records[table.kind.name].append(rec)
                acc.kept += 1

    def _area(self, cols: dict) -> tuple[str, str]:
        code, district, how = self.resolver.commune(cols.get("district"), cols.get("commune"))
        if code is None:
            raise ParseError(how)
        return code, district

    def _row_subscribers(self, cols: dict) -> dict:
        commune, district = self._area(cols)
        service = values.service(cols.get("service"))
        if service is None:
            raise ParseError(f"service not recognised: {cols.get('service')!r}")
        segment = values.segment(cols.get("segment")) if service in values.FIXED else None
        if service in values.FIXED and segment is None:
            raise ParseError(f"segment not recognised for fixed service: {cols.get('segment')!r}")
        n = parse_count(cols.get("subscribers"))
        if n is None:
            raise ParseError("subscribers is empty")
        submitted = parse_date(cols["submitted"]) if cols.get("submitted") else None
        return {"period": parse_period(cols.get("period")), "operator": values.operator(cols.get("operator")),
                "district_code": district, "commune_code": commune, "service": service, "segment": segment,
                "subscribers": n, "submitted": submitted}

    def _row_population(self, cols: dict) -> dict:
        commune, district = self._area(cols)
        year = parse_count(cols.get("year"))
        if year is None or not 1990 <= year <= 2100:
            raise ParseError(f"not a year: {cols.get('year')!r}")
        out = {"commune_code": commune, "district_code": district, "year": year}
        for k in ("population", "adults", "households"):
            out[k] = parse_count(cols.get(k))
        if out["population"] is None or out["households"] is None:
            raise ParseError("population or households is empty")
        return out

    def resolve_resubmissions(self, kind: str, raw: Path) -> tuple[list[dict], list[dict]]:
        """Keep, per operator and month, the rows of the latest submission; list what was replaced and why."""
        by_file: dict[str, list[dict]] = defaultdict(list)
        for r in self.records[kind]:
            by_file[r["source_file"]].append(r)
        groups: dict[tuple, list[tuple[tuple, str, str]]] = defaultdict(list)
        for f, rows in by_file.items():
            stated = [r["submitted"] for r in rows if r.get("submitted")]
            if stated:
                when, rule = (max(stated), datetime.min.time()), "submitted column"
            elif "title_date" in self.file_meta.get(f, {}):
                when, rule = (self.file_meta[f]["title_date"], datetime.min.time()), "date in title line"
            else:
                mtime = datetime.fromtimestamp((raw / f).stat().st_mtime)
                when, rule = (mtime.date(), mtime.time()), "file modification time"
            self.accounts[f].submitted, self.accounts[f].submitted_rule = f"{when[0]} {when[1]}", rule
            periods = Counter(r["period"] for r in rows)
            ops = Counter(r["operator"] for r in rows)
            groups[(ops.most_common(1)[0][0], periods.most_common(1)[0][0])].append((when, f, rule))
        kept, replaced = [], []
        for (op, period), subs in groups.items():
            subs.sort()
            latest = subs[-1][1]
            kept.extend(by_file[latest])
            for when, f, rule in subs[:-1]:
                replaced.append({"file": f, "replaced_by": latest, "operator": op, "period": str(period),
                                 "rule": f"later by {subs[-1][2]}"})
                self.accounts[f].kept -= len(by_file[f])
                self.accounts[f].superseded += len(by_file[f])
        return kept, replaced


def run(raw: Path, processed: Path) -> dict:
    """Clean every file under `raw` into `processed`; return the manifest (also written as manifest.json)."""
    if not raw.is_dir():
        raise AnalysisError("raw folder not found", file=str(raw))
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    c = Cleaner(raw)
    files = sorted(p for p in raw.rglob("*") if p.is_file() and p.name != "README.md" and not p.name.startswith("."))
    for p in files:
        c.read_file(p)
    outputs: dict[str, pl.DataFrame] = {"reference_areas": reference_areas()}
    replaced: list[dict] = []
    if c.records["subscribers"]:
        rows, replaced = c.resolve_resubmissions("subscribers", raw)
        frame = pl.DataFrame(rows, infer_schema_length=None).drop("submitted", "_row")
        # A commune split over two rows is one figure: sum rows with the same key, keep the file it came from.
        outputs["subscribers"] = (frame.group_by("period", "operator", "district_code", "commune_code", "service",
                                                 "segment", "source_file")
                                  .agg(pl.col("subscribers").sum())
                                  .with_columns(province_code=pl.lit("19"))
                                  .select("period", "operator", "province_code", "district_code", "commune_code",
                                          "service", "segment", "subscribers", "source_file")
                                  .sort("period", "operator", "commune_code", "service", "segment"))
    if c.records["population"]:
        outputs["population"] = (pl.DataFrame(c.records["population"], infer_schema_length=None).drop("_row")
                                 .unique(["commune_code", "year"], keep="last").sort("commune_code", "year"))
    outputs["quarantine"] = pl.DataFrame(c.quarantine, schema=QUARANTINE_SCHEMA)
    for name, frame in outputs.items():
        io.write_parquet(frame, processed / f"{name}.parquet")
    unbalanced = [a.path for a in c.accounts.values() if not a.balanced()]
    manifest = {
        "stage": "clean", "code_version": __version__,
        "parameters": {"raw": str(raw), "processed": str(processed)},
        "started": started.isoformat(), "finished": datetime.now(timezone.utc).isoformat(),
        "seconds": round(time.perf_counter() - t0, 2),
        "inputs": [{**{k: v for k, v in vars(a).items() if k not in ("kinds", "non_data")},
                    "kinds": sorted(a.kinds), "non_data": dict(a.non_data)} for a in c.accounts.values()],
        "outputs": [{"path": f"{name}.parquet", "rows": frame.height} for name, frame in outputs.items()],
        "replaced": replaced,
        "kinds_found": sorted({k for a in c.accounts.values() for k in a.kinds}),
        "kinds_cleaned": [k for k in CLEANED_KINDS if k in outputs],
        "unbalanced": unbalanced,
    }
    io.write_json(manifest, processed / "manifest.json")
    if unbalanced:
        raise AnalysisError(f"row accounting does not balance for {len(unbalanced)} file(s), e.g. {unbalanced[0]}")
    return manifest
