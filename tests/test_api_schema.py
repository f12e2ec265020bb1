"""Schemathesis drives the API on loopback from its own OpenAPI schema, with a valid token:
no request it makes, valid or not, gets a server error or an answer the schema does not
describe, and every invalid one is refused.

Schemathesis runs as its command line (``schemathesis run``), which owns its test phases and
depends on no pytest internals: its pytest plugin's fixture loader rewrites a private node id
that pytest 9.2 no longer has.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bulkpoc.services.auth import create_token
from bulkpoc.store.db import Store
from tests.browser import running_server

EXAMPLES = 20  # per operation and mode: enough to find what a slip in the schema breaks
# The phases its pytest plugin runs: the schema's examples, its boundaries, then random cases;
# every check; one request at a time, since the machine is shared with the rest of the suite.
RUN_OPTIONS = ["--phases", "examples,coverage,fuzzing", "--checks", "all", "--workers", "1"]
RUN_SECONDS = 600
SCHEMATHESIS = [sys.executable, "-m", "schemathesis.cli", "--no-color"]
# A change to records whose body fits the schema may still break a rule only the store can
# check (a skill that does not exist, a name taken): its batch fails, and the answer is 422
# with the error records (issue 24), not a refusal of the request's form.
RULES_CHECKED = r"""
[[operations]]
include-path-regex = '^/api/v1/(pocs|skills|scripts|chat-profiles|numbers)(/bulk-edit|/\{key\})?$'
include-method-regex = '^(POST|PATCH)$'
checks.positive_data_acceptance.expected-statuses = [
    "2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx",
]

# A mapping whose body fits the schema may still name a column its record type lacks (the
# schema cannot say which, per record type): 422 with one sentence, as bulkpoc mappings save.
[[operations]]
include-path-regex = '^/api/v1/mappings/\{name\}$'
include-method-regex = '^PUT$'
checks.positive_data_acceptance.expected-statuses = [
    "2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx",
]
"""


def test_the_api_answers_every_request_as_its_schema_says(store: Store, tmp_path: Path) -> None:
    config = tmp_path / "schemathesis.toml"
    # The token for the schema's bearer scheme, so schemathesis knows when it left it out.
    token = create_token(store, "fuzz", "admin")
    config.write_text(
        f'[auth.openapi.APIToken]\nbearer = "{token}"\n\n'
        f"[generation]\nmax-examples = {EXAMPLES}\ndatabase = 'none'\n" + RULES_CHECKED
    )
    with running_server(store.url, tmp_path) as server:  # bulkpoc serve, on loopback
        schema = f"{server.url}/api/v1/openapi.json"
        run = subprocess.run(
            [*SCHEMATHESIS, "--config-file", str(config), "run", schema, *RUN_OPTIONS],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=RUN_SECONDS,
            check=False,
        )
    assert run.returncode == 0, run.stdout + run.stderr
    # The token was sent: uploads got through, not only refusals.
    assert store.count_history(source="api", user="admin") > 0
