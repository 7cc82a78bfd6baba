"""Reading the published OpenAPI document in tests: find an operation, resolve references, and check a
real response body against the schema the document promises for its status code."""

import copy
import re

from jsonschema import Draft202012Validator

PREFIX = "/api/v1"


def resolve(node: dict, document: dict) -> dict:
    """Follow ``$ref`` until a schema (or response) that is written out."""
    while "$ref" in node:
        target = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def operation_for(document: dict, method: str, path: str) -> tuple[str, dict]:
    """The documented template (``/orders/{order_no}``) matching a concrete path, and its operation."""
    path = path.split("?", 1)[0]
    for template, item in document["paths"].items():
        pattern = "^" + re.sub(r"\\{\w+\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method.lower() in item:
            return template, item[method.lower()]
    raise AssertionError(f"{method} {path} is not in the published document")


def strict_components(document: dict) -> dict:
    """The document with every object schema closed (``unevaluatedProperties: false``), so that a field a
    serializer sends but the document does not name fails the check. Schemas used as parts of an
    ``allOf`` stay open there; the composite is closed instead."""
    strict = copy.deepcopy(document)
    schemas = strict["components"]["schemas"]
    parts = {ref["$ref"].rsplit("/", 1)[-1] for schema in schemas.values() for ref in schema.get("allOf", ())
             if "$ref" in ref}
    for name, schema in schemas.items():
        if name not in parts:
            _close(schema)
    return strict


def _close(node) -> None:
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node or "allOf" in node:
            node.setdefault("unevaluatedProperties", False)
        for key, value in node.items():
            if key != "allOf":
                _close(value)
    elif isinstance(node, list):
        for value in node:
            _close(value)


def check_response(document: dict, method: str, path: str, response) -> None:
    """``response`` (a test client response) has a status the operation documents, and its JSON body
    validates against the schema documented for that status."""
    template, operation = operation_for(document, method, path)
    status = str(response.status_code)
    assert status in operation["responses"], (
        f"{method} {template} answered {status}, which the document does not list: {response.get_data(as_text=True)}")
    documented = resolve(operation["responses"][status], document)
    if "application/json" not in documented["content"]:  # a file (the invoice PDF): its type is the check
        assert response.mimetype in documented["content"], (method, template, status, response.mimetype)
        return
    schema = documented["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": document["components"]})
    errors = sorted(validator.iter_errors(response.get_json()), key=lambda error: list(error.path))
    assert not errors, f"{method} {template} {status}: " + "; ".join(
        f"{'/'.join(map(str, error.path)) or '(body)'}: {error.message}" for error in errors)
