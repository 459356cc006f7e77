"""Response shapes (TypedDicts) become the serializers the OpenAPI schema documents."""

from __future__ import annotations

from typing import Annotated, Literal, NotRequired, TypedDict

import pytest
from rest_framework import serializers
from typing_extensions import Doc

from core.api_schema import shape_serializer
from core.shapes import IsoDate, IsoDateTime


class Point(TypedDict):
    when: IsoDate
    price: float


class Sample(TypedDict):
    """A sample body."""

    name: Annotated[str, Doc("What it is called.")]
    kind: Literal["a", "b"]
    size: int | None
    at: IsoDateTime
    points: list[Point]
    tags: list[str]
    counts: dict[str, int]
    first: Point | None
    extra: NotRequired[bool]


Window = TypedDict("Window", {"from": IsoDate, "label": str})


def test_every_key_becomes_a_field_of_its_type() -> None:
    fields = shape_serializer(Sample)().fields
    assert isinstance(fields["name"], serializers.CharField)
    assert fields["name"].help_text == "What it is called."
    kind = fields["kind"]
    assert isinstance(kind, serializers.ChoiceField) and kind.choices == {"a": "a", "b": "b"}
    assert isinstance(fields["size"], serializers.IntegerField) and fields["size"].allow_null
    assert isinstance(fields["at"], serializers.DateTimeField)
    points, tags, counts = fields["points"], fields["tags"], fields["counts"]
    assert isinstance(points, serializers.ListSerializer)
    assert isinstance(points.child, serializers.Serializer)
    assert isinstance(points.child.fields["when"], serializers.DateField)
    assert isinstance(tags, serializers.ListField) and isinstance(tags.child, serializers.CharField)
    assert isinstance(counts, serializers.DictField) and isinstance(counts.child, serializers.IntegerField)
    assert fields["first"].allow_null and type(fields["first"]).__name__ == "PointSerializer"


def test_not_required_keys_are_optional_even_in_string_annotations() -> None:
    fields = shape_serializer(Sample)().fields
    assert not fields["extra"].required
    assert all(field.required for name, field in fields.items() if name != "extra")


def test_keys_that_cannot_be_class_attributes_are_fields_too() -> None:
    fields = shape_serializer(Window)().fields
    assert set(fields) == {"from", "label"}
    assert isinstance(fields["label"], serializers.CharField)


def test_a_shape_is_built_once_and_named_after_itself() -> None:
    assert shape_serializer(Sample) is shape_serializer(Sample)
    assert shape_serializer(Sample).__name__ == "SampleSerializer"


def test_a_type_json_cannot_hold_is_refused() -> None:
    class Bad(TypedDict):
        ratio: complex

    with pytest.raises(TypeError, match="unsupported type"):
        shape_serializer(Bad)
    with pytest.raises(TypeError, match="not a TypedDict"):
        shape_serializer(Point.__class__)


def test_links_are_added_to_the_2xx_responses_of_the_named_operations() -> None:
    from core.api_schema import with_links

    schema = {
        "paths": {
            "/things/": {
                "post": {"operationId": "things_create", "responses": {"201": {}, "400": {}}},
                "get": {"operationId": "things_list", "responses": {"200": {}}},
            }
        }
    }
    with_links(schema, {"things_create": {"GetThing": ("things_retrieve", {"id": "$response.body#/id"})}})
    post = schema["paths"]["/things/"]["post"]["responses"]
    assert post["201"]["links"] == {
        "GetThing": {"operationId": "things_retrieve", "parameters": {"id": "$response.body#/id"}}
    }
    assert (
        "links" not in post["400"] and "links" not in schema["paths"]["/things/"]["get"]["responses"]["200"]
    )
