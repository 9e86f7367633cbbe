"""A person Tacit holds something of every kind about, beside a teammate with data of their own."""

import datetime
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.utils import timezone

from handover.cases import services as case_services
from handover.consent import services as consent_services
from handover.consent import terms
from handover.models import (
    Conversation,
    DeletionReceipt,
    HandoverCase,
    NamingConsent,
    Purpose,
    Source,
)
from handover.privacy import services as privacy_services
from handover.rights.selectors import HELD_KINDS
from plugins.manager import plugin_person_exports
from plugins.types import PersonRef
from tests.handover.conftest import import_export
from wiki import services as wiki_services


@dataclass(frozen=True)
class HeldWorld:
    subject_imports: tuple[Source, ...]
    other_import: Source
    case: HandoverCase
    other_case: HandoverCase


@pytest.fixture
def held_world(  # noqa: ANN201
    subject,  # noqa: ANN001
    manager,  # noqa: ANN001
    teammate,  # noqa: ANN001
    case: HandoverCase,
    slack_import: Source,
    mbox_import: Source,
    shared_data: Path,
):
    """The subject's two real imports, a consented and prepared case, consent they gave in a
    teammate's case, a wiki page, a receipt; and the teammate's own import, to stay apart."""
    ids = list(Conversation.objects.filter(owner=subject).values_list("pk", flat=True))
    consent_services.record_consent(
        case=case, by=subject, purposes=[Purpose.INDEX, Purpose.PUBLISH], conversation_ids=ids
    )
    # Withdrawn: an ended grant beside the live one.
    consent_services.withdraw_consent(case=case, by=subject, purposes=[Purpose.PUBLISH])
    privacy_services.prepare_case_messages(case_id=case.pk)

    other_import = import_export(
        teammate, shared_data / "mbox" / "perceval" / "pipermail_2016_april.mbox"
    )
    other_case = case_services.open_case(
        subject=teammate,
        team=case.team,
        by=manager,
        last_day=timezone.localdate() + datetime.timedelta(days=20),
        successors=[subject],
    )
    naming = terms.naming_terms("en")
    NamingConsent.objects.create(
        case=other_case,
        user=subject,
        terms_version=naming.version,
        terms_text=naming.text,
        terms_sha256=naming.sha256,
        granted_at=timezone.now(),
    )
    space = wiki_services.create_space(key="notes", name="Notes", by=subject)
    page = wiki_services.create_page(space=space, author=subject, title="Runbook", body="# Run")
    wiki_services.publish_revision(
        page=page, author=subject, body="# Run\n\nmore", base_revision=page.current_revision
    )
    DeletionReceipt.objects.create(
        user=subject,
        kind=DeletionReceipt.Kind.IMPORT_ERASURE,
        summary="old.zip",
        items=[{"what": "messages", "count": 3, "at": "2026-12-01T10:00:00+00:00"}],
    )
    # What the Q&A surfaces keep: a question asked, an assistant token, a chat account.
    from qa.bots.linking import record_chat_account
    from qa.mcp.services import create_assistant_token
    from qa.models import Question

    Question.objects.create(asked_by=subject, text="Where is the runbook?", surface="api")
    create_assistant_token(user=subject, name="Claude")
    account = record_chat_account(
        platform="slack", workspace_external_id="T1", external_user_id="U1"
    )
    account.user, account.linked_at = subject, timezone.now()
    account.save(update_fields=["user", "linked_at"])
    return HeldWorld(
        subject_imports=(slack_import, mbox_import),
        other_import=other_import,
        case=case,
        other_case=other_case,
    )


def export_kinds(user) -> list[str]:  # noqa: ANN001
    """Every kind a data export of ``user`` holds, in the manifest's order: Tacit's own
    (``HELD_KINDS``), then what each configured plugin keeps about them
    (``tacit_person_export``, as ``plugin:<plugin>:<kind>``; tests/plugins test those)."""
    person = PersonRef(user_id=user.pk, username=user.get_username())
    plugins = [f"plugin:{name}:{section.kind}" for name, section in plugin_person_exports(person)]
    return [*HELD_KINDS, *plugins]
