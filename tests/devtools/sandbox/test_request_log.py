"""The request log: every provider request in order of arrival, with its times and status; reset clears it."""

from __future__ import annotations

import threading
import time

import pytest
import requests

AAPL_AGGS = "/v2/aggs/ticker/AAPL/range/1/day/2026-11-20/2026-11-24"
CHAIN = "/v3/snapshot/options/AAPL"
FMP_EARNINGS = "/stable/earnings"


def test_the_log_holds_each_provider_request_in_order_with_its_times_and_status(sandbox, get):
    sandbox.control.fault(path=CHAIN, kind="status", status=429, retry_after=2)
    before = time.time()
    get(AAPL_AGGS)
    get(CHAIN, limit=1)
    get(FMP_EARNINGS, headers={}, symbol="AAPL", apikey="k")
    sandbox.control.counters()  # control requests are not logged
    after = time.time()

    logged = sandbox.control.requests()

    assert [(r.method, r.path, r.endpoint, r.status) for r in logged] == [
        ("GET", AAPL_AGGS, "aggs", 200),
        ("GET", CHAIN, "options_chain", 429),
        ("GET", FMP_EARNINGS, "fmp_earnings", 200),
    ]
    moments = [moment for r in logged for moment in (r.arrived, r.answered)]
    assert before <= moments[0] and moments == sorted(moments) and moments[-1] <= after


def test_a_request_arrives_before_the_latency_and_is_answered_after_it(sandbox, get):
    sandbox.control.latency(0.2)
    get(AAPL_AGGS)

    (logged,) = sandbox.control.requests()

    assert logged.answered - logged.arrived >= 0.2


def test_a_reset_connection_is_logged_without_a_status(sandbox, get):
    sandbox.control.fault(path=CHAIN, kind="reset")
    with pytest.raises(requests.ConnectionError):
        get(CHAIN)

    assert [(r.path, r.status) for r in sandbox.control.requests()] == [(CHAIN, 0)]


def test_reset_clears_the_log(sandbox, get):
    get(AAPL_AGGS)
    sandbox.control.reset()
    get(CHAIN, limit=1)

    assert [r.path for r in sandbox.control.requests()] == [CHAIN]


def test_a_request_in_flight_at_a_reset_stays_out_of_the_log(sandbox, get):
    sandbox.control.fault(path=CHAIN, kind="hang", seconds=0.5)
    late = threading.Thread(target=get, args=(CHAIN,), kwargs={"limit": 1})
    late.start()
    give_up = time.monotonic() + 10
    while sandbox.control.counters()["total"] == 0:  # it arrived: counted, now hanging
        assert time.monotonic() < give_up, "the request never arrived"
        time.sleep(0.01)
    sandbox.control.reset()
    late.join(timeout=10)

    assert not late.is_alive()
    assert sandbox.control.requests() == []
