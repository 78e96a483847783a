"""China Standard Time (UTC+8, no daylight saving): the days, weeks and deadlines users mean."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))


def today() -> date:
    return datetime.now(CHINA).date()


def day_of(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


def midnight(day: date) -> datetime:
    """The start of a China day, as an aware datetime."""
    return datetime.combine(day, datetime.min.time(), CHINA)
