"""The rounding policy: what a response shows of each number."""

from __future__ import annotations

from marketdata import presentation
from marketdata.presentation import ROUNDING, rounded


def test_each_field_name_has_one_policy() -> None:
    listed = [name for _, names in presentation._POLICY for name in names]
    assert len(listed) == len(set(listed)) == len(ROUNDING)


def test_floats_are_rounded_by_their_field_at_any_depth() -> None:
    body = {
        "mid": 56.260000000000005,
        "results": [{"gamma": 0.01234567, "delta": -0.307494, "iv": 0.204686224}],
        "by_strategy": {"csp": {"market_value": 1234.5678, "pnl_pct": 2.2849557522123893}},
        "sma_200": 318.9777000000001,
    }
    assert rounded(body) == {
        "mid": 56.26,
        "results": [{"gamma": 0.012346, "delta": -0.3075, "iv": 0.2047}],
        "by_strategy": {"csp": {"market_value": 1234.57, "pnl_pct": 2.28}},
        "sma_200": 318.9777,
    }


def test_provider_figures_unknown_names_and_non_floats_are_left_alone() -> None:
    body = {"close": 1.234567, "novel": 1.234567, "dte": 30, "valid": True, "spot": None}
    assert rounded(body) == body


def test_one_field_rounds_alone() -> None:
    assert presentation.round_field("iv_rank", 76.69374580663305) == 76.69
    assert presentation.round_field("iv_rank", None) is None
