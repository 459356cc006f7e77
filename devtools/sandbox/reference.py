"""Massive's reference endpoints as the sandbox serves them: stock splits (`/v3/reference/splits`).

The splits are those executed by the request's today: the one in the generated history and the
live ones the control API made happen. Filtered, sorted and paginated like the provider's v3
lists, with absolute `next_url` cursors that carry the filters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from devtools.sandbox import splits
from devtools.sandbox.splits import Split
from devtools.sandbox.wire import (
    RANGE_OPS,
    BadRequest,
    Request,
    Response,
    decode_cursor,
    encode_cursor,
    int_param,
    json_response,
    request_id,
)

SPLITS_PATH = re.compile(r"^/v3/reference/splits/?$")


SPLITS_LIMIT_DEFAULT = 10


SPLITS_LIMIT_MAX = 1000


SPLITS_PARAMS = frozenset(
    {"limit", "order", "sort", "reverse_split"}
    | {f"ticker{op}" for op in RANGE_OPS}
    | {f"execution_date{op}" for op in RANGE_OPS}
)


SplitTest = Callable[[Split], bool]


def _ticker_test(compare: Callable[[Any, Any], bool], bound: str) -> SplitTest:
    return lambda split: compare(split.ticker, bound)


def _date_test(compare: Callable[[Any, Any], bool], bound: date) -> SplitTest:
    return lambda split: compare(split.execution_date, bound)


def _reverse_test(reverse: bool) -> SplitTest:
    return lambda split: (split.split_from > split.split_to) == reverse


def _splits_filter(params: dict[str, str]) -> SplitTest:
    """Compile the filter parameters into one predicate."""
    tests: list[SplitTest] = []
    for op, compare in RANGE_OPS.items():
        if (raw := params.get(f"ticker{op}")) is not None:
            tests.append(_ticker_test(compare, raw))
        if (raw := params.get(f"execution_date{op}")) is not None:
            try:
                bound = date.fromisoformat(raw)
            except ValueError:
                raise BadRequest(f"execution_date{op} must be a date in YYYY-MM-DD format.") from None
            tests.append(_date_test(compare, bound))
    if (raw := params.get("reverse_split")) is not None:
        if raw.lower() not in ("true", "false"):
            raise BadRequest("reverse_split must be true or false.")
        tests.append(_reverse_test(raw.lower() == "true"))
    return lambda split: all(test(split) for test in tests)


def _sort_key(sort: str) -> Callable[[Split], tuple[str, str, str]]:
    if sort == "ticker":
        return lambda s: (s.ticker, s.execution_date.isoformat(), s.id)
    return lambda s: (s.execution_date.isoformat(), s.ticker, s.id)


def stock_splits(request: Request) -> Response:
    """`GET /v3/reference/splits`: newest first by default (sort execution_date, order desc)."""
    if "cursor" in request.query:
        params, offset = decode_cursor(request.query["cursor"], SPLITS_PARAMS)
    else:
        params = {k: v for k, v in request.query.items() if k in SPLITS_PARAMS}
        offset = 0
    limit = int_param(params, "limit", SPLITS_LIMIT_DEFAULT, 1, SPLITS_LIMIT_MAX)
    sort = params.get("sort", "execution_date")
    if sort not in ("execution_date", "ticker"):
        raise BadRequest("sort must be execution_date or ticker.")
    order = params.get("order", "desc")
    if order not in ("asc", "desc"):
        raise BadRequest("order must be asc or desc.")
    keep = _splits_filter(params)
    selected = sorted(
        (split for split in splits.executed(request.today, request.splits) if keep(split)),
        key=_sort_key(sort),
        reverse=order == "desc",
    )
    payload: dict[str, Any] = {
        "results": [split.wire() for split in selected[offset : offset + limit]],
        "status": "OK",
        "request_id": request_id(),
    }
    if offset + limit < len(selected):
        cursor = encode_cursor(params, offset + limit)
        payload["next_url"] = f"{request.host_url}/v3/reference/splits?cursor={cursor}"
    return json_response(payload)
