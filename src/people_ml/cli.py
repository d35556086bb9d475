"""The ``people-ml`` command line.

Exit codes: 0 success; 1 the command ran but failed (for example a dbt failure);
2 bad usage or bad input (an invalid argument, a project that cannot be found).
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from people_ml import __version__
from people_ml.project import ProjectNotFoundError, ProjectPaths, find_project

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class CommandError(Exception):
    """A refusal with a message for the user and an exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date: use YYYY-MM-DD"
        ) from error


def _cmd_generate(args: argparse.Namespace, project: ProjectPaths) -> int:
    from people_ml.synthetic import generate

    out_dir = Path(args.out) if args.out else project.raw_dir
    summary = generate(
        out_dir,
        employees=args.employees,
        months=args.months,
        seed=args.seed,
        start_date=args.start_date,
        file_format=args.format,
    )
    _print_summary("Generated", summary)
    return EXIT_OK


def _cmd_advance(args: argparse.Namespace, project: ProjectPaths) -> int:
    from people_ml.synthetic import advance

    out_dir = Path(args.out) if args.out else project.raw_dir
    summary = advance(out_dir, months=args.months)
    _print_summary("Advanced", summary)
    return EXIT_OK


def _print_summary(verb: str, summary: object) -> None:
    out_dir = getattr(summary, "out_dir", "")
    as_of = getattr(summary, "as_of_date", "")
    seconds = getattr(summary, "seconds", 0.0)
    print(f"{verb} the HRIS extract in {out_dir} (as of {as_of}, {seconds:.1f} s)")
    for table, count in sorted(getattr(summary, "row_counts", {}).items()):
        print(f"  {table:<22} {count:>10,} rows")


def _cmd_dbt(args: argparse.Namespace, project: ProjectPaths) -> int:
    dbt_args = list(args.dbt_args)
    if dbt_args and dbt_args[0] == "--":
        dbt_args = dbt_args[1:]
    if not dbt_args:
        raise CommandError("Give dbt arguments, e.g. `people-ml dbt build`.")
    command = [str(Path(sys.executable).parent / "dbt"), *dbt_args]
    return subprocess.call(command, cwd=project.root, env=project.dbt_env())


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``people-ml``."""
    parser = argparse.ArgumentParser(
        prog="people-ml",
        description="dbt-native people analytics: data, runs and decisions.",
        epilog="Exit codes: 0 ok, 1 failed, 2 bad usage or input.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument(
        "--project-dir",
        help="the people_ml project folder (default: found from the current one)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser(
        "generate", help="write a synthetic HRIS extract (deterministic per seed)"
    )
    generate.add_argument("--employees", type=int, default=2000)
    generate.add_argument("--months", type=int, default=36)
    generate.add_argument("--seed", type=int, default=42)
    generate.add_argument(
        "--start-date", type=_date, default=dt.date(2023, 11, 1), metavar="DATE"
    )
    generate.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    generate.add_argument("--out", help="folder to write (default: data/raw/hris)")
    generate.set_defaults(handler=_cmd_generate)

    advance = commands.add_parser(
        "advance", help="move the synthetic company forward by N months"
    )
    advance.add_argument("--months", type=int, required=True)
    advance.add_argument("--out", help="folder of the extract (default: data/raw/hris)")
    advance.set_defaults(handler=_cmd_advance)

    dbt = commands.add_parser(
        "dbt", help="run dbt with every path anchored to the project"
    )
    dbt.add_argument("dbt_args", nargs=argparse.REMAINDER)
    dbt.set_defaults(handler=_cmd_dbt)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``people-ml``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.project_dir:
            project = find_project(Path(args.project_dir), explicit=True)
        else:
            project = find_project()
        return int(args.handler(args, project))
    except CommandError as error:
        print(f"people-ml: {error}", file=sys.stderr)
        return error.exit_code
    except ProjectNotFoundError as error:
        print(f"people-ml: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as error:
        # Generator and spec validation errors are ValueErrors with a message
        # that names the argument and the allowed values.
        print(f"people-ml: {error}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
