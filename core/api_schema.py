"""Shared OpenAPI pieces: the JSON error body, the error responses every endpoint documents, and
the serializers that document response shapes (`core.shapes`), built from the shapes themselves.
"""

from __future__ import annotations

from types import UnionType
from typing import Annotated, Any, Literal, NotRequired, Required, Union, get_args, get_origin, get_type_hints

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from typing_extensions import Doc, is_typeddict

from core.shapes import StringFormat


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. invalid_symbol.")
    message = serializers.CharField()
    details = serializers.DictField(help_text="Field errors or context; may be empty.")


class ErrorSerializer(serializers.Serializer):
    """`{"error": {"code", "message", "details"}}` — every error under /api/."""

    error = ErrorDetailSerializer()


ERROR_RESPONSES: dict[int, OpenApiResponse] = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input (symbol, option ticker, parameters)."),
    401: OpenApiResponse(ErrorSerializer, description="Not authenticated."),
    403: OpenApiResponse(ErrorSerializer, description="Not allowed (e.g. refresh without staff)."),
    404: OpenApiResponse(ErrorSerializer, description="Unknown symbol or contract."),
    429: OpenApiResponse(ErrorSerializer, description="Too many requests; see Retry-After."),
    502: OpenApiResponse(ErrorSerializer, description="The provider rejected mojo's key or sent garbage."),
    503: OpenApiResponse(
        ErrorSerializer, description="Provider unavailable and nothing cached; see Retry-After."
    ),
}


# --- Response shapes -------------------------------------------------------------------------

_SCALAR_FIELDS: dict[Any, type[serializers.Field]] = {
    str: serializers.CharField,
    int: serializers.IntegerField,
    float: serializers.FloatField,
    bool: serializers.BooleanField,
}
_FORMAT_FIELDS: dict[str, type[serializers.Field]] = {
    "date": serializers.DateField,
    "date-time": serializers.DateTimeField,
}
_SHAPE_SERIALIZERS: dict[type, type[serializers.Serializer]] = {}


def shape_serializer(shape: type) -> type[serializers.Serializer]:
    """The serializer documenting a response shape (a TypedDict), its component named as the shape.

    Built once per shape, nested shapes included; keys that cannot be class attributes
    (`from`, or `label`, which a field already has) are fields like any other.
    """
    if shape not in _SHAPE_SERIALIZERS:
        if not is_typeddict(shape):
            raise TypeError(f"{shape!r} is not a TypedDict")
        hints = get_type_hints(shape, include_extras=True)
        # `__required_keys__` misses NotRequired[] in string annotations (PEP 563) before
        # Python 3.14, so the resolved hint decides too.
        required = {
            name
            for name, hint in hints.items()
            if name in shape.__required_keys__  # type: ignore[attr-defined]
            and get_origin(hint) is not NotRequired
        }
        fields = {name: _shape_field(hint, required=name in required) for name, hint in hints.items()}
        serializer = type(
            f"{shape.__name__}Serializer",
            (serializers.Serializer,),
            {"__module__": shape.__module__, "__doc__": shape.__doc__ or ""},
        )
        serializer._declared_fields = fields  # type: ignore[attr-defined]
        _SHAPE_SERIALIZERS[shape] = serializer
    return _SHAPE_SERIALIZERS[shape]


def shape_fields(shape: type, *, source: str) -> dict[str, serializers.Field]:
    """A shape's keys as read-only fields of another serializer, read from its attribute `source`.

    For a representation that shows a computed shape's keys beside its own fields (a trade
    and its figures), documented as the shape documents them.
    """
    hints = get_type_hints(shape, include_extras=True)
    return {name: _shape_field(hint, source=f"{source}.{name}") for name, hint in hints.items()}


def _shape_field(hint: Any, *, required: bool = True, source: str | None = None) -> serializers.Field:
    """The read-only serializer field of one type hint of a shape."""
    kwargs: dict[str, Any] = {"required": required}
    if source is not None:
        kwargs["source"] = source
    string_format: str | None = None
    while True:  # peel the wrappers: Annotated, NotRequired/Required, `X | None`
        origin, args = get_origin(hint), get_args(hint)
        if origin is Annotated:
            for extra in hint.__metadata__:
                if isinstance(extra, Doc):
                    kwargs["help_text"] = extra.documentation
                elif isinstance(extra, StringFormat):
                    string_format = extra.name
            hint = args[0]
        elif origin in (NotRequired, Required):
            hint = args[0]
        elif origin in (Union, UnionType) and type(None) in args:
            members = [arg for arg in args if arg is not type(None)]
            if len(members) != 1:
                raise TypeError(f"unsupported union in a response shape: {hint!r}")
            kwargs["allow_null"] = True
            hint = members[0]
        else:
            break
    if origin is Literal:
        return serializers.ChoiceField(choices=list(args), **kwargs)
    if origin is list:
        if is_typeddict(args[0]):
            return shape_serializer(args[0])(many=True, **kwargs)
        return serializers.ListField(child=_shape_field(args[0]), **kwargs)
    if origin is dict:
        return serializers.DictField(child=_shape_field(args[1]), **kwargs)
    if is_typeddict(hint):
        return shape_serializer(hint)(**kwargs)
    if string_format is not None:
        return _FORMAT_FIELDS[string_format](**kwargs)
    if hint in _SCALAR_FIELDS:
        return _SCALAR_FIELDS[hint](**kwargs)
    raise TypeError(f"unsupported type in a response shape: {hint!r}")


# --- Links -----------------------------------------------------------------------------------

# operationId -> the responses' links: name -> (target operationId, parameters).
Links = dict[str, dict[str, tuple[str, dict[str, str]]]]


def with_links(schema: dict[str, Any], links: Links) -> dict[str, Any]:
    """Add OpenAPI links to the 2xx responses of the operations `links` names."""
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            declared = links.get(operation.get("operationId", "")) if isinstance(operation, dict) else None
            if not declared:
                continue
            for status, response in operation.get("responses", {}).items():
                if str(status).startswith("2"):
                    response["links"] = {
                        name: {"operationId": target, "parameters": parameters}
                        for name, (target, parameters) in declared.items()
                    }
    return schema
