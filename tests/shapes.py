"""Checking a JSON body against the serializer that documents it."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


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
