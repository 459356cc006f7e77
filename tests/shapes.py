"""Checking a JSON body against the serializer that documents it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from marketdata.presentation import ROUNDING


def assert_documented(value: Any, field: serializers.Field, path: str = "$") -> None:
    """Fail when `value` has a key its field does not document, or lacks a required one."""
    if value is None:
        assert field.allow_null, f"{path} is null but not nullable"
    elif isinstance(field, serializers.ListSerializer):
        for index, item in enumerate(value):
            assert_documented(item, field.child, f"{path}[{index}]")
    elif isinstance(field, serializers.Serializer):
        fields = field.fields
        assert set(value) <= set(fields), f"{path}: undocumented {sorted(set(value) - set(fields))}"
        required = {name for name, f in fields.items() if f.required}
        assert required <= set(value), f"{path}: missing {sorted(required - set(value))}"
        for name, item in value.items():
            assert_documented(item, fields[name], f"{path}.{name}")
    elif isinstance(field, serializers.DictField):
        for key, item in value.items():
            assert_documented(item, field.child, f"{path}.{key}")
    elif isinstance(field, serializers.ListField):
        for index, item in enumerate(value):
            assert_documented(item, field.child, f"{path}[{index}]")


def decimals(number: float) -> int:
    """How many decimals a number shows in JSON (repr is what the renderer writes)."""
    exponent = Decimal(repr(number)).as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def assert_rounded(value: Any, field: serializers.Field, name: str = "$") -> None:
    """Fail on a number with more decimals than its field's policy, or under a field the
    policy table does not list (a dict field's values count under the dict's own name)."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int | float):
        assert name in ROUNDING, f"{name}: a number no rounding policy covers"
        digits = ROUNDING[name]
        assert digits is None or decimals(value) <= digits, (
            f"{name}: {value!r} has more than {digits} decimals"
        )
    elif isinstance(field, serializers.ListSerializer):
        for item in value:
            assert_rounded(item, field.child, name)
    elif isinstance(field, serializers.Serializer):
        for key, item in value.items():
            assert_rounded(item, field.fields[key], key)
    elif isinstance(field, serializers.DictField | serializers.ListField):
        for item in value.values() if isinstance(value, dict) else value:
            assert_rounded(item, field.child, name)
