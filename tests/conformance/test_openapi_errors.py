"""The OpenAPI document declares the errors the API really sends, and ``OPTIONS`` / unsupported
methods answer with the path's real ``Allow`` (in-process, no server)."""

from __future__ import annotations

from kinema.api.errors import ERROR_STATUSES, ErrorBody


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, op in item.items():
            yield method.upper(), path, op


def test_every_v1_operation_declares_the_real_errors(client) -> None:
    schema = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    ops = list(_operations(schema))
    assert len(ops) > 50
    for method, path, op in ops:
        assert "422" not in op["responses"], (method, path)  # validation errors are 400s
        declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        assert declared == set(path.replace("}", "{").split("{")[1::2]), (method, path)
        if not path.startswith("/v1/"):
            continue
        for status in ERROR_STATUSES:
            ref = op["responses"][str(status)]["content"]["application/json"]["schema"]
            assert ref == {"$ref": "#/components/schemas/Error"}, (method, path, status)
        assert "Retry-After" in op["responses"]["429"]["headers"]
    task = schema["paths"]["/v1/tasks/{task_id}"]["get"]
    assert task["security"] == [{"apiKey": []}]
    version = next(p for p in task["parameters"] if p["name"].lower() == "x-runway-version")
    assert version["required"] and version["schema"]["enum"] == ["2024-11-06"]
    # a route's own description of an error stays (the unoffered routes say what they refuse)
    hdr = schema["paths"]["/v1/video_to_hdr"]["post"]["responses"]["400"]["description"]
    assert hdr.startswith("Not offered by this server")


def test_error_bodies_match_the_declared_model(client, headers) -> None:
    answers = [
        client.get("/v1/tasks/nope", headers={"X-Runway-Version": "2024-11-06"}),  # 401
        client.get("/v1/tasks/nope", headers=headers),  # 404
        client.post("/v1/text_to_image", headers=headers, json={"model": 1}),  # 400 + issues
        client.get("/v1/organization", headers={"Authorization": headers["Authorization"]}),
    ]
    assert [r.status_code for r in answers] == [401, 404, 400, 400]
    for r in answers:
        body = ErrorBody.model_validate(r.json())
        assert body.error
    assert answers[2].json()["issues"][0]["path"]
    assert "X-Runway-Version" in answers[3].json()["error"]


def test_options_and_unsupported_methods_name_every_method_of_the_path(client, headers) -> None:
    r = client.options("/v1/avatars/some-id")
    assert r.status_code == 204 and r.headers["allow"] == "GET, PATCH, DELETE, OPTIONS"
    r = client.put("/v1/avatars/some-id", headers=headers)
    assert r.status_code == 405 and r.json() == {"error": "Method not allowed."}
    assert r.headers["allow"] == "GET, PATCH, DELETE, OPTIONS"
    # a literal path is not its sibling pattern's (/v1/documents/{doc_id})
    assert client.options("/v1/documents/upload").headers["allow"] == "POST, OPTIONS"
    assert client.options("/v1/tasks/x").headers["allow"] == "GET, DELETE, OPTIONS"
    r = client.options("/no/such/path")
    assert r.status_code == 404 and "allow" not in r.headers
