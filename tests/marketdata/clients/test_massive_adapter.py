"""MassiveRESTClient: the official client's own methods, with status/headers/body seen by mojo."""

from __future__ import annotations

import math
from datetime import date

import pytest
from massive.rest.models import Agg, OptionContractSnapshot

from devtools.localredis import free_port
from marketdata.clients.massive_adapter import MalformedRecord, MassiveRESTClient, build_record, not_entitled
from marketdata.clients.retry import RetryPolicy
from marketdata.exceptions import (
    MalformedResponse,
    NotEntitled,
    ProviderAuthError,
    ProviderRateLimited,
    ProviderUnavailable,
    TickerNotFound,
)

POLICY = RetryPolicy(attempts=3, wait=0.0, connect_timeout=3.0, read_timeout=5.0)
CHAIN_PARAMS = {"expiration_date.gte": "2026-11-24", "expiration_date.lte": "2027-01-31", "limit": 250}


def rest_client(base_url: str) -> MassiveRESTClient:
    return MassiveRESTClient(api_key="test-key", base=base_url, policy=POLICY)


@pytest.fixture
def rest(sandbox) -> MassiveRESTClient:
    return rest_client(sandbox.base_url)


def test_library_methods_still_return_library_models(rest) -> None:
    with rest.scope("aggs", "AAPL", None):
        aggs = rest.get_aggs("AAPL", 1, "day", date(2026, 11, 2), date(2026, 11, 24))
    assert aggs and all(isinstance(agg, Agg) for agg in aggs)


def test_a_429_reaches_the_policy_with_its_retry_after(rest, sandbox) -> None:
    sandbox.control.fault(path="/v2/aggs/ticker/AAPL/", kind="status", status=429, retry_after=0, count=3)
    with rest.scope("aggs", "AAPL", None), pytest.raises(ProviderRateLimited) as caught:
        rest.get_aggs("AAPL", 1, "day", date(2026, 11, 2), date(2026, 11, 24))
    assert (caught.value.retry_after, sandbox.control.count("aggs")) == (0.0, 3)


def test_a_404_is_ticker_not_found_not_bad_response(rest) -> None:
    with rest.scope("option_contract", "O:AAPL261218C09990000", None), pytest.raises(TickerNotFound):
        rest.get_snapshot_option("AAPL", "O:AAPL261218C09990000")


def test_the_providers_not_entitled_403_is_not_entitled_naming_the_endpoint(rest, sandbox) -> None:
    sandbox.control.fault(path="/v2/aggs/ticker/AAPL/", kind="status", status=403)
    with rest.scope("aggs", "AAPL", None), pytest.raises(NotEntitled) as raised:
        rest.get_aggs("AAPL", 1, "day", date(2026, 11, 2), date(2026, 11, 24))
    assert raised.value.details == {"endpoint": "aggs"}


def test_a_401_is_provider_auth_error(rest, sandbox) -> None:
    sandbox.control.fault(path="/v2/aggs/ticker/AAPL/", kind="status", status=401)
    with rest.scope("aggs", "AAPL", None), pytest.raises(ProviderAuthError):
        rest.get_aggs("AAPL", 1, "day", date(2026, 11, 2), date(2026, 11, 24))


@pytest.mark.parametrize(
    ("body", "entitled"),
    [
        (b'{"status":"NOT_AUTHORIZED","message":"You are not entitled to this data."}', False),
        # A 403 about the timeframe is not a missing entitlement, nor is one that is not the provider's JSON.
        (b'{"status":"NOT_AUTHORIZED","message":"Attempted to request today data before end of day."}', True),
        (b'{"status":"ERROR","message":"You are not entitled to this data."}', True),
        (b"<html>Forbidden</html>", True),
    ],
)
def test_only_not_authorized_not_entitled_bodies_mean_the_plan_lacks_the_endpoint(body, entitled) -> None:
    assert not_entitled(body) is not entitled


def test_invalid_json_is_malformed_response_not_an_empty_list(rest, sandbox) -> None:
    sandbox.control.fault(path="/v3/snapshot/options/AAPL", kind="invalid_json")
    with rest.scope("options_chain", "AAPL", None), pytest.raises(MalformedResponse):
        list(rest.list_snapshot_options_chain("AAPL", params=dict(CHAIN_PARAMS)))


def test_pagination_follows_next_url_on_our_base(rest, sandbox) -> None:
    with rest.scope("options_chain", "AAPL", None):
        contracts = list(rest.list_snapshot_options_chain("AAPL", params=dict(CHAIN_PARAMS)))
    assert all(isinstance(contract, OptionContractSnapshot) for contract in contracts)
    assert sandbox.control.count("options_chain") == math.ceil(len(contracts) / 250) > 1


def test_each_page_is_retried_on_its_own(rest, sandbox) -> None:
    with rest.scope("options_chain", "AAPL", None):
        pages = rest.list_snapshot_options_chain("AAPL", params=dict(CHAIN_PARAMS))
        first = [next(pages) for _ in range(250)]
        sandbox.control.fault(path="/v3/snapshot/options/AAPL", kind="status", status=502)
        rest_of_chain = list(pages)
    total = len(first) + len(rest_of_chain)
    assert sandbox.control.count("options_chain") == math.ceil(total / 250) + 1


def test_nothing_foreign_escapes_when_the_provider_is_unreachable() -> None:
    rest = rest_client(f"http://127.0.0.1:{free_port()}")
    with rest.scope("aggs", "AAPL", None), pytest.raises(ProviderUnavailable):
        rest.get_aggs("AAPL", 1, "day", date(2026, 11, 2), date(2026, 11, 24))


def test_null_sub_objects_are_treated_as_absent() -> None:
    model = build_record(OptionContractSnapshot.from_dict, {"greeks": None, "details": {"ticker": "O:X"}})
    assert model.greeks is None and model.details.ticker == "O:X"


def test_a_record_the_model_cannot_be_built_from_is_kept_as_malformed() -> None:
    record = build_record(OptionContractSnapshot.from_dict, {"details": "not-an-object"})
    assert isinstance(record, MalformedRecord)
