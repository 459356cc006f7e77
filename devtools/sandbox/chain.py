"""Massive's options chain snapshot and single-contract snapshot, as the sandbox serves them.

Chain records are serialised once per (symbol, today) and pages are joined from the bytes;
`next_url` cursors are absolute, as the provider's are. A generated symbol's chain is priced
once per (symbol, moment, expiries asked) and then kept deflated within a memory budget
(`PACKED_BUDGET_BYTES`), so a universe of thousands is not repriced by every refresh.
"""

from __future__ import annotations

import functools
import itertools
import json
import threading
import zlib
from array import array
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from devtools.sandbox import data
from devtools.sandbox.splits import Split, of_symbol
from devtools.sandbox.wire import (
    JSON_TYPE,
    RANGE_OPS,
    BadRequest,
    Request,
    Response,
    encode_cursor,
    int_param,
    list_params,
    massive_error,
    request_id,
)
from marketdata import occ
from marketdata.exceptions import InvalidOptionTicker

CHAIN_LIMIT_DEFAULT = 10


CHAIN_LIMIT_MAX = 250


@dataclass(frozen=True, slots=True)
class _ChainIndex:
    bodies: tuple[bytes, ...]
    expirations: tuple[str, ...]
    types: tuple[str, ...]
    strikes: tuple[float, ...]
    by_ticker: dict[str, int]
    orders: dict[str, tuple[int, ...]]
    kept: tuple[dict[str, Any], ...] | None = None  # the records themselves (a UNIVERSE symbol's)

    def record(self, position: int) -> dict[str, Any]:
        """The record at `position`: kept, or decoded from its body (equal either way)."""
        if self.kept is not None:
            return self.kept[position]
        record: dict[str, Any] = json.loads(self.bodies[position])
        return record


def _index_at(request: Request, symbol: str, expiries: tuple[date, ...] | None = None) -> _ChainIndex:
    """The chain as of the request's moment: priced at what the symbol's (adjusted) bars show then.

    A generated symbol's index holds only `expiries` (None: all), the only ones it prices;
    one of the 57 always holds its whole chain.
    """
    live = of_symbol(symbol, request.splits)
    spot = data.spot_at(symbol, request.today, request.now, splits=live)
    if data.is_generated(symbol):
        return _generated_chain_index(symbol, request.today, spot, live, expiries)
    return _chain_index(symbol, request.today, spot, live)


@functools.lru_cache(maxsize=256)
def _chain_index(symbol: str, today: date, spot: float | None, live: tuple[Split, ...]) -> _ChainIndex:
    """A UNIVERSE symbol's chain index, kept for the 256 latest (symbol, moment)s."""
    return _of_records(data.chain_records(symbol, today, spot, splits=live), keep=True)


@functools.lru_cache(maxsize=16)
def _generated_chain_index(
    symbol: str, today: date, spot: float | None, live: tuple[Split, ...], expiries: tuple[date, ...] | None
) -> _ChainIndex:
    """A generated symbol's index of some expiries, unpacked: the latest few, those being paged
    through. Priced once per (symbol, moment, expiries) while the packed store keeps it."""
    key = (symbol, today, spot, live, expiries)
    if (packed := PACKED.get(key)) is not None:
        return packed.unpacked()
    index = _of_records(data.chain_records(symbol, today, spot, splits=live, expiries=expiries), keep=False)
    PACKED.put(key, _Packed.of(index))
    return index


_ENCODER = json.JSONEncoder(separators=(",", ":"))  # what json.dumps(separators=…) builds per call


def _of_records(records: tuple[dict[str, Any], ...], *, keep: bool) -> _ChainIndex:
    """The index of records in ticker order; `keep`: keep the records too, not only their bodies."""
    details = [record["details"] for record in records]
    return _assembled(
        bodies=tuple(_ENCODER.encode(record).encode() for record in records),
        tickers=[d["ticker"] for d in details],
        expirations=tuple(d["expiration_date"] for d in details),
        types=tuple(d["contract_type"] for d in details),
        strikes=tuple(float(d["strike_price"]) for d in details),
        kept=records if keep else None,
    )


def _assembled(
    *,
    bodies: tuple[bytes, ...],
    tickers: list[str],
    expirations: tuple[str, ...],
    types: tuple[str, ...],
    strikes: tuple[float, ...],
    kept: tuple[dict[str, Any], ...] | None = None,
) -> _ChainIndex:
    indices = range(len(bodies))
    return _ChainIndex(
        bodies=bodies,
        expirations=expirations,
        types=types,
        strikes=strikes,
        by_ticker={ticker: i for i, ticker in enumerate(tickers)},
        # records are already in ticker order; the others tie-break on it
        orders={
            "ticker": tuple(indices),
            "expiration_date": tuple(sorted(indices, key=lambda i: expirations[i])),
            "strike_price": tuple(sorted(indices, key=lambda i: strikes[i])),
        },
        kept=kept,
    )


# --- generated indexes, packed --------------------------------------------------------------
# Pricing and encoding a generated symbol's two chain windows costs 35–40 ms of CPU; a sandbox
# serving 5,000 of them to a refresh every few minutes would spend its time (and the machine's)
# repricing the same answers. Once priced, an index is kept deflated (~75 KB for a symbol's two
# windows, against ~390 KB of JSON) and unpacked in about a millisecond.
PACKED_BUDGET_BYTES = 512 * 1024 * 1024
_TYPE_CODES = {"call": ord("c"), "put": ord("p")}
_TYPES = {code: name for name, code in _TYPE_CODES.items()}


@dataclass(frozen=True, slots=True)
class _Packed:
    """A generated chain index, deflated: what `_assembled` needs to rebuild it."""

    bodies: bytes  # the records' bodies, joined and deflated
    ends: array[int]  # where each body ends in the inflated bytes
    tickers: bytes  # the records' tickers, newline-joined and deflated
    expirations: tuple[str, ...]  # the distinct expiration dates, in order
    expiry_of: bytes  # each record's position in `expirations`
    types: bytes  # each record's contract type, c or p
    strikes: array[float]

    @classmethod
    def of(cls, index: _ChainIndex) -> _Packed:
        """Pack an index of unique tickers (a chain's) and fewer than 256 expiries."""
        distinct = tuple(dict.fromkeys(index.expirations))
        position = {expiry: i for i, expiry in enumerate(distinct)}
        return cls(
            bodies=zlib.compress(b"".join(index.bodies), 1),
            ends=array("I", itertools.accumulate(len(body) for body in index.bodies)),
            tickers=zlib.compress("\n".join(index.by_ticker).encode(), 1),
            expirations=distinct,
            expiry_of=bytes(position[expiry] for expiry in index.expirations),
            types=bytes(_TYPE_CODES[contract_type] for contract_type in index.types),
            strikes=array("d", index.strikes),
        )

    @property
    def size(self) -> int:
        """Bytes held, roughly."""
        arrays = len(self.ends) * self.ends.itemsize + len(self.strikes) * self.strikes.itemsize
        return len(self.bodies) + len(self.tickers) + len(self.expiry_of) + len(self.types) + arrays + 400

    def unpacked(self) -> _ChainIndex:
        """The index as `_of_records` built it (the records are decoded from their bodies on demand)."""
        joined = zlib.decompress(self.bodies)
        starts = itertools.chain((0,), self.ends)
        bodies = tuple(joined[start:end] for start, end in zip(starts, self.ends, strict=False))
        return _assembled(
            bodies=bodies,
            tickers=zlib.decompress(self.tickers).decode().split("\n") if bodies else [],
            expirations=tuple(self.expirations[i] for i in self.expiry_of),
            types=tuple(_TYPES[code] for code in self.types),
            strikes=tuple(self.strikes),
        )


class _PackedStore:
    """Packed indexes by key; beyond `budget` bytes the least recently used are dropped."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.bytes = 0
        self._entries: OrderedDict[tuple[Any, ...], _Packed] = OrderedDict()
        self._lock = threading.Lock()  # the server answers on many threads

    def get(self, key: tuple[Any, ...]) -> _Packed | None:
        """The packed index under `key`, or None."""
        with self._lock:
            packed = self._entries.get(key)
            if packed is not None:
                self._entries.move_to_end(key)
            return packed

    def put(self, key: tuple[Any, ...], packed: _Packed) -> None:
        """Keep `packed` under `key`, dropping the oldest beyond the budget."""
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = packed
            self.bytes += packed.size
            while self.bytes > self.budget and len(self._entries) > 1:
                _, dropped = self._entries.popitem(last=False)
                self.bytes -= dropped.size


PACKED = _PackedStore(PACKED_BUDGET_BYTES)


def _malformed_body(record: dict[str, Any], position: int) -> bytes:
    """A record typed conversion must reject: a non-numeric strike, or no details at all."""
    broken = dict(record)
    if position % 2 == 0:
        broken["details"] = {**record["details"], "strike_price": "not-a-number"}
    else:
        del broken["details"]
    return json.dumps(broken, separators=(",", ":")).encode()


CHAIN_PARAMS = frozenset(
    {"contract_type", "limit", "order", "sort"}
    | {f"expiration_date{op}" for op in RANGE_OPS}
    | {f"strike_price{op}" for op in RANGE_OPS}
)


Test = Callable[[_ChainIndex, int], bool]


def _expiry_test(compare: Callable[[Any, Any], bool], bound: str) -> Test:
    return lambda index, i: compare(index.expirations[i], bound)


def _strike_test(compare: Callable[[Any, Any], bool], bound: float) -> Test:
    return lambda index, i: compare(index.strikes[i], bound)


def _type_test(contract_type: str) -> Test:
    return lambda index, i: index.types[i] == contract_type


def _chain_filter(params: dict[str, str]) -> Test:
    """Compile the chain's filter parameters into a predicate over record positions."""
    tests: list[Test] = []
    for op, compare in RANGE_OPS.items():
        if (raw := params.get(f"expiration_date{op}")) is not None:
            try:
                bound_date = date.fromisoformat(raw).isoformat()
            except ValueError:
                raise BadRequest(f"expiration_date{op} must be a date in YYYY-MM-DD format.") from None
            tests.append(_expiry_test(compare, bound_date))
        if (raw := params.get(f"strike_price{op}")) is not None:
            try:
                bound_strike = float(raw)
            except ValueError:
                raise BadRequest(f"strike_price{op} must be a number.") from None
            tests.append(_strike_test(compare, bound_strike))
    if (contract_type := params.get("contract_type")) is not None:
        if contract_type not in ("call", "put"):
            raise BadRequest("contract_type must be call or put.")
        tests.append(_type_test(contract_type))
    return lambda idx, i: all(test(idx, i) for test in tests)


def _expiries_asked(request: Request, symbol: str, params: dict[str, str]) -> tuple[date, ...] | None:
    """The listed expiries the request's expiration filters let through (None: no such filter);
    `_chain_filter` has checked the bounds."""
    bounds = [
        (compare, date.fromisoformat(raw).isoformat())
        for op, compare in RANGE_OPS.items()
        if (raw := params.get(f"expiration_date{op}")) is not None
    ]
    if not bounds:
        return None
    listed = data.expirations(symbol, request.today)
    return tuple(day for day in listed if all(compare(day.isoformat(), bound) for compare, bound in bounds))


def options_chain(request: Request, symbol: str, *, malformed: int = 0) -> Response:
    """`GET /v3/snapshot/options/{T}`: filtered, sorted, paginated with an absolute next_url."""
    params, offset = list_params(request, CHAIN_PARAMS)
    limit = int_param(params, "limit", CHAIN_LIMIT_DEFAULT, 1, CHAIN_LIMIT_MAX)
    sort = params.get("sort", "ticker")
    if sort not in ("ticker", "expiration_date", "strike_price"):
        raise BadRequest("sort must be ticker, expiration_date or strike_price.")
    order = params.get("order", "asc")
    if order not in ("asc", "desc"):
        raise BadRequest("order must be asc or desc.")
    keep = _chain_filter(params)
    rid = request_id().encode()
    if symbol not in request.universe:
        return Response(
            200, b'{"results":[],"status":"OK","request_id":"' + rid + b'"}', {"Content-Type": JSON_TYPE}
        )
    expiries = _expiries_asked(request, symbol, params) if data.is_generated(symbol) else None
    index = _index_at(request, symbol, expiries)
    positions = index.orders[sort]
    if order == "desc":
        positions = positions[::-1]
    selected = [i for i in positions if keep(index, i)]
    page = selected[offset : offset + limit]
    bodies = [
        _malformed_body(index.record(i), offset + n) if offset + n < malformed else index.bodies[i]
        for n, i in enumerate(page)
    ]
    body = b'{"results":[' + b",".join(bodies) + b'],"status":"OK","request_id":"' + rid + b'"'
    if offset + limit < len(selected):
        cursor = encode_cursor(params, offset + limit)
        next_url = f"{request.host_url}/v3/snapshot/options/{symbol}?cursor={cursor}"
        body += b',"next_url":' + json.dumps(next_url).encode()
    return Response(200, body + b"}", {"Content-Type": JSON_TYPE})


def _contract_index(request: Request, underlying: str, contract: str) -> _ChainIndex | None:
    """The index that holds the contract if it is listed (a generated symbol's: its expiry's)."""
    if underlying not in request.universe:
        return None
    if not data.is_generated(underlying):
        return _index_at(request, underlying)
    try:
        expiry = occ.parse(contract).expiration
    except InvalidOptionTicker:
        return None
    return _index_at(request, underlying, (expiry,))


def contract_record(request: Request, underlying: str, contract: str) -> dict[str, Any] | None:
    """The contract's snapshot record as `option_contract` answers it at the request's moment
    (shared: do not change it), or None for an unknown underlying or a contract not listed today."""
    index = _contract_index(request, underlying, contract)
    position = index.by_ticker.get(contract) if index is not None else None
    return index.record(position) if index is not None and position is not None else None


def option_contract(request: Request, *, underlying: str, contract: str) -> Response:
    """`GET /v3/snapshot/options/{T}/{O:…}`: one snapshot, or 404 NOT_FOUND."""
    index = _contract_index(request, underlying, contract)
    position = index.by_ticker.get(contract) if index is not None else None
    if index is None or position is None:
        return massive_error(404, f"No option contract {contract} for underlying {underlying}.")
    body = index.bodies[position]
    rid = request_id().encode()
    return Response(
        200,
        b'{"request_id":"' + rid + b'","results":' + body + b',"status":"OK"}',
        {"Content-Type": JSON_TYPE},
    )
