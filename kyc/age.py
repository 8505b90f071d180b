"""Age against a tenant's minimum, from the date of birth a document check extracted."""

from __future__ import annotations

from datetime import date

from kyc.results import CheckResult, failed, inconclusive, passed, timed


def age_on(birth_date: date, today: date) -> int:
    had_birthday = (today.month, today.day) >= (birth_date.month, birth_date.day)
    return today.year - birth_date.year - (0 if had_birthday else 1)


@timed
def check_age(birth_date: date | None, *, min_age: int, today: date) -> CheckResult:
    if birth_date is None:
        return inconclusive("age", "birth_date_unknown")
    if birth_date > today:
        return failed("age", "document_invalid_mrz")
    age = age_on(birth_date, today)
    if age < min_age:
        return failed("age", "under_minimum_age", min_age=min_age)
    return passed("age", min_age=min_age)
