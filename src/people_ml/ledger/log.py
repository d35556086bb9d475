"""The decision log file: its format, the one parser, and the atomic append.

``seeds/run_status.csv`` is an append-only CSV, one decision a line::

    run_id,status,decided_at,decided_by,reason

Everything that reads it (the ``people-ml`` commands, the dbt model
``ml_decision_log`` that every ML model reads it through) uses
:func:`parse_log`, so no two readers can disagree about what it says. The
format, checked on every read:

- UTF-8, with or without a byte-order mark (Excel writes one); LF or CRLF line
  ends (kept as they are when a decision is appended);
- the header line exactly as above; blank lines are allowed;
- one decision per physical line: a quoted field must close on its own line
  (an unbalanced quote is refused, never allowed to swallow the next line);
- five fields; ``status`` one of :data:`STATUSES`; ``decided_at`` a UTC time
  ``YYYY-MM-DD HH:MM:SS[.ffffff]`` without an offset and not in the future;
  ``decided_by`` and ``reason`` not empty; no line may claim the system's name
  (:data:`SYSTEM_ACTOR`): the system's decisions are derived, never written.

Each refusal names the file, the line and the fix. :func:`append` writes only
to a log that parses, holds a lock, re-reads the file under it, writes the
original bytes plus one line to a temporary file, renames it over the log, and
reads the result back: the log must then parse to exactly what it held plus
the new decision, or the original bytes are put back.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import fcntl
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "COLUMNS",
    "HEADER_LINE",
    "STATUSES",
    "SYSTEM_ACTOR",
    "TIME_FORMAT",
    "Decision",
    "DecisionLog",
    "DecisionLogError",
    "LogMissingError",
    "append",
    "format_time",
    "locked",
    "parse_log",
    "read_log",
    "utc_now",
]

STATUSES = ("pending", "deployed", "persisted", "ignored")
COLUMNS = ("run_id", "status", "decided_at", "decided_by", "reason")
HEADER_LINE = ",".join(COLUMNS)
SYSTEM_ACTOR = "people-ml"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
DEFAULT_NAME = "seeds/run_status.csv"

_BOM = b"\xef\xbb\xbf"
_TIME = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[ T](?P<time>\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)"
    r"(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)?$"
)


class DecisionLogError(ValueError):
    """The decision log cannot be read or written; names the file and line."""


class LogMissingError(DecisionLogError):
    """The decision log file does not exist."""


@dataclass(frozen=True)
class Decision:
    """One decision: a line of the log (``line``) or the system's (``line`` None).

    ``decided_at`` is naive UTC.
    """

    run_id: str
    status: str
    decided_at: dt.datetime
    decided_by: str
    reason: str
    line: int | None = field(default=None, compare=False)

    @property
    def is_system(self) -> bool:
        """The system decided (an auto-deploy), not a person."""
        return self.line is None and self.decided_by == SYSTEM_ACTOR

    def as_row(self) -> list[str]:
        """The CSV fields of this decision."""
        return [
            self.run_id,
            self.status,
            format_time(self.decided_at),
            self.decided_by,
            self.reason,
        ]


@dataclass(frozen=True)
class DecisionLog:
    """A parsed log and the layout of its file (kept when appending)."""

    path: Path
    decisions: tuple[Decision, ...]
    raw: bytes
    has_bom: bool = False
    newline: str = "\n"

    @property
    def line_count(self) -> int:
        """Physical lines in the file."""
        return len(_split_lines(self.raw.decode("utf-8", "replace"))[0])


def format_time(moment: dt.datetime) -> str:
    """The log's spelling of a naive UTC time."""
    return moment.strftime(TIME_FORMAT)


def utc_now() -> dt.datetime:
    """The clock, as naive UTC (the only source of a new decision's time)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _split_lines(text: str) -> tuple[list[str], str]:
    """Physical lines (without their ends) and the file's line end."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines], newline


def _decode(raw: bytes, source: str) -> tuple[str, bool]:
    has_bom = raw.startswith(_BOM)
    body = raw[len(_BOM) :] if has_bom else raw
    try:
        return body.decode("utf-8"), has_bom
    except UnicodeDecodeError as error:
        line = body[: error.start].count(b"\n") + 1
        raise DecisionLogError(
            f"{source}, line {line}: not UTF-8 text (byte {body[error.start]:#04x}); "
            "save the file as CSV UTF-8"
        ) from None


def _parse_time(value: str, where: str, now: dt.datetime) -> dt.datetime:
    match = _TIME.match(value)
    example = f"{now:%Y-%m-%d %H:%M:%S}"
    if match is None:
        raise DecisionLogError(
            f"{where}: decided_at {value!r} is not a time: write it in UTC as "
            f"YYYY-MM-DD HH:MM:SS (for example {example})"
        )
    try:
        moment = dt.datetime.fromisoformat(f"{match['date']} {match['time']}")
    except ValueError:
        raise DecisionLogError(
            f"{where}: decided_at {value!r} is not a valid date and time"
        ) from None
    if match["offset"]:
        offset = match["offset"]
        aware = dt.datetime.fromisoformat(
            f"{match['date']}T{match['time']}{'+00:00' if offset == 'Z' else offset}"
        )
        utc = aware.astimezone(dt.UTC).replace(tzinfo=None)
        raise DecisionLogError(
            f"{where}: decided_at {value!r} carries a UTC offset; the log holds "
            f"UTC without one: write {format_time(utc)}"
        )
    if moment > now:
        raise DecisionLogError(
            f"{where}: decided_at {value} is in the future (the clock says "
            f"{format_time(now)} UTC); a decision is dated when it is made: fix "
            "the time or remove the line"
        )
    return moment


def parse_log(
    text: str, *, source: str = DEFAULT_NAME, now: dt.datetime | None = None
) -> tuple[Decision, ...]:
    """Parse the text of a decision log, refusing anything not well-formed.

    Parameters
    ----------
    text
        The file's text (a byte-order mark already removed).
    source
        The file's name in messages.
    now
        The clock (naive UTC) that no decision may be later than.

    Returns
    -------
    tuple of Decision
        In file order, each with its line number.

    Raises
    ------
    DecisionLogError
        Naming the line, what is wrong with it and the fix.
    """
    now = now or utc_now()
    lines, _ = _split_lines(text)
    header = lines[0] if lines else ""
    fields = [part.strip() for part in header.split(",")]
    if tuple(fields) != COLUMNS:
        hint = ""
        if ";" in header or "\t" in header:
            hint = " (it looks separated by ';' or tabs: save as CSV, comma-separated)"
        raise DecisionLogError(
            f"{source}, line 1: the header must be {HEADER_LINE}, found "
            f"{header!r}{hint}"
        )
    decisions = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        where = f"{source}, line {number}"
        try:
            rows = list(csv.reader([line], strict=True))
        except csv.Error as error:
            raise DecisionLogError(
                f"{where}: not one CSV record ({error}): a quote is not closed on "
                'this line. Quote a reason as "..." and double any quote inside '
                'it ("")'
            ) from None
        row = rows[0] if rows else []
        if len(row) != len(COLUMNS):
            raise DecisionLogError(
                f"{where}: expected {len(COLUMNS)} fields ({', '.join(COLUMNS)}), "
                f"found {len(row)}; quote a reason that contains a comma"
            )
        run_id, status, decided_at, decided_by, reason = (f.strip() for f in row)
        if not run_id or any(c.isspace() for c in run_id):
            raise DecisionLogError(f"{where}: run_id {run_id!r} is not a run id")
        if status not in STATUSES:
            decided = ", ".join(st for st in STATUSES if st != "pending")
            raise DecisionLogError(
                f"{where}: status {status!r} is not a decision: write one of "
                f"{decided} (in lower case)"
            )
        when = _parse_time(decided_at, where, now)
        if not decided_by:
            raise DecisionLogError(f"{where}: decided_by is empty; say who decided")
        if decided_by.casefold() == SYSTEM_ACTOR:
            raise DecisionLogError(
                f"{where}: decided_by {SYSTEM_ACTOR!r} is the system's name; its "
                "decisions are derived from the run records, never written in the "
                "log: put the person's name, or remove the line"
            )
        if not reason:
            raise DecisionLogError(
                f"{where}: reason is empty; every decision needs one"
            )
        decisions.append(Decision(run_id, status, when, decided_by, reason, number))
    return tuple(decisions)


def _missing(path: Path) -> LogMissingError:
    return LogMissingError(
        f"the decision log {path} is missing, so no decision (which run BI shows, "
        "which model is frozen) can be known. Restore it (`git checkout -- "
        f"{DEFAULT_NAME}`); a new project starts it with the header line "
        f"{HEADER_LINE}"
    )


def read_log(path: Path, *, now: dt.datetime | None = None) -> DecisionLog:
    """Read and parse the decision log at ``path``.

    Raises
    ------
    LogMissingError
        The file does not exist (never read as "no decisions").
    DecisionLogError
        It is not well-formed.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _missing(path) from None
    except OSError as error:
        raise DecisionLogError(
            f"cannot read the decision log {path}: {error}"
        ) from None
    text, has_bom = _decode(raw, str(path))
    _, newline = _split_lines(text)
    decisions = parse_log(text, source=str(path), now=now)
    return DecisionLog(path, decisions, raw, has_bom, newline)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside the log while reading and writing it."""
    lock_path = path.with_name(f".{path.name}.lock")
    try:
        handle = lock_path.open("w")
    except OSError as error:
        raise DecisionLogError(
            f"cannot lock the decision log {path} ({lock_path}: {error}); nothing "
            "was written. Make its folder writable and run the command again"
        ) from None
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _line_bytes(decision: Decision, newline: str) -> bytes:
    for name, value in zip(COLUMNS, decision.as_row(), strict=True):
        if "\n" in value or "\r" in value:
            raise DecisionLogError(f"the {name} of a decision must be one line")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=newline).writerow(decision.as_row())
    return buffer.getvalue().encode("utf-8")


def append(log: DecisionLog, decision: Decision) -> DecisionLog:
    """Append one decision to the log read as ``log``; returns the new log.

    The caller holds :func:`locked` and read ``log`` under it. The file's bytes
    are kept as they are (byte-order mark, line ends) and one line is added,
    written to a temporary file and renamed over the log. The result is read
    back and must hold exactly the old decisions plus the new one.

    Raises
    ------
    DecisionLogError
        The file changed since ``log`` was read, the disk refused the write, or
        the read-back differs (the original bytes are then restored).
    """
    path = log.path
    try:
        current = path.read_bytes()
    except FileNotFoundError:
        raise _missing(path) from None
    if current != log.raw:
        raise DecisionLogError(f"{path} changed while deciding: run the command again")
    body = current
    if body and not body.endswith(b"\n"):
        body += log.newline.encode()
    new_bytes = body + _line_bytes(decision, log.newline)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open("wb") as handle:
            handle.write(new_bytes)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except OSError as error:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise DecisionLogError(
            f"cannot write the decision log {path}: {error}. Nothing was recorded "
            "and the log is unchanged; free space or fix the folder's permissions, "
            "then run the command again"
        ) from None
    try:
        reread = read_log(path, now=decision.decided_at)
    except DecisionLogError as error:
        reread_error: DecisionLogError | None = error
        reread = None
    else:
        reread_error = None
    expected = (*log.decisions, decision)
    if reread is None or reread.decisions != expected:
        path.write_bytes(current)
        raise DecisionLogError(
            f"{path}: the decision did not read back as written "
            f"({reread_error or 'different content'}); the log was restored and "
            "nothing was recorded"
        )
    return reread
