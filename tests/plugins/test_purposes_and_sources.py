"""The plugin contract's consent purposes, case hooks, draft sections and Q&A documents,
through the real ledger, drafting and index, with a plugin installed as settings name it."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator

import pytest
from django.urls import reverse

from handover.cases import plugins as case_plugins
from handover.cases import services as case_services
from handover.consent import services as consent
from handover.consent.plugin_delivery import deliver_case_purpose
from handover.consent.plugin_purge import purge_plugin_data
from handover.consent.purge import PurgeScope
from handover.consent.read import live_grants
from handover.drafting.plugin_sections import write_plugin_sections
from handover.models import (
    ConsentGrant,
    Conversation,
    DraftSection,
    DraftSentence,
    Message,
    PreparedMessage,
    Purpose,
)
from handover.privacy import services as privacy
from handover.publishing.services import publishable_sentences
from plugins.hookspecs import hookimpl
from plugins.manager import PluginLoadError, build_plugin_manager, get_plugin_manager
from plugins.types import ConsentPurpose, DraftSectionProposal, IndexDocument
from qa.models import Chunk
from qa.plugin_sources import sync_plugin_documents
from qa.retrieval import keyword_candidates
from tests.plugins import eavesdropper_plugin, purpose_plugin
from wiki import services as wiki
from wiki.models import Role

pytestmark = pytest.mark.django_db

GLOSSARY = purpose_plugin.GLOSSARY.value
PLUGIN = "tests.plugins.purpose_plugin"


@pytest.fixture
def installed(settings) -> Iterator:  # noqa: ANN001
    settings.TACIT_PLUGINS = [PLUGIN, "tests.plugins.eavesdropper_plugin"]
    get_plugin_manager.cache_clear()
    purpose_plugin.reset()
    eavesdropper_plugin.HEARD.clear()
    yield purpose_plugin
    get_plugin_manager.cache_clear()


def _ids(subject) -> list[int]:  # noqa: ANN001
    return list(Conversation.objects.filter(owner=subject).values_list("pk", flat=True))


def _share(case, subject, purposes) -> list[int]:  # noqa: ANN001
    ids = _ids(subject)
    consent.record_consent(case=case, by=subject, purposes=list(purposes), conversation_ids=ids)
    privacy.prepare_case_messages(case_id=case.pk)
    return ids


# --- Consent purposes ----------------------------------------------------------------------------


def test_the_consent_form_shows_a_plugins_purpose_in_its_own_words(
    installed,
    case,
    subject,
    slack_import,
    client_for,  # noqa: ANN001
) -> None:
    page = client_for(subject).get(reverse("handover:consent-form", args=[case.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert f'value="{GLOSSARY}"' in html
    assert "Build the team glossary" in html and "collect the team&#x27;s terms" in html
    assert "asked for by the plugin tests.plugins.purpose_plugin" in html
    # Off until ticked, like every purpose.
    assert f'value="{GLOSSARY}" checked' not in html


def test_the_consent_form_in_chinese_shows_the_plugins_chinese_words(
    installed,
    case,
    subject,
    slack_import,
    client_for,  # noqa: ANN001
) -> None:
    client = client_for(subject)
    page = client.get(
        reverse("handover:consent-form", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert "建立团队术语表" in page.content.decode()


def test_a_granted_plugin_purpose_delivers_the_read_paths_messages_to_that_plugin_only(
    installed,
    case,
    subject,
    slack_import,  # noqa: ANN001
) -> None:
    (grant,) = consent.record_consent(
        case=case,
        by=subject,
        purposes=[GLOSSARY],
        conversation_ids=list(
            Conversation.objects.filter(owner=subject).values_list("pk", flat=True)
        ),
    )
    privacy.prepare_case_messages(case_id=case.pk)
    assert grant.purpose == GLOSSARY and grant.terms_version.endswith("+1")
    assert "Asked for by the plugin tests.plugins.purpose_plugin" in grant.terms_text
    assert deliver_case_purpose(case_id=case.pk, purpose=GLOSSARY)
    received = installed.RECEIVED[case.pk]
    prepared = PreparedMessage.objects.filter(case=case).exclude(out_of_scope_topic="")
    served = PreparedMessage.objects.filter(case=case).count() - prepared.count()
    assert len(received) == served > 0
    # What arrives is the prepared text, never the raw message.
    raw = dict(
        Message.objects.filter(pk__in=[m.message_id for m in received]).values_list("pk", "text")
    )
    prepared_text = dict(
        PreparedMessage.objects.filter(case=case).values_list("message_id", "text")
    )
    assert all(
        m.text == prepared_text[m.message_id].replace("\u2063", "") or m.text for m in received
    )
    assert any(raw[m.message_id] != m.text for m in received)
    assert installed.DELIVERIES[0].first and installed.DELIVERIES[-1].last
    assert eavesdropper_plugin.HEARD == []


def test_a_plugin_asking_for_a_purpose_not_granted_receives_nothing(
    installed,
    case,
    subject,
    slack_import,  # noqa: ANN001
) -> None:
    _share(case, subject, [Purpose.INDEX, Purpose.PUBLISH])
    assert not deliver_case_purpose(case_id=case.pk, purpose=GLOSSARY)
    # Not even a ledger purpose reaches a plugin through its delivery hook.
    assert not deliver_case_purpose(case_id=case.pk, purpose=Purpose.INDEX)
    assert installed.DELIVERIES == [] and eavesdropper_plugin.HEARD == []


def test_withdrawing_a_plugin_purpose_stops_delivery_and_reaches_the_plugins_purge(
    installed,
    case,
    subject,
    slack_import,  # noqa: ANN001
) -> None:
    _share(case, subject, [GLOSSARY, Purpose.INDEX])
    deliver_case_purpose(case_id=case.pk, purpose=GLOSSARY)
    assert installed.RECEIVED[case.pk]
    job = consent.withdraw_consent(case=case, by=subject, purposes=[GLOSSARY])
    assert not live_grants(case=case, purpose=GLOSSARY).exists()
    assert not deliver_case_purpose(case_id=case.pk, purpose=GLOSSARY)
    assert purge_plugin_data(PurgeScope.from_json(job.scope)) > 0
    assert GLOSSARY in installed.PURGES[-1].purposes
    assert case.pk not in installed.RECEIVED
    # The ledger's own purposes are untouched.
    assert live_grants(case=case, purpose=Purpose.INDEX).exists()


def test_a_plugin_purposes_grant_stops_being_live_when_its_words_change_or_it_is_removed(
    installed,
    case,
    subject,
    slack_import,
    settings,
    monkeypatch,  # noqa: ANN001
) -> None:
    _share(case, subject, [GLOSSARY])
    assert live_grants(case=case, purpose=GLOSSARY).exists()
    changed = ConsentPurpose(**{**purpose_plugin.GLOSSARY.__dict__, "version": "2"})
    monkeypatch.setattr(purpose_plugin, "GLOSSARY", changed)
    get_plugin_manager.cache_clear()
    assert not live_grants(case=case, purpose=GLOSSARY).exists()
    from handover.consent.selectors import current_choices

    assert current_choices(case=case, user=subject).outdated_purposes == {GLOSSARY}
    settings.TACIT_PLUGINS = []
    get_plugin_manager.cache_clear()
    assert not live_grants(case=case, purpose=GLOSSARY).exists()
    assert not ConsentGrant.objects.filter(purpose=GLOSSARY, ended_at__isnull=False).exists()
    # Saving the form without it ends the grant of the purpose no longer offered.
    consent.record_consent(
        case=case,
        by=subject,
        purposes=[Purpose.INDEX],
        conversation_ids=list(
            Conversation.objects.filter(owner=subject).values_list("pk", flat=True)
        ),
    )
    assert ConsentGrant.objects.get(purpose=GLOSSARY).end_reason == "withdrawn"


def test_an_unknown_plugin_purpose_is_refused_and_nothing_is_recorded(
    installed,
    case,
    subject,
    slack_import,  # noqa: ANN001
) -> None:
    from handover.errors import InvalidScopeError

    with pytest.raises(InvalidScopeError):
        consent.record_consent(
            case=case,
            by=subject,
            purposes=["plugin:not-installed"],
            conversation_ids=_ids(subject),
        )
    assert not ConsentGrant.objects.filter(case=case).exists()


def test_the_consent_api_takes_a_plugin_purpose_and_refuses_an_unknown_one(
    installed,
    case,
    subject,
    slack_import,  # noqa: ANN001
) -> None:
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(subject)
    ids = list(Conversation.objects.filter(owner=subject).values_list("pk", flat=True))
    url = reverse("api:handover:consent", args=[case.pk])
    bad = api.put(url, {"purposes": ["plugin:nope"], "conversation_ids": ids}, format="json")
    assert bad.status_code == 400 and not ConsentGrant.objects.exists()
    good = api.put(url, {"purposes": [GLOSSARY], "conversation_ids": ids}, format="json")
    assert good.status_code == 200, good.content
    assert good.json()["purposes"] == [GLOSSARY]


def _module(monkeypatch, name: str, purposes: list) -> str:  # noqa: ANN001
    module = types.ModuleType(name)

    @hookimpl
    def tacit_consent_purposes():  # noqa: ANN202
        return purposes

    module.tacit_consent_purposes = tacit_consent_purposes
    monkeypatch.setitem(sys.modules, name, module)
    return name


@pytest.mark.parametrize(
    "purposes",
    [
        [ConsentPurpose("Bad Key", "1", "T", "x", "标", "文")],
        [ConsentPurpose("ok", "", "T", "x", "标", "文")],
        [ConsentPurpose("ok", "1", "T", "x", "", "")],
        ["not a purpose"],
    ],
)
def test_a_malformed_purpose_stops_start_up(monkeypatch, purposes) -> None:  # noqa: ANN001
    name = _module(monkeypatch, "tacit_test_bad_purpose", purposes)
    with pytest.raises(PluginLoadError):
        build_plugin_manager([name], load_entry_points=False)


def test_two_plugins_declaring_the_same_purpose_stop_start_up(monkeypatch) -> None:  # noqa: ANN001
    first = _module(monkeypatch, "tacit_test_first", [purpose_plugin.GLOSSARY])
    second = _module(monkeypatch, "tacit_test_second", [purpose_plugin.GLOSSARY])
    with pytest.raises(PluginLoadError, match="both declare"):
        build_plugin_manager([first, second], load_entry_points=False)


# --- Cases opened -------------------------------------------------------------------------------


def test_opening_a_case_announces_it_to_plugins_after_commit(
    installed,
    subject,
    manager,
    team,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    import datetime

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case = case_services.open_case(
            subject=subject, team=team, by=manager, last_day=datetime.date(2027, 1, 29)
        )
    assert callbacks and installed.OPENED == []
    case_plugins.announce_case_opened(case_id=case.pk)
    (ref,) = installed.OPENED
    assert ref.case_id == case.pk and ref.subject_user_id == subject.pk
    assert ref.team_name == team.name and ref.url == f"/handover/cases/{case.pk}/"


# --- Draft sections -------------------------------------------------------------------------------


def _proposal(*sentences: str, title: str = "Team rituals") -> DraftSectionProposal:
    return DraftSectionProposal(
        key="rituals", title=title, sentences=sentences, source="Written by the team"
    )


def test_a_plugins_draft_section_is_a_proposal_the_subject_decides_on(
    installed,
    case,
    subject,  # noqa: ANN001
) -> None:
    installed.SECTIONS.append(_proposal("Friday demo at 4pm.", "Cake on release days."))
    assert write_plugin_sections(case=case) == 1
    section = DraftSection.objects.get(case=case, kind=DraftSection.Kind.PLUGIN)
    assert section.status == DraftSection.Status.PROPOSED
    assert (
        section.plugin_key == f"{PLUGIN}:rituals" and section.source_note == "Written by the team"
    )
    texts = list(section.sentences.values_list("text", flat=True))
    assert texts == ["Friday demo at 4pm.", "Cake on release days."]
    # Not published before approval; approved, its sentences need no thread citation.
    assert publishable_sentences(case=case, section=section, served=set()) == []
    section.sentences.update(status=DraftSentence.Status.APPROVED)
    kept = publishable_sentences(case=case, section=section, served=set())
    assert [sentence.text for sentence in kept] == texts


def test_a_redraft_replaces_an_untouched_plugin_section_and_keeps_a_touched_one(
    installed,
    case,
    subject,  # noqa: ANN001
) -> None:
    installed.SECTIONS.append(_proposal("Friday demo."))
    write_plugin_sections(case=case)
    installed.SECTIONS[:] = [_proposal("Friday demo at 4pm.")]
    write_plugin_sections(case=case)
    section = DraftSection.objects.get(case=case, kind=DraftSection.Kind.PLUGIN)
    assert list(section.sentences.values_list("text", flat=True)) == ["Friday demo at 4pm."]
    section.title = "Our rituals"
    section.save(update_fields=["title"])
    installed.SECTIONS[:] = [_proposal("Something else.")]
    write_plugin_sections(case=case)
    kept = DraftSection.objects.get(case=case, kind=DraftSection.Kind.PLUGIN)
    assert kept.pk == section.pk and kept.title == "Our rituals"
    assert list(kept.sentences.values_list("text", flat=True)) == ["Friday demo at 4pm."]
    # No longer proposed: an untouched section goes, a touched one stays the subject's.
    installed.SECTIONS.clear()
    write_plugin_sections(case=case)
    assert DraftSection.objects.filter(pk=section.pk).exists()


def test_a_plugin_whose_sections_hook_raises_is_left_out(
    installed,
    case,
    caplog,  # noqa: ANN001
) -> None:
    installed.SECTIONS.append(_proposal("Friday demo."))
    installed.FAIL.add("sections")
    assert write_plugin_sections(case=case) == 0
    assert not DraftSection.objects.filter(case=case).exists()
    assert "failed in tacit_draft_sections" in caplog.text


def test_malformed_proposals_are_dropped(installed, case) -> None:  # noqa: ANN001
    installed.SECTIONS.extend(
        [
            DraftSectionProposal(key="../x", title="T", sentences=("a",), source=""),
            DraftSectionProposal(key="empty", title="T", sentences=("  ",), source=""),
            DraftSectionProposal(key="untitled", title=" ", sentences=("a",), source=""),
            _proposal("Kept."),
        ]
    )
    assert write_plugin_sections(case=case) == 1


# --- Q&A documents -------------------------------------------------------------------------------


@pytest.fixture
def docs_space(manager, successor):  # noqa: ANN001, ANN201
    space = wiki.create_space(name="Team handbook", key="handbook", by=manager, is_private=True)
    wiki.set_space_role(space=space, by=manager, role=Role.READER, user=successor)
    return space


def _document(key: str = "ritual-1", text: str = "The quarterly retrospective") -> IndexDocument:
    return IndexDocument(
        key=key,
        title="Retrospective ritual",
        text=f"{text} happens on the last Thursday, kept going by the team.",
        url="/memories/rituals/1/",
        space_key="handbook",
        owner="The team",
    )


def _found(user, word: str) -> list[Chunk]:  # noqa: ANN001
    ids = [pk for pk, _score in keyword_candidates(user=user, terms=[word])]
    return list(Chunk.objects.filter(pk__in=ids, kind=Chunk.Kind.PLUGIN))


def test_a_plugins_documents_are_indexed_for_the_readers_of_their_space_only(
    installed,
    docs_space,
    successor,
    outsider,  # noqa: ANN001
) -> None:
    from qa.keywords import terms_of_question

    installed.DOCUMENTS.append(_document())
    counts = sync_plugin_documents()
    assert counts["written"] == 1
    (term,) = terms_of_question("retrospective")
    (chunk,) = _found(successor, term)
    assert chunk.source_key == f"plugin:{PLUGIN}:ritual-1" and chunk.url == "/memories/rituals/1/"
    assert chunk.space_id == docs_space.pk and chunk.owner_label == "The team"
    assert _found(outsider, term) == []


def test_documents_no_longer_offered_leave_the_index_and_a_raising_hook_keeps_them(
    installed,
    docs_space,
    successor,  # noqa: ANN001
) -> None:
    installed.DOCUMENTS.extend([_document("a"), _document("b", "The onboarding lunch")])
    sync_plugin_documents()
    assert Chunk.objects.filter(kind=Chunk.Kind.PLUGIN).count() == 2
    installed.FAIL.add("documents")
    sync_plugin_documents()
    assert Chunk.objects.filter(kind=Chunk.Kind.PLUGIN).count() == 2
    installed.FAIL.clear()
    installed.DOCUMENTS[:] = [_document("a")]
    assert sync_plugin_documents()["removed"] == 1
    assert list(
        Chunk.objects.filter(kind=Chunk.Kind.PLUGIN).values_list("source_key", flat=True)
    ) == [f"plugin:{PLUGIN}:a"]


def test_an_uninstalled_plugins_documents_leave_the_index(
    installed,
    docs_space,
    settings,  # noqa: ANN001
) -> None:
    installed.DOCUMENTS.append(_document())
    sync_plugin_documents()
    settings.TACIT_PLUGINS = []
    get_plugin_manager.cache_clear()
    sync_plugin_documents()
    assert not Chunk.objects.filter(kind=Chunk.Kind.PLUGIN).exists()


def test_a_document_for_a_missing_space_or_with_an_unsafe_url_is_not_indexed(
    installed,
    docs_space,  # noqa: ANN001
) -> None:
    installed.DOCUMENTS.extend(
        [
            IndexDocument("x", "T", "text", "/x/", space_key="nowhere"),
            IndexDocument("y", "T", "text", "javascript:alert(1)", space_key="handbook"),
        ]
    )
    counts = sync_plugin_documents()
    assert counts["skipped"] == 1 and counts["written"] == 0
    assert not Chunk.objects.filter(kind=Chunk.Kind.PLUGIN).exists()
