"""The REST API answers as its OpenAPI schema says: schemathesis fuzzes every operation."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db(transaction=True)

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
# Bounded so that the run stays within a minute or two; a fixed seed keeps CI repeatable.
# SCHEMATHESIS_MAX_EXAMPLES and SCHEMATHESIS_SEED widen or vary it for a deeper local run.
MAX_EXAMPLES = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "12")
SEED = os.environ.get("SCHEMATHESIS_SEED", "20261201")


def test_every_operation_answers_as_documented(asgi_site, operator, tmp_path) -> None:  # noqa: ANN001
    """Against the site as ``make run`` serves it (uvicorn, the ASGI application)."""
    from wiki import services

    # Something to read and write: a space the operator administers, with a page.
    space = services.create_space(key="fuzz", name="Fuzz", by=operator)
    services.create_page(space=space, author=operator, title="Home", body="# Home\n\ntext")
    token = Token.objects.create(user=operator)
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{asgi_site}/api/schema/",
            "--header",
            f"Authorization: Token {token.key}",
            "--checks",
            "not_a_server_error,response_schema_conformance",
            "--max-examples",
            MAX_EXAMPLES,
            "--seed",
            SEED,
            "--workers",
            "1",
            "--request-timeout",
            "30",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-30000:] + result.stderr[-5000:]


@pytest.mark.django_db
def test_the_schema_builds_without_warnings(tmp_path) -> None:  # noqa: ANN001
    from django.core.management import call_command

    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert (tmp_path / "schema.yml").stat().st_size > 0
