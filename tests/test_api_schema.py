"""Schemathesis drives the API on loopback from its own OpenAPI schema, with a valid token:
no request it makes, valid or not, gets a server error or an answer the schema does not
describe, and every invalid one is refused."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from bulkpoc.services.auth import create_token
from tests.browser import running_server

EXAMPLES = 20  # per operation and mode: enough to find what a slip in the schema breaks


@pytest.fixture
def api_schema(store, tmp_path):
    config = schemathesis.Config.from_dict(
        {
            # The token for the schema's bearer scheme, so schemathesis knows when it left it out.
            "auth": {"openapi": {"APIToken": {"bearer": create_token(store, "fuzz", "admin")}}},
            "generation": {"max-examples": EXAMPLES},
        }
    )
    with running_server(store.url, tmp_path) as server:  # bulkpoc serve, on loopback
        yield schemathesis.openapi.from_url(f"{server.url}/api/v1/openapi.json", config=config)
    # The token was sent: uploads got through, not only refusals.
    assert store.count_history(source="api", user="admin") > 0


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_answers_every_request_as_its_schema_says(case):
    case.call_and_validate()
