"""Planning the history calls: full once, then the cheaper of grouped daily and per-symbol ranges."""

from __future__ import annotations

from datetime import date

from marketdata.history_plan import HistoryPlan, checked_after, plan_history, settled_session

MON, TUE, WED, THU = date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 27)
COMPLETED = [date(2026, 11, 20), MON, TUE, WED, THU]  # the 26th is Thanksgiving


def test_a_symbol_with_nothing_stored_is_fetched_in_full_once() -> None:
    plan = plan_history({"AAPL": None, "MSFT": THU}, completed=COMPLETED)
    assert plan.full == ("AAPL",) and plan.calls == 1


def test_symbols_up_to_date_need_no_call() -> None:
    assert plan_history({"AAPL": THU, "MSFT": THU}, completed=COMPLETED) == HistoryPlan()


def test_many_symbols_one_session_behind_take_one_grouped_call() -> None:
    plan = plan_history({symbol: WED for symbol in ("A", "B", "C")}, completed=COMPLETED)
    assert plan.grouped == (THU,) and plan.grouped_for == ("A", "B", "C")
    assert plan.ranges == {} and plan.calls == 1


def test_few_symbols_far_behind_take_per_symbol_ranges() -> None:
    plan = plan_history({"A": MON, "B": THU}, completed=COMPLETED)
    assert plan.ranges == {"A": (TUE, THU)} and plan.grouped == () and plan.calls == 1


def test_a_tie_goes_to_per_symbol_ranges() -> None:
    plan = plan_history({"A": TUE, "B": TUE}, completed=COMPLETED)  # 2 sessions, 2 symbols
    assert plan.ranges == {"A": (WED, THU), "B": (WED, THU)} and plan.grouped == ()


def test_holidays_are_not_sessions_to_fetch() -> None:
    plan = plan_history({symbol: WED for symbol in ("A", "B")}, completed=COMPLETED)
    assert plan.grouped == (THU,)  # not the 26th


def test_without_a_completed_session_nothing_is_planned() -> None:
    assert plan_history({"A": None}, completed=[]) == HistoryPlan()


def test_sessions_before_today_are_settled_and_today_after_its_close_is_not() -> None:
    assert settled_session(COMPLETED, today=date(2026, 11, 28)) == THU  # Saturday: Friday is settled
    assert settled_session(COMPLETED, today=THU) == WED  # Friday evening: its bars may still come


def test_a_settled_session_without_a_bar_counts_as_checked() -> None:
    # An illiquid symbol that did not trade on Friday is not asked about Friday again.
    assert checked_after(WED, None, asked=THU, settled=THU) == THU


def test_an_unsettled_session_without_a_bar_is_asked_again() -> None:
    assert checked_after(WED, None, asked=THU, settled=WED) == WED


def test_a_bar_counts_as_checked_whether_settled_or_not() -> None:
    assert checked_after(WED, THU, asked=THU, settled=WED) == THU
    assert checked_after(None, None, asked=THU, settled=None) is None
