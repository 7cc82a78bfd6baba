"""Schemathesis against the published document (/api/v1/openapi.json): every operation called with
generated requests, a bounded and derandomized number of them so CI is reproducible. No answer may be
a server error, and every answer must match the response the document declares (schema and type)."""

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from app.web.api.openapi import DOCUMENT

MAX_EXAMPLES = 8
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def test_no_server_error_and_every_answer_matches_the_document(app, sku, token):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {operation.label for operation in operations} == documented_operations()

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def called(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

        called()


def documented_operations() -> set[str]:
    """Every operation but the document's own (which is served, not called with generated data)."""
    return {f"{method.upper()} {path}" for path, item in DOCUMENT["paths"].items() for method in item
            if method in ("get", "put", "post", "delete", "patch") and path != "/openapi.json"}
