"""OpenAPI links of the id-bearing flows: what a client does next with what it just made.

A drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS); schemathesis' stateful phase
follows these links, so it reaches the operations behind ids.
"""

from __future__ import annotations

from typing import Any

from core.api_schema import Links, with_links

_OPENED = {"id": "$response.body#/id"}
_FIRST_LISTED = {"id": "$response.body#/results/0/id"}

LINKS: Links = {
    "watchlist_add": {"RemoveFromWatchlist": ("watchlist_remove", {"symbol": "$response.body#/symbol"})},
    "watchlist_list": {
        "RemoveFirstListed": ("watchlist_remove", {"symbol": "$response.body#/results/0/symbol"})
    },
    "positions_open": {
        "GetPosition": ("positions_retrieve", _OPENED),
        "UpdatePosition": ("positions_update", _OPENED),
        "DeletePosition": ("positions_delete", _OPENED),
    },
    "trades_open": {
        "GetTrade": ("trades_retrieve", _OPENED),
        "UpdateTrade": ("trades_update", _OPENED),
        "RollTrade": ("trades_roll", _OPENED),
        "AssignTradeLeg": ("trades_assign", _OPENED),
        "CloseTrade": ("trades_close", _OPENED),
    },
    "trades_list": {
        "GetFirstListedTrade": ("trades_retrieve", _FIRST_LISTED),
        "CloseFirstListedTrade": ("trades_close", _FIRST_LISTED),
    },
    "alerts_list": {"DismissFirstListed": ("alerts_dismiss", _FIRST_LISTED)},
    "positions_list": {
        "GetFirstListed": ("positions_retrieve", _FIRST_LISTED),
        "UpdateFirstListed": ("positions_update", _FIRST_LISTED),
        "DeleteFirstListed": ("positions_delete", _FIRST_LISTED),
    },
}


def add_links(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """The postprocessing hook: the schema with LINKS added."""
    return with_links(result, LINKS)
