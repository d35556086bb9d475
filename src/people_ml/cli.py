"""The ``people-ml`` command line.

Exit codes: 0 success; 1 the command ran but failed (for example a dbt failure);
2 bad usage or bad input (an invalid argument, an unknown or ambiguous run id, a
missing reason, a malformed decision log, a project that cannot be found);
3 refused by a rule (for example deploying an ignored run); 4 the warehouse is
locked by another process (a running dbt build): try again when it finishes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from people_ml import __version__, ledger, lifecycle, reports
from people_ml.project import ProjectNotFoundError, ProjectPaths, find_project
from people_ml.storyboard import PAGES

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3
EXIT_BUSY = 4


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
    summary = advance(out_dir, months=args.months, shocks=args.shock or ())
    _print_summary("Advanced", summary)
    if summary.shocks:
        print("  shocks (replayed on every later advance):")
        for scheduled in summary.shocks:
            print(f"    {scheduled.shock.spec}  from {scheduled.start_month}")
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


def _cmd_publish(args: argparse.Namespace, project: ProjectPaths) -> int:
    from people_ml import publish

    with lifecycle.connect_warehouse(project.warehouse) as con:
        try:
            publication = publish.publish_warehouse(con, project.publish_dir)
        except publish.PublicationError as error:
            raise CommandError(str(error), EXIT_FAILED) from None
    print(f"Published {len(publication.tables)} marts to {publication.directory}")
    for name in publication.tables:
        print(f"  {name:<28} {publication.row_count(name):>10,} rows")
    return EXIT_OK


def _cmd_storyboard(args: argparse.Namespace, project: ProjectPaths) -> int:
    try:
        import streamlit  # noqa: F401
    except ImportError:
        raise CommandError(
            "The storyboard needs Streamlit: `pip install -e '.[storyboard]'` (make "
            "setup installs it)."
        ) from None
    from people_ml import publish
    from people_ml.storyboard import PAGE_HEADLINES, browser

    try:
        publication = publish.open_publication(project.publish_dir)
    except publish.PublicationNotFoundError as error:
        raise CommandError(str(error)) from None
    env = project.app_env()
    if args.screenshot:
        headline, min_charts = PAGE_HEADLINES[f"{args.page}.py"]
        try:
            with browser.serve(env, port=args.port) as url:
                shot = browser.capture(
                    browser.page_url(url, f"{args.page}.py"),
                    Path(args.screenshot),
                    wait_for=[headline],
                    min_charts=min_charts,
                    width=args.width,
                    height=args.height,
                )
        except browser.BrowserError as error:
            raise CommandError(str(error), EXIT_FAILED) from None
        print(
            f"Saved {shot.screenshot} ({args.page} page, {shot.chart_count} charts, "
            f"publication {publication.publication_id})"
        )
        return EXIT_OK
    try:
        login = browser.login_configured(project.root)
        browser.check_address(args.address, login=login)
    except browser.BrowserError as error:
        raise CommandError(str(error)) from None
    env = {**env, "PEOPLE_ML_STORYBOARD_AUTH": "oidc" if login else "local"}
    port = args.port or 8501
    print(
        f"people_ml storyboard on http://{args.address}:{port} (publication "
        f"{publication.publication_id}, {publication.published_at:%Y-%m-%d %H:%M} "
        f"UTC; {'OpenID Connect login' if login else 'no login: this machine only'}"
        "); Ctrl-C stops it."
    )
    return browser.run_until_stopped(
        browser.streamlit_command(port, args.address), env, cwd=project.root
    )


def _store(project: ProjectPaths) -> lifecycle.RunStore:
    return lifecycle.load_runs(project.warehouse)


def _seed(project: ProjectPaths) -> Path:
    return project.root / ledger.log.DEFAULT_NAME


def _cmd_runs(args: argparse.Namespace, project: ProjectPaths) -> int:
    store = _store(project)
    runs = store.runs.copy()
    runs["status"] = runs["run_id"].map(lifecycle.statuses(store, _seed(project)))
    if args.model:
        runs = runs[runs["model_key"] == args.model]
    if args.status:
        runs = runs[runs["status"] == args.status]
    if runs.empty:
        print("no runs match")
        return EXIT_OK
    print(reports.runs_table(runs))
    return EXIT_OK


def _cmd_show(args: argparse.Namespace, project: ProjectPaths) -> int:
    store = _store(project)
    run = store.resolve(args.run_id)
    print(reports.run_report(lifecycle.run_report(store, _seed(project), run)))
    return EXIT_OK


def _cmd_check_log(args: argparse.Namespace, project: ProjectPaths) -> int:
    seed = _seed(project)
    log = ledger.read_log(seed)
    runs = len({d.run_id for d in log.decisions})
    if not project.warehouse.exists():
        print(
            f"{seed}: {len(log.decisions)} decisions on {runs} runs, well-formed. "
            "The rules need the run records: build the warehouse (`dbt build`) "
            "to check them too."
        )
        return EXIT_OK
    store = _store(project)
    state = lifecycle.read_ledger(store, seed)
    print(
        f"{seed}: {len(log.decisions)} decisions on {runs} runs, well-formed and "
        f"within the rules (with the {len(store.runs)} runs in {project.warehouse})."
    )
    unknown = state.unknown_runs()
    if unknown:
        print(
            f"  {len(unknown)} runs decided on are not in this warehouse (a "
            f"teammate's, or from another build): {', '.join(unknown)}"
        )
    shown = state.shown_runs()
    for model_key in sorted(shown):
        frozen = state.frozen_run(model_key)
        print(
            f"  {model_key}: BI shows run {shown[model_key]}"
            + (f"; frozen by run {frozen}" if frozen else "")
        )
    return EXIT_OK


def _cmd_orphans(args: argparse.Namespace, project: ProjectPaths) -> int:
    from people_ml.ledger import store

    if args.remove is None:
        with lifecycle.connect_warehouse(project.warehouse) as con:
            print(store.describe_orphans(store.find_orphans(con)))
        return EXIT_OK
    with lifecycle.connect_warehouse(project.warehouse, read_only=False) as con:
        found = store.find_orphans(con)
        if found.empty:
            print(store.describe_orphans(found))
            return EXIT_OK
        try:
            removed = store.remove_orphans(con, args.remove or None)
        except store.OrphanError as error:
            raise CommandError(str(error)) from None
    total = sum(removed.values())
    print(f"Removed {total:,} orphaned ml_store rows:")
    for table, count in removed.items():
        if count:
            print(f"  {table:<18} {count:>10,} rows")
    return EXIT_OK


def _decided(
    project: ProjectPaths, decision: ledger.Decision, args: argparse.Namespace
) -> int:
    print(
        f"recorded: run {decision.run_id} -> {decision.status} by "
        f"{decision.decided_by} at {decision.decided_at:%Y-%m-%d %H:%M:%S} UTC "
        f"({decision.reason})"
    )
    if not args.apply:
        print("run `dbt build` (or add --apply) for BI to see it")
        return EXIT_OK
    # Reload the decision log and rebuild what reads it, without retraining.
    command = [
        str(Path(sys.executable).parent / "dbt"),
        "build",
        "--select",
        "ml_decision_log+",
        "--exclude",
        "tag:ml_model",
    ]
    code = subprocess.call(command, cwd=project.root, env=project.dbt_env())
    return EXIT_OK if code == 0 else EXIT_FAILED


def _cmd_decide(args: argparse.Namespace, project: ProjectPaths) -> int:
    """deploy [--persist] and ignore: the status comes from the subcommand."""
    decision = lifecycle.decide(
        _store(project),
        _seed(project),
        run_prefix=args.run_id,
        status=args.status,
        reason=args.reason,
        decided_by=lifecycle.actor(args.by),
        override_gates=getattr(args, "override_gates", False),
    )
    return _decided(project, decision, args)


def _cmd_review(args: argparse.Namespace, project: ProjectPaths) -> int:
    from people_ml.review import report

    store = _store(project)
    run = store.resolve(args.run_id)
    state = lifecycle.read_ledger(store, _seed(project))
    with lifecycle.connect_warehouse(project.warehouse) as con:
        review = report.load_review(con, str(run.run_id))
    print(
        report.render_review(
            run,
            state.status(str(run.run_id)),
            state.shown_runs().get(str(run.model_key)),
            review,
        )
    )
    return EXIT_OK


def _cmd_monitor(args: argparse.Namespace, project: ProjectPaths) -> int:
    from people_ml.monitoring import report

    store = _store(project)
    state = lifecycle.read_ledger(store, _seed(project))
    keys = sorted(store.runs["model_key"].dropna().unique())
    if args.model is not None and args.model not in keys:
        raise CommandError(
            f"no runs of ML model {args.model!r} (known: {', '.join(keys) or 'none'})"
        )
    with lifecycle.connect_warehouse(project.warehouse) as con:
        try:
            models = report.load_monitoring(con, args.model)
        except report.MonitoringReportError as error:
            raise CommandError(str(error), EXIT_REFUSED) from None
    frozen = {key: run for key in keys if (run := state.frozen_run(key)) is not None}
    text, alerts = report.render_monitoring(
        models, ledger_shown=state.shown_runs(), ledger_frozen=frozen
    )
    print(text)
    return EXIT_FAILED if alerts else EXIT_OK


def _cmd_rollback(args: argparse.Namespace, project: ProjectPaths) -> int:
    done = lifecycle.rollback(
        _store(project),
        _seed(project),
        model_key=args.model,
        reason=args.reason,
        decided_by=lifecycle.actor(args.by),
        artifact_dir=project.artifact_dir,
    )
    code = _decided(project, done.decision, args)
    when = "now" if args.apply else "from the next build"
    print(
        f"rollback of {args.model}: {when} BI shows run {done.restored_run_id} "
        f"again; run {done.decision.run_id} is ignored (final)"
    )
    if done.was_frozen:
        print(
            f"run {done.decision.run_id} froze {args.model}: the model is no longer "
            "frozen, so the next build trains anew"
        )
    elif done.still_frozen_by:
        print(
            f"{args.model} is still frozen by run {done.still_frozen_by}: the next "
            "build scores with it again, and deploys that run if its gates pass; "
            f"to stop that, `people-ml unfreeze {args.model}` (or set "
            "auto_deploy_scored_runs: false)"
        )
    return code


def _cmd_unfreeze(args: argparse.Namespace, project: ProjectPaths) -> int:
    decision = lifecycle.unfreeze(
        _store(project),
        _seed(project),
        model_key=args.model,
        reason=args.reason,
        decided_by=lifecycle.actor(args.by),
    )
    return _decided(project, decision, args)


def _decision_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reason", required=True, help="why (required)")
    parser.add_argument(
        "--by",
        help="who decides (default: PEOPLE_ML_USER, else your login, else git's "
        "user.email)",
    )
    parser.add_argument(
        "--apply",
        action="store_true",
        help="reload the decision log and rebuild what depends on it now",
    )


ADVANCE_DESCRIPTION = """\
Re-simulate the extract from its manifest with N more months: every row dated on
or before the old as-of date stays unchanged. Each --shock starts on the first
day of the first new month, is recorded in the manifest (with that month) and is
replayed by every later advance; nothing dated before it changes. Names are
checked against the extract: an unknown department or division is refused with
the list of valid ones. See docs/monitoring.md."""

ADVANCE_EPILOG = """\
shocks:
  rename-department:OLD=NEW  the department OLD (and its teams' name prefix) is
                             called NEW; org_units has no name history, so NEW
                             replaces OLD throughout the extract
  pay-cut:DIVISION:PERCENT   everyone active in the division gets base salary
                             cut by PERCENT percent (above 0, at most 50; a
                             market_adjustment row) and no January top-up to
                             the band minimum for 12 months
  hiring-wave:COUNT          COUNT extra external hires in the month, spread
                             over teams by size; the headcount plan grows by
                             COUNT (at most the starting headcount)

example:
  people-ml advance --months 3 --shock pay-cut:Sales:10 \\
      --shock 'rename-department:Platform=Core Platform'"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``people-ml``."""
    parser = argparse.ArgumentParser(
        prog="people-ml",
        description="dbt-native people analytics: data, runs and decisions.",
        epilog=(
            "Exit codes: 0 ok, 1 failed, 2 bad usage or input, 3 refused by a rule, "
            "4 the warehouse is locked by a running build."
        ),
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
        "advance",
        help="move the synthetic company forward by N months (optionally with a "
        "known shock)",
        description=ADVANCE_DESCRIPTION,
        epilog=ADVANCE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    advance.add_argument("--months", type=int, required=True, help="months to add")
    advance.add_argument(
        "--shock",
        action="append",
        metavar="KIND:ARGS",
        help="a known shock in the first new month (repeatable): "
        "rename-department:OLD=NEW, pay-cut:DIVISION:PERCENT or hiring-wave:COUNT",
    )
    advance.add_argument("--out", help="folder of the extract (default: data/raw/hris)")
    advance.set_defaults(handler=_cmd_advance)

    runs = commands.add_parser("runs", help="list ML runs and their status")
    runs.add_argument("--model", help="only this ML model (its key)")
    runs.add_argument("--status", choices=ledger.STATUSES)
    runs.set_defaults(handler=_cmd_runs)

    show = commands.add_parser("show", help="a run's results summary and EDA profile")
    show.add_argument("run_id", help="run id or a unique prefix of one")
    show.set_defaults(handler=_cmd_show)

    deploy = commands.add_parser(
        "deploy", help="deploy a pending run (--persist also freezes its model)"
    )
    deploy.add_argument("run_id", help="run id or a unique prefix of one")
    deploy.add_argument(
        "--persist",
        dest="status",
        action="store_const",
        const="persisted",
        help="deploy and persist: later builds score with this run's model",
    )
    deploy.add_argument(
        "--override-gates",
        action="store_true",
        help="deploy although the run failed a gate (the log records it)",
    )
    _decision_options(deploy)
    deploy.set_defaults(handler=_cmd_decide, status="deployed")

    ignore = commands.add_parser(
        "ignore", help="ignore a pending run (final; it stays viewable)"
    )
    ignore.add_argument("run_id", help="run id or a unique prefix of one")
    _decision_options(ignore)
    ignore.set_defaults(handler=_cmd_decide, status="ignored")

    review = commands.add_parser(
        "review",
        help="the deployment review of a run: side by side, fairness, gates",
    )
    review.add_argument("run_id", help="run id or a unique prefix of one")
    review.set_defaults(handler=_cmd_review)

    monitor = commands.add_parser(
        "monitor",
        help="the state of every deployed model: drift, unseen input, realized "
        "performance, alerts (exit 1 when an alert fires)",
        description="Print the state of every deployed ML model (or one) from the "
        "last build's monitoring marts: the latest run's feature drift and input "
        "issues, the realized performance of deployed runs inside their window, "
        "and the alerts firing.",
        epilog="exit codes: 0 no alert; 1 at least one alert fired; 2 usage error "
        "(an unknown model, or no warehouse yet); 3 nothing to judge (the "
        "warehouse lacks the monitoring marts: run `dbt build`); 4 the warehouse "
        "is locked by a build.",
    )
    monitor.add_argument(
        "model", nargs="?", help="only this ML model, e.g. attrition (default: all)"
    )
    monitor.set_defaults(handler=_cmd_monitor)

    rollback = commands.add_parser(
        "rollback",
        help="show the previously shown deployed run again (ignores the current)",
    )
    rollback.add_argument("model", help="the ML model's key, e.g. attrition")
    _decision_options(rollback)
    rollback.set_defaults(handler=_cmd_rollback)

    unfreeze = commands.add_parser(
        "unfreeze", help="unfreeze a model: the next build trains anew"
    )
    unfreeze.add_argument("model", help="the ML model's key, e.g. attrition")
    _decision_options(unfreeze)
    unfreeze.set_defaults(handler=_cmd_unfreeze)

    check_log = commands.add_parser(
        "check-log",
        help="check the decision log: its format and, with the warehouse, the rules",
    )
    check_log.set_defaults(handler=_cmd_check_log)

    orphans = commands.add_parser(
        "orphans",
        help="list ml_store rows left by a build that stopped before its run record",
    )
    orphans.add_argument(
        "--remove",
        nargs="*",
        metavar="RUN_ID",
        help="remove them (all, or only these runs); rows of recorded runs never",
    )
    orphans.set_defaults(handler=_cmd_orphans)

    publish = commands.add_parser(
        "publish",
        help="publish the warehouse's marts as Parquet for BI (dbt build does this)",
    )
    publish.set_defaults(handler=_cmd_publish)

    storyboard = commands.add_parser(
        "storyboard", help="open the storyboard app over the published marts"
    )
    storyboard.add_argument(
        "--port",
        type=int,
        help="port to serve on (default 8501; any free one with --screenshot)",
    )
    storyboard.add_argument(
        "--address",
        default="127.0.0.1",
        help="address to listen on (0.0.0.0 to share on the network)",
    )
    storyboard.add_argument(
        "--screenshot",
        metavar="PNG",
        help="do not serve: save a headless-Chromium screenshot of a page and exit",
    )
    storyboard.add_argument(
        "--page",
        default="overview",
        choices=[page.removesuffix(".py") for page in PAGES],
        help="the page of --screenshot",
    )
    storyboard.add_argument("--width", type=int, default=1440, help=argparse.SUPPRESS)
    storyboard.add_argument("--height", type=int, default=900, help=argparse.SUPPRESS)
    storyboard.set_defaults(handler=_cmd_storyboard)

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
        code = _run(args)
        sys.stdout.flush()  # a closed pipe fails here, inside the handler
        return code
    except BrokenPipeError:
        # The reader went away (`people-ml runs | head`): stop quietly, and
        # point stdout at devnull so the interpreter's final flush is silent.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


def _run(args: argparse.Namespace) -> int:
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
    except ledger.RuleError as error:
        print(f"people-ml: refused: {error}", file=sys.stderr)
        return EXIT_REFUSED
    except lifecycle.WarehouseBusyError as error:
        print(f"people-ml: {error}", file=sys.stderr)
        return EXIT_BUSY
    except ValueError as error:
        # Generator and spec validation errors are ValueErrors with a message
        # that names the argument and the allowed values.
        print(f"people-ml: {error}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
