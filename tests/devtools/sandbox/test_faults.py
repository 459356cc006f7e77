"""Scripted faults, latency, down/up, malformed records and counters: each happens as scripted."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import massive
import pytest
import requests
import urllib3
from massive.exceptions import BadResponse

AAPL_PREFIX = "/v2/aggs/ticker/AAPL/"
AAPL_AGGS = "/v2/aggs/ticker/AAPL/range/1/day/2026-11-20/2026-11-24"
CHAIN = "/v3/snapshot/options/AAPL"


def _aggs(client, symbol="AAPL"):
    return client.get_aggs(symbol, 1, "day", "2026-11-20", "2026-11-24")


def test_status_fault_hits_exactly_count_requests(sandbox, client):
    sandbox.control.fault(path=AAPL_PREFIX, kind="status", status=500, count=2)
    for _ in range(2):
        with pytest.raises(urllib3.exceptions.MaxRetryError):
            _aggs(client)
    assert len(_aggs(client)) == 3
    assert sandbox.control.count("aggs") == 3


def test_scripted_500_has_massive_error_body(sandbox, get):
    sandbox.control.fault(path=AAPL_PREFIX, kind="status", status=500)
    response = get(AAPL_AGGS)
    assert response.status_code == 500
    assert response.json()["status"] == "ERROR"


def test_429_carries_retry_after(sandbox, get):
    sandbox.control.fault(path=AAPL_PREFIX, kind="status", status=429, retry_after=3)
    response = get(AAPL_AGGS)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    assert "exceeded" in response.json()["error"]
    assert get(AAPL_AGGS).status_code == 200


def test_429_without_retry_after_sends_no_header(sandbox, get):
    sandbox.control.fault(path=AAPL_PREFIX, kind="status", status=429)
    response = get(AAPL_AGGS)
    assert response.status_code == 429
    assert "Retry-After" not in response.headers


@pytest.mark.parametrize(
    ("status", "body_status"), [(401, "ERROR"), (403, "NOT_AUTHORIZED"), (404, "NOT_FOUND")]
)
def test_client_error_statuses_reach_the_official_client_as_bad_response(
    sandbox, client, status, body_status
):
    sandbox.control.fault(path=AAPL_PREFIX, kind="status", status=status)
    with pytest.raises(BadResponse, match=body_status):
        _aggs(client)


def test_fmp_status_fault_uses_fmp_error_body(sandbox, get):
    sandbox.control.fault(path="/stable/earnings", kind="status", status=429, retry_after=1)
    response = get("/stable/earnings", headers={}, symbol="AAPL", apikey="k")
    assert response.status_code == 429
    assert "Limit Reach" in response.json()["Error Message"]


def test_hang_outlasts_a_shorter_read_timeout_then_service_resumes(sandbox):
    sandbox.control.fault(path=AAPL_PREFIX, kind="hang", seconds=3)
    impatient = massive.RESTClient(api_key="k", base=sandbox.base_url, retries=0, read_timeout=0.2)
    with pytest.raises(urllib3.exceptions.MaxRetryError) as caught:
        _aggs(impatient)
    assert isinstance(caught.value.reason, urllib3.exceptions.ReadTimeoutError)
    assert len(_aggs(impatient)) == 3


def test_hang_shorter_than_the_timeout_answers_normally_late(sandbox, get):
    sandbox.control.fault(path=AAPL_PREFIX, kind="hang", seconds=0.3)
    started = time.monotonic()
    response = get(AAPL_AGGS)
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_invalid_json_is_a_200_that_does_not_parse(sandbox, get):
    sandbox.control.fault(path=AAPL_PREFIX, kind="invalid_json")
    response = get(AAPL_AGGS)
    assert response.status_code == 200
    with pytest.raises(requests.JSONDecodeError):
        response.json()


def test_official_client_turns_invalid_json_into_no_bars(sandbox, client):
    sandbox.control.fault(path=AAPL_PREFIX, kind="invalid_json")
    assert _aggs(client) == []


def test_reset_drops_the_connection_without_a_response(sandbox, get):
    sandbox.control.fault(path=AAPL_PREFIX, kind="reset")
    with pytest.raises(requests.ConnectionError):
        get(AAPL_AGGS)
    assert get(AAPL_AGGS).status_code == 200
    assert sandbox.control.count("aggs") == 2


def test_official_client_sees_reset_as_a_urllib3_error(sandbox, client):
    sandbox.control.fault(path=AAPL_PREFIX, kind="reset")
    with pytest.raises(urllib3.exceptions.HTTPError):
        _aggs(client)


def test_queued_faults_are_consumed_in_order(sandbox, get):
    sandbox.control.fault(path=AAPL_PREFIX, kind="status", status=500)
    sandbox.control.fault(path=AAPL_PREFIX, kind="status", status=429, retry_after=1)
    assert [get(AAPL_AGGS).status_code for _ in range(3)] == [500, 429, 200]


def test_after_lets_that_many_matching_requests_through_first(sandbox, get):
    sandbox.control.fault(path=AAPL_PREFIX, kind="status", status=500, count=2, after=2)
    assert [get(AAPL_AGGS).status_code for _ in range(5)] == [200, 200, 500, 500, 200]


def test_fault_path_is_a_prefix_so_a_does_not_hit_aapl(sandbox, client):
    sandbox.control.fault(path="/v2/aggs/ticker/A/", kind="status", status=500)
    assert len(_aggs(client, "AAPL")) == 3
    with pytest.raises(urllib3.exceptions.MaxRetryError):
        _aggs(client, "A")


def test_faulted_requests_are_counted_per_endpoint_and_path(sandbox, get):
    sandbox.control.fault(path=CHAIN, kind="status", status=503, count=2)
    for _ in range(3):
        get(CHAIN)
    counters = sandbox.control.counters()
    assert counters["total"] == 3
    assert counters["by_endpoint"] == {"options_chain": 3}
    assert counters["by_path"] == {CHAIN: 3}


def test_control_requests_are_not_counted(sandbox):
    sandbox.control.latency(0)
    sandbox.control.counters()
    assert sandbox.control.counters()["total"] == 0


def test_counters_are_exact_under_concurrent_requests(sandbox, get):
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: get("/v3/snapshot/options/AAPL", limit=1).status_code, range(40)))
    assert statuses == [200] * 40
    assert sandbox.control.count("options_chain") == 40


def test_latency_delays_every_provider_request(sandbox, get):
    sandbox.control.latency(0.3)
    started = time.monotonic()
    assert get(AAPL_AGGS).status_code == 200
    elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < 10  # generous upper bound


def test_down_answers_503_everywhere_until_up(sandbox, get):
    sandbox.control.down()
    massive_answer = get(AAPL_AGGS)
    fmp_answer = get("/stable/earnings", headers={}, symbol="AAPL", apikey="k")
    assert massive_answer.status_code == fmp_answer.status_code == 503
    assert massive_answer.json()["status"] == "ERROR"
    assert "Error Message" in fmp_answer.json()
    sandbox.control.up()
    assert get(AAPL_AGGS).status_code == 200
    assert sandbox.control.counters()["total"] == 3


def test_official_client_gives_up_on_down_provider(sandbox, client):
    sandbox.control.down()
    with pytest.raises(urllib3.exceptions.MaxRetryError):
        list(client.list_snapshot_options_chain("AAPL"))


def test_malformed_records_lead_every_chain_stream(sandbox, client):
    sandbox.control.malformed("AAPL", 3)
    for _ in range(2):  # each new request starts a new stream
        params = {"limit": 2, "contract_type": "put", "expiration_date": "2027-01-15"}
        contracts = list(client.list_snapshot_options_chain("AAPL", params=params))
        assert contracts[0].details.strike_price == "not-a-number"
        assert contracts[1].details is None
        assert contracts[2].details.strike_price == "not-a-number"
        assert all(isinstance(c.details.strike_price, int | float) for c in contracts[3:])


def test_malformed_records_do_not_touch_other_symbols(sandbox, client):
    sandbox.control.malformed("AAPL", 5)
    contracts = list(
        client.list_snapshot_options_chain("MSFT", params={"limit": 5, "expiration_date": "2027-01-15"})
    )
    assert all(isinstance(c.details.strike_price, int | float) for c in contracts)


def test_reset_clears_faults_switches_and_counters(sandbox, get):
    control = sandbox.control
    control.fault(path=AAPL_PREFIX, kind="status", status=500)
    control.latency(5)
    control.down()
    control.malformed("AAPL", 3)
    control.reset()
    assert get(AAPL_AGGS).status_code == 200
    first = get(CHAIN, limit=1).json()["results"][0]
    assert isinstance(first["details"]["strike_price"], int | float)
    assert control.counters() == {"total": 2, "by_endpoint": {"aggs": 1, "options_chain": 1}, "by_path": {
        AAPL_AGGS: 1, CHAIN: 1,
    }}  # fmt: skip


def test_control_rejects_a_fault_it_cannot_apply(sandbox):
    with pytest.raises(requests.HTTPError):
        sandbox.control.fault(path=AAPL_PREFIX, kind="status")  # no status
    with pytest.raises(requests.HTTPError):
        sandbox.control.fault(path=AAPL_PREFIX, kind="explode")
