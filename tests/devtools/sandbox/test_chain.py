"""Options chain and single-contract snapshots, driven by the official client and `requests`."""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from datetime import date, timedelta
from urllib.parse import urlsplit

import exchange_calendars
import pytest
from massive.exceptions import BadResponse

from devtools.sandbox import data

CHAIN = "/v3/snapshot/options/AAPL"


def _occ_fields(ticker: str) -> tuple[str, date, str, float]:
    """Parse O:ROOT YYMMDD C|P STRIKE×1000 from the right."""
    body = ticker.removeprefix("O:")
    strike = int(body[-8:]) / 1000
    flag = body[-9]
    expiry = date(2000 + int(body[-15:-13]), int(body[-13:-11]), int(body[-11:-9]))
    return body[:-15], expiry, {"C": "call", "P": "put"}[flag], strike


def test_liquid_chain_comes_back_whole_through_pages_of_250(sandbox, client):
    contracts = list(client.list_snapshot_options_chain("AAPL", params={"limit": 250}))
    pages = sandbox.control.count("options_chain")
    assert len(contracts) >= 1500
    assert pages == math.ceil(len(contracts) / 250)
    assert len(contracts) == len(data.chain("AAPL", sandbox.today))


def test_tickers_are_unique(aapl_chain):
    tickers = [c.details.ticker for c in aapl_chain]
    assert len(set(tickers)) == len(tickers)


def test_occ_fields_agree_with_details(aapl_chain):
    for contract in aapl_chain:
        details = contract.details
        root, expiry, contract_type, strike = _occ_fields(details.ticker)
        assert root == "AAPL"
        assert expiry.isoformat() == details.expiration_date
        assert contract_type == details.contract_type
        assert strike == details.strike_price
        assert details.shares_per_contract == 100


def test_default_order_is_by_ticker(aapl_chain):
    tickers = [c.details.ticker for c in aapl_chain]
    assert tickers == sorted(tickers)


def test_underlying_price_is_the_latest_bar_close(client, aapl_chain, today):
    latest = client.get_aggs("AAPL", 1, "day", today - timedelta(days=7), today)[-1]
    assert {c.underlying_asset.price for c in aapl_chain} == {latest.close}


def test_deltas_are_in_range(aapl_chain):
    for contract in aapl_chain:
        if contract.greeks is None or contract.greeks.delta is None:
            continue
        if contract.details.contract_type == "call":
            assert 0 <= contract.greeks.delta <= 1
        else:
            assert -1 <= contract.greeks.delta <= 0


def test_deltas_fall_as_strikes_rise_within_each_expiry(aapl_chain):
    by_expiry = defaultdict(list)
    for c in aapl_chain:
        if c.greeks is not None and c.greeks.delta is not None:
            by_expiry[c.details.expiration_date, c.details.contract_type].append(
                (c.details.strike_price, c.greeks.delta)
            )
    assert len(by_expiry) >= 40
    for rows in by_expiry.values():
        deltas = [delta for _, delta in sorted(rows)]
        assert all(b <= a for a, b in itertools.pairwise(deltas))


def test_quotes_have_bid_at_most_ask_and_greeks_in_provider_units(aapl_chain):
    for c in aapl_chain:
        quote = c.last_quote
        if quote is not None and quote.ask:
            assert 0 <= quote.bid <= quote.ask
        if c.greeks is not None and c.greeks.theta is not None:
            assert c.greeks.theta < 0.5 and c.greeks.vega >= 0 and c.greeks.gamma >= 0


def test_the_chain_has_the_gaps_real_chains_have(aapl_chain):
    without_greeks = [c for c in aapl_chain if c.greeks is None or c.greeks.delta is None]
    without_quote = [c for c in aapl_chain if c.last_quote is None]
    bid_only = [c for c in aapl_chain if c.last_quote is not None and not c.last_quote.ask]
    assert without_greeks and without_quote and bid_only
    assert all(c.last_quote is None or c.last_quote.bid > 0 for c in bid_only)


def test_contracts_without_greeks_are_deep_in_the_money(aapl_chain):
    for c in aapl_chain:
        if c.greeks is None or c.greeks.delta is None:
            spot, strike = c.underlying_asset.price, c.details.strike_price
            in_the_money = spot > strike if c.details.contract_type == "call" else spot < strike
            assert in_the_money


def test_expiration_schedule_has_weeklies_monthlies_and_january_leaps(aapl_chain, today):
    calendar = exchange_calendars.get_calendar("XNYS", start="2026-01-01", end="2029-12-31")
    expiries = sorted({date.fromisoformat(c.details.expiration_date) for c in aapl_chain})
    assert all(calendar.is_session(day.isoformat()) for day in expiries)
    fridays = [today + timedelta(days=d) for d in range(1, 57) if (today + timedelta(days=d)).weekday() == 4]
    weekly = [day for day in expiries if (day - today).days <= 56]
    assert len(weekly) == len(fridays)  # one per week; holiday Fridays move to Thursday
    far = [day for day in expiries if (day - today).days > 731]
    assert far and all(day.month == 1 for day in far)
    assert 730 < (expiries[-1] - today).days <= 31 * 31  # LEAPS reach two to ~2.5 years out


def test_every_month_of_the_next_year_has_its_third_friday_expiry(aapl_chain, today):
    expiries = {date.fromisoformat(c.details.expiration_date) for c in aapl_chain}
    for months in range(1, 13):
        year, month = divmod(today.month - 1 + months, 12)
        first = date(today.year + year, month + 1, 1)
        third_friday = first + timedelta(days=(4 - first.weekday()) % 7 + 14)
        assert third_friday in expiries or third_friday - timedelta(days=1) in expiries


def test_holiday_friday_expiry_moves_to_thursday(aapl_chain):
    expiries = {c.details.expiration_date for c in aapl_chain}
    assert "2026-12-24" in expiries  # Christmas Day 2026 is a Friday
    assert "2026-12-25" not in expiries
    assert "2027-06-17" in expiries  # third Friday of June 2027 is Juneteenth (observed)


def test_illiquid_chain_is_small(client):
    contracts = list(client.list_snapshot_options_chain("KALU", params={"limit": 250}))
    assert 100 <= len(contracts) <= 300


@pytest.mark.parametrize(
    ("params", "keep"),
    [
        (
            {"expiration_date.gte": "2026-12-01", "expiration_date.lte": "2027-01-22"},
            lambda d: "2026-12-01" <= d.expiration_date <= "2027-01-22",
        ),
        (
            {"expiration_date.gt": "2026-12-04", "expiration_date.lt": "2026-12-18"},
            lambda d: "2026-12-04" < d.expiration_date < "2026-12-18",
        ),
        ({"expiration_date": "2027-01-15"}, lambda d: d.expiration_date == "2027-01-15"),
        ({"contract_type": "put"}, lambda d: d.contract_type == "put"),
        (
            {"strike_price.gte": 250, "strike_price.lte": 300, "contract_type": "call"},
            lambda d: 250 <= d.strike_price <= 300 and d.contract_type == "call",
        ),
        ({"strike_price.gt": 300, "strike_price.lt": 320}, lambda d: 300 < d.strike_price < 320),
        ({"strike_price": 290}, lambda d: d.strike_price == 290),
    ],
)
def test_filters_select_exactly_the_matching_contracts(client, aapl_chain, params, keep):
    filtered = list(client.list_snapshot_options_chain("AAPL", params={**params, "limit": 250}))
    expected = {c.details.ticker for c in aapl_chain if keep(c.details)}
    assert expected
    assert sorted(c.details.ticker for c in filtered) == sorted(expected)


def test_spec_long_term_call_filter(client, today):
    params = {
        "expiration_date.gte": (today + timedelta(days=365)).isoformat(),
        "expiration_date.lte": (today + timedelta(days=900)).isoformat(),
        "contract_type": "call",
        "limit": 250,
    }
    contracts = list(client.list_snapshot_options_chain("AAPL", params=params))
    assert contracts
    assert all(c.details.contract_type == "call" for c in contracts)
    assert all(365 <= (date.fromisoformat(c.details.expiration_date) - today).days <= 900 for c in contracts)


def test_sort_and_order_are_honoured(client):
    params = {"sort": "strike_price", "order": "desc", "limit": 250, "expiration_date": "2027-01-15"}
    strikes = [c.details.strike_price for c in client.list_snapshot_options_chain("AAPL", params=params)]
    assert strikes == sorted(strikes, reverse=True)


def test_default_page_is_ten_with_an_absolute_next_url(get, sandbox):
    body = get(CHAIN).json()
    assert len(body["results"]) == 10
    link = urlsplit(body["next_url"])
    assert f"{link.scheme}://{link.netloc}" == sandbox.base_url
    assert link.path == CHAIN
    assert link.query.startswith("cursor=")


def test_next_url_carries_the_filters(get):
    first = get(CHAIN, contract_type="put", limit=5).json()
    second = get(urlsplit(first["next_url"]).path + "?" + urlsplit(first["next_url"]).query).json()
    assert all(r["details"]["contract_type"] == "put" for r in second["results"])
    assert len(second["results"]) == 5
    assert {r["details"]["ticker"] for r in first["results"]}.isdisjoint(
        r["details"]["ticker"] for r in second["results"]
    )


def test_last_page_has_no_next_url(get):
    body = get(CHAIN, expiration_date="2027-01-15", contract_type="call", limit=250).json()
    assert body["results"]
    assert "next_url" not in body


def test_limit_above_250_is_rejected(get):
    response = get(CHAIN, limit=1000)
    assert response.status_code == 400
    assert response.json()["status"] == "ERROR"


def test_bad_contract_type_is_rejected(get):
    assert get(CHAIN, contract_type="straddle").status_code == 400


def test_unknown_symbol_chain_is_empty(get, client):
    body = get("/v3/snapshot/options/ZZZZQ").json()
    assert body["status"] == "OK"
    assert body["results"] == []
    assert "next_url" not in body
    assert list(client.list_snapshot_options_chain("ZZZZQ")) == []


def test_class_share_contracts_use_the_root_without_dot(client):
    contracts = list(client.list_snapshot_options_chain("BRK.B", params={"limit": 250}))
    assert contracts
    assert all(c.details.ticker.startswith("O:BRKB") for c in contracts)
    assert {c.underlying_asset.ticker for c in contracts} == {"BRK.B"}


def test_single_contract_matches_its_chain_record(client, aapl_chain):
    listed = next(c for c in aapl_chain if c.greeks is not None and c.greeks.delta)
    single = client.get_snapshot_option("AAPL", listed.details.ticker)
    assert single.details == listed.details
    assert single.greeks == listed.greeks
    assert single.last_quote == listed.last_quote


def test_unknown_contract_is_404_not_found(get):
    response = get("/v3/snapshot/options/AAPL/O:AAPL261127C09999000")
    body = response.json()
    assert response.status_code == 404
    assert body["status"] == "NOT_FOUND"
    assert body["request_id"] and body["message"]


def test_official_client_raises_bad_response_for_unknown_contract(client):
    with pytest.raises(BadResponse, match="NOT_FOUND"):
        client.get_snapshot_option("AAPL", "O:AAPL261127C09999000")


def test_contract_of_another_underlying_is_not_found(get, aapl_chain):
    ticker = aapl_chain[0].details.ticker
    assert get(f"/v3/snapshot/options/MSFT/{ticker}").status_code == 404


def test_chain_atm_iv_agrees_with_the_iv_history_model(aapl_chain, today):
    spot = aapl_chain[0].underlying_asset.price
    expiry = min(
        {c.details.expiration_date for c in aapl_chain},
        key=lambda e: abs((date.fromisoformat(e) - today).days - 30),
    )
    atm = min(
        (c for c in aapl_chain if c.details.expiration_date == expiry and c.implied_volatility),
        key=lambda c: abs(c.details.strike_price - spot),
    )
    assert atm.implied_volatility == pytest.approx(data.atm_iv_on("AAPL", today), rel=0.1)
