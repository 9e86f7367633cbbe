"""Handover fixtures: a real export imported for the subject, and a case opened for them."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone

from handover.cases import services as case_services
from handover.imports import pipeline, services
from handover.models import HandoverCase, Source


def import_export(owner, path: Path) -> Source:  # noqa: ANN001
    """Import ``path`` for ``owner`` in this process, through the real pipeline."""
    source = services.create_source(owner=owner, path=path)
    services.start_import(source=source, by=owner, schedule=False)
    finished = pipeline.run_import(source_id=source.pk)
    assert finished is not None and finished.status == Source.Status.SUCCEEDED, finished.error
    return finished


@pytest.fixture
def slack_import(subject, shared_data: Path) -> Source:  # noqa: ANN001
    """The real houstondatavis Slack export, imported by the subject."""
    return import_export(subject, shared_data / "slack" / "houstondatavis")


@pytest.fixture
def mbox_import(subject, shared_data: Path) -> Source:  # noqa: ANN001
    """A real mailing-list archive, imported by the subject."""
    return import_export(subject, shared_data / "mbox" / "perceval" / "mbox_complex.mbox")


@pytest.fixture
def case(subject, manager, successor, team) -> HandoverCase:  # noqa: ANN001
    """A handover of the subject, opened by their manager, with the successor named."""
    return case_services.open_case(
        subject=subject,
        team=team,
        by=manager,
        last_day=timezone.localdate() + datetime.timedelta(days=14),
        successors=[successor],
    )
