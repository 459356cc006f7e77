"""Every error under /api/ is the JSON error body; the schema and docs are served offline."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from openapi_spec_validator import validate
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> APIClient:
    client = APIClient()
    client.force_authenticate(UserFactory.create())
    return client


def assert_json_error(response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert (error["code"], error["details"], bool(error["message"])) == (code, {}, True)


@pytest.mark.parametrize(
    "url", ["/api/", "/api/v1/nothing-here/", "/api/v2/watchlist/", "/api/v1/positions/abc/"]
)
def test_unknown_api_urls_answer_a_json_404(url):
    assert_json_error(APIClient().get(url), 404, "not_found")


def test_unknown_api_url_is_a_json_404_for_any_method():
    assert_json_error(APIClient().post("/api/v1/nothing-here/", {}, format="json"), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "url"),
    [("put", "/api/v1/watchlist/"), ("get", "/api/v1/watchlist/AAPL/"), ("put", "/api/v1/positions/1/")],
)
def test_wrong_method_answers_a_json_405(api, method, url):
    assert_json_error(getattr(api, method)(url, {}, format="json"), 405, "method_not_allowed")


def test_anonymous_request_answers_a_json_401_with_a_token_challenge():
    response = APIClient().get("/api/v1/positions/")
    assert_json_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Token")


def test_non_api_urls_keep_django_pages():
    response = APIClient().get("/no-such-page/")
    assert (response.status_code, response["Content-Type"].startswith("text/html")) == (404, True)


# --- Schema and docs --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema() -> dict:
    """The schema as served to an anonymous client (generated once per module)."""
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_schema_is_valid_openapi_3(schema):
    validate(schema)  # raises OpenAPIValidationError when invalid
    assert schema["openapi"].startswith("3.")


def test_schema_generates_without_warnings(tmp_path):
    # A warning means an endpoint whose shapes drf-spectacular had to guess.
    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/auth/token/", "post"),
        ("/api/v1/watchlist/", "get"),
        ("/api/v1/watchlist/", "post"),
        ("/api/v1/watchlist/{symbol}/", "delete"),
        ("/api/v1/positions/", "get"),
        ("/api/v1/positions/", "post"),
        ("/api/v1/positions/{id}/", "get"),
        ("/api/v1/positions/{id}/", "patch"),
        ("/api/v1/positions/{id}/", "delete"),
    ],
)
def test_schema_documents_each_endpoint_and_its_json_errors(schema, path, method):
    responses = schema["paths"][path][method]["responses"]
    errors = [status for status in responses if status.startswith("4")]
    assert errors
    bodies = [responses[status]["content"]["application/json"]["schema"] for status in errors]
    assert bodies == [{"$ref": "#/components/schemas/Error"}] * len(errors)


def test_schema_documents_position_filters_and_pagination(schema):
    operation = schema["paths"]["/api/v1/positions/"]["get"]
    parameters = {parameter["name"] for parameter in operation["parameters"]}
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ({"ticker", "strategy", "status", "page"} <= parameters, page) == (
        True,
        "#/components/schemas/PaginatedPositionValuedList",
    )


def test_docs_page_renders_with_local_assets_only():
    page = APIClient().get("/api/docs/").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css|png))"', page)
    assert assets and all(asset.startswith("/static/") for asset in assets)
    assert all(finders.find(asset.removeprefix("/static/")) for asset in assets)
