"""The OpenAPI schema documents every route and both ways to authenticate."""

import re

import pytest

from marmots.api.api import api

EXPECTED = {
    ("post", "/api/v1/auth/token"),
    ("delete", "/api/v1/auth/token"),
    ("get", "/api/v1/family"),
    ("get", "/api/v1/children"),
    ("get", "/api/v1/children/{child_id}"),
    ("get", "/api/v1/enrollments"),
    ("post", "/api/v1/enrollments"),
    ("get", "/api/v1/enrollments/{enrollment_id}"),
    ("get", "/api/v1/requests"),
    ("get", "/api/v1/manager/enrollments"),
    ("get", "/api/v1/manager/enrollments/{enrollment_id}"),
    ("post", "/api/v1/manager/enrollments/{enrollment_id}/validate"),
    ("post", "/api/v1/manager/enrollments/{enrollment_id}/refuse"),
}


@pytest.fixture
def schema(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def documented(schema):
    return {(method, path) for path, ops in schema["paths"].items() for method in ops}


def test_schema_lists_every_route(schema):
    assert EXPECTED <= documented(schema)


def test_every_routed_operation_is_documented(schema):
    """Nothing is served that the schema does not describe."""
    served = set()
    for router_prefix, router in api._routers:
        for path, view in router.path_operations.items():
            full = "/api/v1/" + "/".join(
                p.strip("/") for p in (router_prefix, path) if p.strip("/")
            )
            for operation in view.operations:
                if operation.include_in_schema:
                    served.update((m.lower(), full) for m in operation.methods)
    assert served
    assert served <= documented(schema)


def test_security_schemes_are_documented(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["TokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["TokenAuth"]["description"],
    }
    assert schemes["SessionAuth"]["in"] == "cookie"
    assert "X-CSRFToken" in schemes["SessionAuth"]["description"]
    family = schema["paths"]["/api/v1/family"]["get"]
    assert family["security"] == [{"TokenAuth": []}, {"SessionAuth": []}]
    assert "security" not in schema["paths"]["/api/v1/auth/token"]["post"]
    assert schema["paths"]["/api/v1/auth/token"]["delete"]["security"] == [{"TokenAuth": []}]


def _fill(path, ids):
    return re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)


def test_every_documented_read_answers_the_guardian(schema, api_a, child_a, enrollment_a):
    """A crude fuzz: every GET path, with the family's own ids, answers without a server error."""
    ids = {"child_id": child_a.pk, "enrollment_id": enrollment_a.pk, "period_id": 0}
    for path, ops in schema["paths"].items():
        if "get" not in ops or path.endswith(("/docs", "/openapi.json")):
            continue
        response = api_a.get(_fill(path, ids))
        assert response.status_code < 500, path
        # The kiosk's routes take a tablet's token only: a guardian's is not one.
        allowed = (401,) if path.startswith("/api/v1/kiosk/") else (200, 403)
        allowed += (404,) if "{period_id}" in path else ()  # no allocation period here
        assert response.status_code in allowed, path
        assert "detail" in response.json() or response.status_code == 200


def test_every_documented_write_answers_the_guardian_without_error(schema, api_a, enrollment_a):
    """Every unsafe operation, sent an empty JSON object, answers a French error, never a 500."""
    ids = {"child_id": 0, "enrollment_id": enrollment_a.pk, "entry_id": 0, "period_id": 0}
    ids["wish_id"] = 0
    operations = [
        (method, path) for path, ops in schema["paths"].items() for method in ops if method != "get"
    ]
    operations.sort(key=lambda op: op[0] == "delete")  # revoking the token comes last
    for method, path in operations:
        response = getattr(api_a, method)(_fill(path, ids), {}, content_type="application/json")
        assert response.status_code < 500, (method, path)
        if response.status_code >= 400:
            assert isinstance(response.json()["detail"], str), (method, path)


def test_schema_and_docs_need_no_login(client, db):
    assert client.get("/api/v1/openapi.json").status_code == 200
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"cdn." not in docs.content  # every asset is served by the app
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', docs.content.decode())
    assert assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
