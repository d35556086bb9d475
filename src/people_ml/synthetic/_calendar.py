"""Date helpers: dates are held as integer days since 1970-01-01 inside the engine."""

from __future__ import annotations

import calendar
import datetime as dt

import numpy as np

EPOCH = dt.date(1970, 1, 1)
NEVER = -(10**9)  # a day number far before any real date


def to_day(value: dt.date) -> int:
    """Days since 1970-01-01."""
    return (value - EPOCH).days


def from_day(day: int) -> dt.date:
    """The date of a day number."""
    return EPOCH + dt.timedelta(days=int(day))


def add_months(value: dt.date, months: int) -> dt.date:
    """Shift by calendar months, clamping the day to the month's end (as DuckDB)."""
    index = value.year * 12 + value.month - 1 + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(value.day, last))


def month_start(start: dt.date, offset: int) -> dt.date:
    """First day of the month ``offset`` months after ``start`` (a first-of-month)."""
    return add_months(start, offset)


def month_end(first: dt.date) -> dt.date:
    """Last day of the month of ``first``."""
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def month_index_of_days(days: np.ndarray) -> np.ndarray:
    """Calendar month number (``year * 12 + month - 1``) of day numbers."""
    months = (
        np.asarray(days, dtype="int64").astype("datetime64[D]").astype("datetime64[M]")
    )
    return months.astype("int64") + 1970 * 12


def month_index(value: dt.date) -> int:
    """Calendar month number (``year * 12 + month - 1``) of a date."""
    return value.year * 12 + value.month - 1


def year_of_days(days: np.ndarray) -> np.ndarray:
    """Calendar year of day numbers."""
    return month_index_of_days(days) // 12


def weekdays_between(first: int, last: int) -> np.ndarray:
    """Monday-to-Friday day numbers in ``[first, last]``."""
    days = np.arange(first, last + 1, dtype="int64")
    return days[(days + 3) % 7 < 5]


def to_weekday_on_or_before(days: np.ndarray) -> np.ndarray:
    """Move weekend days back to the Friday before."""
    days = np.asarray(days, dtype="int64")
    dow = (days + 3) % 7  # 0 = Monday
    return days - np.where(dow == 5, 1, np.where(dow == 6, 2, 0))
