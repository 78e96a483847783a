"""The statutory clock of a petition (信访), by the 2022 《信访工作条例》 (article numbers unverified).

Pure functions over dates, so every edge is testable without a database:

* decide and tell whether it is accepted (or routed elsewhere) within 15 days of receipt — counted
  from the received date, even when a letter is entered days later;
* handle and reply in writing within 60 days of acceptance, extended once by at most 30 days;
* a review (复查) may be asked within 30 days of the reply and is answered within 30 days;
* a re-review (复核) likewise; after it the same facts and reasons are not accepted again.

Days are calendar days (自然日) in China time; "within N days of D" means on or before D + N. Every
length is a setting (``PETITION_*_DAYS``) in case the rules change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Rules:
    accept_days: int = 15
    reply_days: int = 60
    max_extension_days: int = 30
    review_request_days: int = 30
    review_days: int = 30

    @classmethod
    def from_config(cls, config) -> Rules:
        return cls(config["PETITION_ACCEPT_DAYS"], config["PETITION_REPLY_DAYS"], config["PETITION_MAX_EXTENSION_DAYS"],
                   config["PETITION_REVIEW_REQUEST_DAYS"], config["PETITION_REVIEW_DAYS"])


@dataclass(frozen=True)
class Facts:
    """The dates that start a clock; None until they happen."""

    received_on: date
    accepted_on: date | None = None
    extension_days: int = 0
    replied_on: date | None = None
    review_requested_on: date | None = None
    review_replied_on: date | None = None
    re_review_requested_on: date | None = None


def _plus(start: date | None, days: int) -> date | None:
    return start + timedelta(days=days) if start is not None else None


def deadlines(facts: Facts, rules: Rules) -> dict[str, date | None]:
    """Every due date, None until it applies."""
    return {
        "accept_due": _plus(facts.received_on, rules.accept_days),
        "reply_due": _plus(facts.accepted_on, rules.reply_days + facts.extension_days),
        "review_request_due": _plus(facts.replied_on, rules.review_request_days),
        "review_due": _plus(facts.review_requested_on, rules.review_days),
        "re_review_request_due": _plus(facts.review_replied_on, rules.review_request_days),
        "re_review_due": _plus(facts.re_review_requested_on, rules.review_days),
    }


# Which deadline is running at each status, and the date that stops it.
RUNNING = {
    "registered": "accept_due",
    "accepted": "reply_due",
    "assigned": "reply_due",
    "review_requested": "review_due",
    "re_review_requested": "re_review_due",
}


def days_left(due: date | None, today: date) -> int | None:
    """Days until ``due`` (0 on the day itself, negative once overdue)."""
    return (due - today).days if due is not None else None


def is_overdue(due: date | None, today: date) -> bool:
    return due is not None and today > due


def within(window_end: date | None, on: date) -> bool:
    """A request made ``on`` that date is in time for a window ending ``window_end``."""
    return window_end is not None and on <= window_end
