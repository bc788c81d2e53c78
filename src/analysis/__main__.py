"""Command line: `python -m analysis sample|clean|validate|indicators|trajectories|run|sql`, one convention for
all."""
from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from analysis.errors import AnalysisError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m analysis",
                                description="Plan 171/KH-UBND digital-infrastructure pipeline (the department's provinces are "
                                "config/run.yml's).")
    sub = p.add_subparsers(dest="command", required=True, metavar="STAGE")

    def stage(name: str, help_text: str) -> argparse.ArgumentParser:
        s = sub.add_parser(name, help=help_text, description=help_text)
        s.add_argument("--raw", type=Path, default=Path("data/raw"),
                       help="folder of raw operator files, searched recursively (default: data/raw)")
        s.add_argument("--processed", type=Path, default=Path("data/processed"),
                       help="folder for the cleaned tables, quarantine and manifest (default: data/processed)")
        s.add_argument("--reports", type=Path, default=Path("reports"),
                       help="folder for executed notebooks and HTML reports (default: reports)")
        s.add_argument("--debug", action="store_true", help="show the full traceback of an unexpected error")
        return s

    s = stage("sample", "write a deterministic, realistic sample of raw files and its ground truth")
    s.add_argument("--seed", type=int, default=7, help="random seed; the same seed gives the same bytes (default 7)")
    s.add_argument("--truth", type=Path, default=Path("data/truth"),
                   help="folder for the ground truth, never under --raw (default: data/truth)")
    s.add_argument("--config", type=Path, default=None, help="calibration file (default: config/sample.yml)")
    s.add_argument("--from", dest="first_month", default=None, help="first month to write, YYYY-MM")
    s.add_argument("--to", dest="last_month", default=None, help="last month to write, YYYY-MM")
    s.add_argument("--scale", choices=("province", "national"), default="province",
                   help="province: Thai Nguyen's sample (default); national: all 63 pre-2025 provinces, five "
                        "operators, 60 months, 20 million speed tests (config/sample-national.yml)")
    s.add_argument("--share", type=float, default=1.0,
                   help="national scale only: keep provinces holding this share of the communes (default 1)")
    s.add_argument("--speed-tests", type=int, default=None,
                   help="national scale only: i-Speed tests over the 60 months (default: config, 20 million), "
                        "to simulate a larger set")
    s = stage("clean", "read every raw file into tidy tables, with quarantine and row accounting")
    s.add_argument("--bts-radius-m", type=float, default=50.0,
                   help="sites of different operators closer than this share one BTS position (default 50)")
    s.add_argument("--provinces", default=None,
                   help="old provinces whose files are read and names resolved against, the department's first, "
                        "as two-digit codes separated by commas, or all (default: provinces in config/run.yml)")
    s.add_argument("--partition", default=None,
                   help="keep only the rows of these provinces of 1 July 2025 (codes separated by commas) from files "
                        "covering many, names resolved against every province: one part of a national run")
    s.add_argument("--no-cache", action="store_true",
                   help="read every file again, not only the new and changed ones (the cache in "
                        "<processed>/.cache/clean/ is rewritten)")
    s = stage("validate", "run the Great Expectations suites over the cleaned tables")
    s.add_argument("--targets", default=None, help="target set whose milestones the milestones sheet is checked "
                                                   "against: a file, or a name under config/targets/ "
                                                   "(default plan-171-2025)")
    s = stage("indicators", "compute the plan indicators by province, district and commune, monthly")
    s.add_argument("--min-tests", type=int, default=100,
                   help="speed measurements an area needs in a month for a speed value (default 100)")
    s = stage("trajectories", "fit and project each indicator and judge it against its target")
    s.add_argument("--targets", default=None,
                   help="target set: a file, or a name under config/targets/ (default plan-171-2025)")
    s.add_argument("--as-of", default="latest", help="the month judged, YYYY-MM or 'latest' (default)")
    s.add_argument("--pooled-with", default=None, type=lambda v: [Path(p) for p in v.split(",") if p],
                   help="a partition's second pass: the processed folders of every partition (comma-separated), "
                        "whose calibration errors the intervals are calibrated on, as a whole run's are")
    s = sub.add_parser("run", help="run the whole chain with papermill: every stage, then every report",
                       description="Run clean, validate, indicators and trajectories, then the province, district "
                       "and target reports, as papermill notebooks. Values come from config/run.yml (or --config); "
                       "a flag given here wins. Exit 0: reports written (or already current); 1: a problem with the "
                       "data or the parameters, or a critical validation rule failed (no report written); "
                       "3: an unexpected error.")
    s.add_argument("--config", type=Path, default=None, help="run configuration (default config/run.yml)")
    s.add_argument("--raw", type=Path, default=None, help="folder of raw files (config: raw)")
    s.add_argument("--processed", type=Path, default=None, help="folder of processed tables (config: processed)")
    s.add_argument("--reports", type=Path, default=None, help="folder of reports (config: reports)")
    s.add_argument("--as-of", default=None, help="the month reported, YYYY-MM or 'latest' (config: as_of)")
    s.add_argument("--lang", default=None, help="the pages' languages, vi, en or vi,en; a run leaves the month's "
                                                "pages in other languages in place (config: languages)")
    s.add_argument("--targets", default=None, help="target set: a file or a name under config/targets/")
    s.add_argument("--workers", type=int, default=None,
                   help="notebooks at once, each in a warm kernel: the stages after clean and the reports "
                        "(default: one per core; with 1, validation and the indicators take turns)")
    s.add_argument("--provinces", default=None,
                   help="old provinces read, the department's first, as two-digit codes separated by commas, "
                        "or all (config: provinces)")
    s.add_argument("--force", action="store_true", help="rerun every stage even if its inputs are unchanged")
    s.add_argument("--debug", action="store_true", help="show the full traceback of an unexpected error")
    s = sub.add_parser("sql", help="ask the processed tables in SQL (DuckDB, each table a view of its file)",
                       description="Answer a query over the processed tables with DuckDB, each table a view named "
                       "as its file (subscribers, indicators, status, …); without a query, read statements ended by "
                       "';' until the end of input.")
    s.add_argument("query", nargs="?", default=None, help="one SQL query (default: read statements from stdin)")
    s.add_argument("--processed", type=Path, default=None, help="folder of processed tables (config: processed)")
    s.add_argument("--debug", action="store_true", help="show the full traceback of an unexpected error")
    return p


def _dispatch(args: argparse.Namespace) -> str:
    if args.command in ("clean", "validate", "indicators", "trajectories"):
        # A stage writes into the processed folder: never at the same time as another stage or a run.
        from analysis.run.lock import exclusive
        with exclusive(args.processed):
            return _stage(args)
    return _stage(args)


def _stage(args: argparse.Namespace) -> str:
    if args.command == "sample" and args.scale == "national":
        from analysis.sample.national.generate import generate_national
        if args.first_month:
            raise AnalysisError("--from is not available at national scale (its 60 months are fixed by the config)")
        s = generate_national(args.raw, args.truth, args.seed, args.share, args.config, last_month=args.last_month,
                              speed_tests=args.speed_tests)
        return (f"sample (national, {s['provinces']} provinces, {s['communes']:,} communes): {s['files']} files, "
                f"{s['data_rows']:,} data rows, {s['bytes'] / 1e6:.1f} MB in {args.raw}; truth in {args.truth}; "
                f"{s['seconds_truth'] + s['seconds_raw']:.1f} s")
    if args.command == "sample":
        from analysis.sample.generate import generate
        if args.share != 1.0 or args.speed_tests is not None:
            raise AnalysisError("--share and --speed-tests apply to --scale national only")
        s = generate(args.raw, args.truth, args.seed, args.config, args.first_month, args.last_month)
        return (f"sample: {s['files']} files, {s['data_rows']:,} data rows, {s['bytes'] / 1e6:.1f} MB in {args.raw}; "
                f"truth in {args.truth} ({s['defects']:,} defects recorded); "
                f"{s['seconds_truth'] + s['seconds_raw']:.1f} s")
    if args.command == "clean":
        from analysis.clean.stage import run
        m = run(args.raw, args.processed, bts_radius_m=args.bts_radius_m, provinces=args.provinces,
                use_cache=not args.no_cache, partition=args.partition)
        rows = {o["path"].removesuffix(".parquet"): o["rows"] for o in m["outputs"]}
        q = rows.pop("quarantine")
        from analysis.clean.summary import not_read
        unread = not_read(m)
        away = sum(f.get("elsewhere", 0) for f in m["inputs"])
        return (f"clean: {len(m['inputs'])} files; " + ", ".join(f"{k} {v:,}" for k, v in rows.items())
                + (f"; {away:,} rows of provinces outside partition {','.join(m['partition'])}"
                   if m.get("partition") else "")
                + f"; {q:,} rows quarantined (see quarantine.parquet); {len(m['replaced'])} resubmissions replaced; "
                + (f"{m['cache']['read']} read, {m['cache']['reused']} unchanged since the last clean; "
                   if m["cache"]["reused"] else "")
                + (f"{unread}; " if unread else "") + f"{m['seconds']} s")
    if args.command == "validate":
        from analysis.validate.stage import run
        s = run(args.processed, args.reports, targets=args.targets)
        return (f"validate: {s['passed']} of {len(s['rules'])} rules passed, {s['warnings']} warning(s), "
                f"0 critical; summary in {args.processed / 'validation' / 'summary.json'}; "
                f"Data Docs {s['data_docs']}; {s['seconds']} s")
    if args.command == "indicators":
        from analysis.indicators import run
        out = run(args.processed, min_tests=args.min_tests)
        return f"indicators: {out.height:,} rows for {out['indicator_id'].n_unique()} indicator(s)"
    if args.command == "trajectories":
        from analysis.trajectory.engine import run
        st = run(args.processed, args.targets, args.as_of, pooled_with=args.pooled_with)
        province = st.filter(st["area_level"] == "province")
        counts = ", ".join(f"{k} {v}" for k, v in sorted(province["status"].value_counts().iter_rows()))
        return (f"trajectories: {st.height:,} indicator-areas judged against {st['target_set'][0]}; "
                f"province: {counts}")
    if args.command == "run":
        from analysis.run import config, pipeline
        cfg = config.load(args.config, {"raw": args.raw, "processed": args.processed, "reports": args.reports,
                                        "as_of": args.as_of, "languages": args.lang, "targets": args.targets,
                                        "workers": args.workers, "provinces": args.provinces})
        return pipeline.run(cfg, force=args.force)
    if args.command == "sql":
        from analysis.run import config
        from analysis.sql import shell
        return shell(args.processed or config.load(None, {}).processed, args.query)
    raise AnalysisError(f"unknown stage {args.command!r}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        print(_dispatch(args))
        return 0
    except AnalysisError as exc:
        # A stopped publication names every failed rule, a line each; any other problem is one line.
        for text in getattr(exc, "lines", None) or [exc.line()]:
            print(f"error: {text}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the user gets one line; --debug shows where it came from
        if args.debug:
            traceback.print_exc()
        print(f"error: unexpected {exc.__class__.__name__}: {exc} (rerun with --debug for details)", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
