"""Schemathesis drives the API on loopback from its own OpenAPI schema, with a valid token:
no request it makes, valid or not, gets a server error or an answer the schema does not
describe."""

from __future__ import annotations

import pytest
import schemathesis
from bulkpoc.auth import create_token
from hypothesis import HealthCheck, settings

from bulkpoc.web.app import create_app
from tests.web import serving

EXAMPLES = 20  # per operation and mode: enough to find what a typo in a schema breaks


@pytest.fixture
def api_token(store) -> str:
    return create_token(store, "schemathesis", "admin")


@pytest.fixture
def api_schema(store, settings, api_token):
    with serving(create_app(settings, store)) as url:
        yield schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_answers_every_request_as_its_schema_says(case, api_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {api_token}"})
