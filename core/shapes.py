"""Markers for response shapes: JSON bodies written once, as TypedDicts of JSON-ready values.

A shape's fields say what the JSON holds; `IsoDate`/`IsoDateTime` mark strings that hold a
date or a date-time, `typing_extensions.Doc` gives a field its help text. Services build
the dicts (mypy checks every key); `core.api_schema.shape_serializer` turns a shape into the
serializer the OpenAPI schema documents. Pure: imports nothing but typing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated


@dataclass(frozen=True, slots=True)
class StringFormat:
    """The OpenAPI `format` of a string field (`date`, `date-time`)."""

    name: str


IsoDate = Annotated[str, StringFormat("date")]
IsoDateTime = Annotated[str, StringFormat("date-time")]
