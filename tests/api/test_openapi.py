"""The published OpenAPI document matches the routes the app really serves, both ways."""

import re

from app.web.api.openapi import DOCUMENT

PREFIX = "/api/v1"
IGNORED_METHODS = {"HEAD", "OPTIONS"}
PATH_PARAMETERS = {"code": "SkuCode", "order_no": "OrderNo", "invoice_id": "InvoiceId"}


def app_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIX + "/"):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len(PREFIX):])
            routes |= {(method, path) for method in rule.methods - IGNORED_METHODS}
    return routes


def documented_routes(document: dict) -> set[tuple[str, str]]:
    methods = {"get", "put", "post", "delete", "patch"}
    return {(method.upper(), path) for path, item in document["paths"].items() for method in item if method in methods}


def test_every_route_is_documented_and_every_documented_route_exists(app):
    assert app_routes(app) == documented_routes(DOCUMENT)
    assert len(app_routes(app)) == 23


def test_the_document_is_served_and_well_formed(api):
    document = api.get("/openapi.json", token=None).json

    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": PREFIX}]
    assert {"type": "http", "scheme": "bearer"}.items() <= document["components"]["securitySchemes"]["bearer"].items()
    assert document["security"] == [{"bearer": []}]
    _assert_references_resolve(document, document)


def test_each_operation_names_its_errors_and_path_parameters(app):
    for path, item in DOCUMENT["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        declared = {p["$ref"].rsplit("/", 1)[-1] for p in item.get("parameters", [])}
        assert PATH_PARAMETERS.keys() >= names
        assert {PATH_PARAMETERS[name] for name in names} <= declared, path
        for method, operation in item.items():
            if method == "parameters" or path == "/openapi.json":
                continue
            assert {"401", "429"} <= set(operation["responses"]), (method, path)
            if method in ("post", "put"):
                assert {"$ref": "#/components/parameters/IdempotencyKey"} in operation["parameters"], (method, path)
                assert "422" in operation["responses"], (method, path)


def test_refund_without_lines_is_documented():
    description = DOCUMENT["paths"]["/orders/{order_no}/refund"]["post"]["description"]

    assert "不传 lines" in description
    assert "仅退款" in description


def _assert_references_resolve(node, document) -> None:
    if isinstance(node, dict):
        if "$ref" in node:
            target = document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
        for value in node.values():
            _assert_references_resolve(value, document)
    elif isinstance(node, list):
        for value in node:
            _assert_references_resolve(value, document)
