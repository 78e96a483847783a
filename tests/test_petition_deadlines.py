"""The petition clock at its edges (day 15, day 16, day 60 + 30, the review windows)."""

from __future__ import annotations

from datetime import date, timedelta

from api.petitions.deadlines import Facts, Rules, days_left, deadlines, is_overdue, within

RECEIVED = date(2026, 3, 2)
RULES = Rules()


def test_acceptance_is_due_on_day_15_and_overdue_on_day_16():
    due = deadlines(Facts(received_on=RECEIVED), RULES)["accept_due"]
    assert due == date(2026, 3, 17)
    assert not is_overdue(due, RECEIVED + timedelta(days=15)) and days_left(due, RECEIVED + timedelta(days=15)) == 0
    assert is_overdue(due, RECEIVED + timedelta(days=16)) and days_left(due, RECEIVED + timedelta(days=16)) == -1


def test_a_letter_entered_late_counts_from_its_received_date():
    assert deadlines(Facts(received_on=RECEIVED), RULES)["accept_due"] == RECEIVED + timedelta(days=15)


def test_reply_in_60_days_of_acceptance_plus_one_extension_of_at_most_30():
    accepted = date(2026, 3, 10)
    plain = deadlines(Facts(received_on=RECEIVED, accepted_on=accepted), RULES)["reply_due"]
    assert plain == accepted + timedelta(days=60)
    extended = deadlines(Facts(received_on=RECEIVED, accepted_on=accepted, extension_days=30), RULES)["reply_due"]
    assert extended == accepted + timedelta(days=90)
    assert not is_overdue(extended, accepted + timedelta(days=90)) and is_overdue(extended, accepted + timedelta(days=91))


def test_review_and_re_review_windows():
    facts = Facts(received_on=RECEIVED, accepted_on=date(2026, 3, 10), replied_on=date(2026, 4, 20),
                  review_requested_on=date(2026, 5, 20), review_replied_on=date(2026, 6, 1),
                  re_review_requested_on=date(2026, 6, 30))
    due = deadlines(facts, RULES)
    assert due["review_request_due"] == date(2026, 5, 20)
    assert within(due["review_request_due"], date(2026, 5, 20)) and not within(due["review_request_due"], date(2026, 5, 21))
    assert due["review_due"] == date(2026, 6, 19)
    assert due["re_review_request_due"] == date(2026, 7, 1) and due["re_review_due"] == date(2026, 7, 30)


def test_deadlines_are_null_until_they_apply_and_follow_the_rules():
    due = deadlines(Facts(received_on=RECEIVED), RULES)
    assert [k for k, v in due.items() if v is None] == ["reply_due", "review_request_due", "review_due",
                                                         "re_review_request_due", "re_review_due"]
    stricter = Rules(accept_days=10)
    assert deadlines(Facts(received_on=RECEIVED), stricter)["accept_due"] == RECEIVED + timedelta(days=10)


def test_the_rules_come_from_the_settings(app):
    assert Rules.from_config(app.config) == Rules()
