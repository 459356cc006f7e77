"""The dividends an option's model expects: declared ones, then the last regular one repeated."""

from __future__ import annotations

from datetime import date

from marketdata.dividend_schedule import DeclaredDividend, add_months, dividend_schedule

TODAY = date(2026, 11, 24)


def _declared(
    ex: date, amount: float = 0.26, frequency: int | None = 4, kind: str = "CD"
) -> DeclaredDividend:
    return DeclaredDividend(ex_dividend_date=ex, cash_amount=amount, frequency=frequency, dividend_type=kind)


def test_the_declared_dividend_then_the_quarterly_projection_to_the_expiration() -> None:
    schedule = dividend_schedule([_declared(date(2026, 12, 10))], today=TODAY, until=date(2027, 9, 17))

    assert schedule == [
        (date(2026, 12, 10), 0.26),
        (date(2027, 3, 10), 0.26),
        (date(2027, 6, 10), 0.26),
        (date(2027, 9, 10), 0.26),
    ]


def test_a_last_dividend_gone_ex_still_sets_the_next_ones() -> None:
    schedule = dividend_schedule([_declared(date(2026, 11, 7), 0.5)], today=TODAY, until=date(2027, 5, 1))

    assert schedule == [(date(2027, 2, 7), 0.5)]  # Nov 7's was paid; the next is three months on


def test_the_latest_declared_amount_is_the_one_projected() -> None:
    raised = [_declared(date(2026, 8, 10), 0.24), _declared(date(2026, 11, 10), 0.26)]

    assert dividend_schedule(raised, today=TODAY, until=date(2027, 2, 28)) == [(date(2027, 2, 10), 0.26)]


def test_specials_and_one_time_dividends_are_not_projected_and_nothing_beyond_the_window() -> None:
    special = _declared(date(2026, 12, 1), 3.0, frequency=0, kind="SC")
    one_time = _declared(date(2026, 12, 5), 1.0, frequency=0)

    assert dividend_schedule([special, one_time], today=TODAY, until=date(2027, 12, 31)) == [
        (date(2026, 12, 1), 3.0),
        (date(2026, 12, 5), 1.0),
    ]
    assert dividend_schedule([_declared(date(2026, 12, 10))], today=TODAY, until=date(2026, 12, 9)) == []


def test_an_ex_date_today_is_already_in_the_price() -> None:
    assert dividend_schedule([_declared(TODAY, frequency=None)], today=TODAY, until=date(2027, 1, 1)) == []


def test_monthly_payers_and_month_ends() -> None:
    schedule = dividend_schedule(
        [_declared(date(2027, 1, 31), 0.1, frequency=12)], today=TODAY, until=date(2027, 4, 30)
    )

    assert [ex for ex, _ in schedule] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
    ]
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
