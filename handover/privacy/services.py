"""Writes of the privacy room: prepare a case's consented messages, and the subject's
decisions on what was redacted or left out of scope.

Preparing a message redacts it (``handover.privacy.redaction``), replaces every third
party by their keyed pseudonym and the subject by ``SUBJECT_TOKEN``
(``handover.privacy.pseudonyms``), and marks private topics
(``handover.privacy.out_of_scope``). Only prepared messages reach the read path.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Exists, Max, OuterRef, QuerySet

from core.services import record_audit_event
from handover.cases.selectors import is_subject_of
from handover.consent.plugin_delivery import schedule_plugin_deliveries
from handover.consent.read import covered_q, live_grants
from handover.errors import CasePermissionError, InvalidScopeError
from handover.indexing.services import hide_case_passages, schedule_case_indexing
from handover.models import (
    CasePseudonym,
    HandoverCase,
    Message,
    Person,
    PersonIdentity,
    PreparedMessage,
    Purpose,
    Redaction,
)
from handover.privacy.labels import SUBJECT_TOKEN
from handover.privacy.out_of_scope import detect_out_of_scope
from handover.privacy.pseudonyms import (
    NameForms,
    Pseudonymiser,
    new_case_key,
    person_digest,
    pseudonym_label,
)
from handover.privacy.redaction import Redaction as Span
from handover.privacy.redaction import apply_redactions, find_redactions

logger = logging.getLogger(__name__)

PREPARE_BATCH = 500


def ensure_case_key(case: HandoverCase) -> bytes | None:
    """The case's pseudonym key, made on first use; None once it was destroyed."""
    if case.key_destroyed_at is not None:
        return None
    if case.pseudonym_key:
        return bytes(case.pseudonym_key)
    key = new_case_key()
    updated = HandoverCase.objects.filter(
        pk=case.pk, pseudonym_key__isnull=True, key_destroyed_at__isnull=True
    ).update(pseudonym_key=key)
    if not updated:
        case.refresh_from_db(fields=["pseudonym_key", "key_destroyed_at"])
        return bytes(case.pseudonym_key) if case.pseudonym_key else None
    case.pseudonym_key = key
    return key


def _subject_person_ids(case: HandoverCase) -> set[int]:
    return set(case.subject_people.values_list("pk", flat=True))


def _canonical(person: Person, people: dict[int, Person]) -> Person:
    seen = set()
    while person.merged_into_id and person.merged_into_id in people and person.pk not in seen:
        seen.add(person.pk)
        person = people[person.merged_into_id]
    return person


def _pseudonym_labels(case: HandoverCase, key: bytes, people: Iterable[Person]) -> dict[int, str]:
    """Person id -> label, assigning the next free letters to people seen the first time.

    The case's row is locked while labels are read and assigned, so two runs preparing the
    same case at once (a worker and a retry) give everyone the same label instead of
    colliding on the next free letter.
    """
    digests = {person.pk: person_digest(key=key, person_id=person.pk) for person in people}
    with transaction.atomic():
        HandoverCase.objects.select_for_update().filter(pk=case.pk).values_list("pk").first()
        return _assign_labels(case, digests)


def _assign_labels(case: HandoverCase, digests: dict[int, str]) -> dict[int, str]:
    existing = dict(
        CasePseudonym.objects.filter(case=case, digest__in=digests.values()).values_list(
            "digest", "label"
        )
    )
    missing = [pid for pid, digest in sorted(digests.items()) if digest not in existing]
    if missing:
        start = (CasePseudonym.objects.filter(case=case).aggregate(m=Max("index"))["m"] or -1) + 1
        rows = []
        for offset, pid in enumerate(missing):
            label = pseudonym_label(start + offset, language=case.language)
            rows.append(
                CasePseudonym(case=case, digest=digests[pid], index=start + offset, label=label)
            )
            existing[digests[pid]] = label
        CasePseudonym.objects.bulk_create(rows)
    return {pid: existing[digest] for pid, digest in digests.items()}


def build_pseudonymiser(case: HandoverCase, key: bytes) -> tuple[Pseudonymiser, dict[int, str]]:
    """The case's pseudonymiser over every person of the subject's imports, and their labels.

    The subject's own identities become ``SUBJECT_TOKEN``; everyone else their pseudonym.
    """
    people = {person.pk: person for person in Person.objects.filter(owner_id=case.subject_id)}
    # Platform ids (a Slack U… id) too: raw mentions name people by them.
    platform_ids: dict[int, set[str]] = {}
    for person_id, external_key in PersonIdentity.objects.filter(
        owner_id=case.subject_id
    ).values_list("person_id", "external_key"):
        platform_ids.setdefault(person_id, set()).add(external_key)
    own = _subject_person_ids(case)
    third = [p for p in people.values() if p.pk not in own and not p.merged_into_id]
    labels = _pseudonym_labels(case, key, third)
    forms: list[NameForms] = []
    label_of: dict[int, str] = {}
    subject = case.subject
    subject_names = {subject.get_full_name(), subject.get_username()}
    for person in people.values():
        canonical = _canonical(person, people)
        is_subject = person.pk in own or canonical.pk in own
        label = SUBJECT_TOKEN if is_subject else labels.get(canonical.pk, "")
        if not label:
            continue
        label_of[person.pk] = label
        names = {person.display_name} | (subject_names if is_subject else set())
        forms.append(
            NameForms(
                label=label,
                names=tuple(sorted(name for name in names if name)),
                handles=tuple(
                    sorted(
                        {str(h) for h in (person.handles or []) if h}
                        | {k for k in platform_ids.get(person.pk, ()) if "@" not in k}
                    )
                ),
                emails=(person.email,) if person.email else (),
            )
        )
    return Pseudonymiser(forms), label_of


def _final_spans(message: Message, rows: list[Redaction], field: str) -> list[Span]:
    return [
        Span(kind=row.kind, start=row.start, end=row.end, masked=row.masked)
        for row in rows
        if row.field == field and row.status != Redaction.Status.RELEASED
    ]


def _detect(case: HandoverCase, messages: list[Message]) -> dict[int, list[Redaction]]:
    """Redaction rows of each of ``messages``: stored decisions kept, new detections added.

    One query reads the stored rows of the whole batch and one insert writes the new ones,
    whatever the batch's size (a query per message cost most of the preparation's time).
    """
    stored: dict[int, list[Redaction]] = {message.pk: [] for message in messages}
    for row in Redaction.objects.filter(case=case, message__in=messages).order_by(
        "message_id", "kind", "start", "pk"
    ):
        stored[row.message_id].append(row)
    new: list[Redaction] = []
    rows: dict[int, list[Redaction]] = {}
    for message in messages:
        known = {(row.field, row.start, row.end) for row in stored[message.pk]}
        found = []
        for field, text in (
            (Redaction.Field.TEXT, message.text),
            (Redaction.Field.SUBJECT, message.subject),
        ):
            for span in find_redactions(text or ""):
                if (field, span.start, span.end) in known:
                    continue
                found.append(
                    Redaction(
                        case=case,
                        message=message,
                        field=field,
                        kind=span.kind,
                        start=span.start,
                        end=span.end,
                        masked=span.masked[:120],
                    )
                )
        new.extend(found)
        rows[message.pk] = stored[message.pk] + found
    Redaction.objects.bulk_create(new, ignore_conflicts=True)
    return rows


def _prepared(
    case: HandoverCase,
    message: Message,
    rows: list[Redaction],
    pseudonymiser: Pseudonymiser,
    label_of: dict[int, str],
    own: set[int],
) -> PreparedMessage:
    text = apply_redactions(
        message.text or "",
        _final_spans(message, rows, Redaction.Field.TEXT),
        language=case.language,
    )
    subject_line = apply_redactions(
        message.subject or "",
        _final_spans(message, rows, Redaction.Field.SUBJECT),
        language=case.language,
    )
    matches = detect_out_of_scope(f"{message.subject}\n{message.text}")
    topic = matches[0] if matches else None
    author_is_subject = message.author_id is not None and (
        message.author_id in own or label_of.get(message.author_id) == SUBJECT_TOKEN
    )
    author_label = "" if message.author_id is None else label_of.get(message.author_id, "")
    if author_is_subject:
        author_label = SUBJECT_TOKEN
    return PreparedMessage(
        case=case,
        message=message,
        conversation_label=pseudonymiser.apply(message.conversation.name)[:255],
        author_label=author_label,
        author_is_subject=author_is_subject,
        text=pseudonymiser.apply(text),
        subject_line=pseudonymiser.apply(subject_line),
        out_of_scope_topic=topic.topic if topic else "",
        out_of_scope_phrase=(topic.phrase if topic else "")[:120],
        message_revision=message.revision,
    )


def _messages_to_prepare(case: HandoverCase) -> QuerySet[Message]:
    """Messages of the subject's imports that some grant of the case covers now."""
    grants = live_grants(case=case)
    return (
        Message.objects.filter(conversation__owner_id=case.subject_id)
        .filter(covered_q(grants, message_prefix=""))
        .select_related("conversation")
        .order_by("pk")
    )


def prepare_case_messages(*, case_id: int, message_ids: Iterable[int] | None = None) -> int:
    """Prepare the case's covered messages not prepared yet (or those of ``message_ids`` again).

    Runs in the worker after each grant; batches of ``PREPARE_BATCH`` messages, each in
    its own transaction, so a crash loses at most a batch and a re-run continues.
    What it prepared changes what the read path serves, so a case shared for the Q&A
    index is indexed again afterwards. Returns how many messages were prepared.
    """
    case = HandoverCase.objects.select_related("subject").get(pk=case_id)
    key = ensure_case_key(case)
    if key is None:
        return 0
    pseudonymiser, label_of = build_pseudonymiser(case, key)
    own = _subject_person_ids(case)
    messages = _messages_to_prepare(case)
    if message_ids is not None:
        messages = messages.filter(pk__in=list(message_ids))
    else:
        # Not prepared yet, or prepared from a revision a later import replaced.
        current = PreparedMessage.objects.filter(
            case=case, message_id=OuterRef("pk"), message_revision=OuterRef("revision")
        )
        messages = messages.exclude(Exists(current))
    done = 0
    last_pk = 0
    while True:
        batch = list(messages.filter(pk__gt=last_pk)[:PREPARE_BATCH])
        if not batch:
            if done and live_grants(case=case, purpose=Purpose.INDEX).exists():
                schedule_case_indexing(case_id=case.pk)
            if done:
                schedule_plugin_deliveries(case_id=case.pk)
            return done
        last_pk = batch[-1].pk
        with transaction.atomic():
            redactions = _detect(case, batch)
            rows = [
                _prepared(case, message, redactions[message.pk], pseudonymiser, label_of, own)
                for message in batch
            ]
            PreparedMessage.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["case", "message"],
                update_fields=[
                    "conversation_label",
                    "author_label",
                    "author_is_subject",
                    "text",
                    "subject_line",
                    "out_of_scope_topic",
                    "out_of_scope_phrase",
                    "message_revision",
                    "prepared_at",
                ],
            )
        done += len(batch)


def _check_subject(case: HandoverCase, by) -> None:  # noqa: ANN001
    if not is_subject_of(case=case, user=by):
        raise CasePermissionError("Only the person leaving decides what is redacted.")


def _schedule_prepare(case: HandoverCase, message_ids: list[int] | None = None) -> None:
    from handover.privacy.tasks import prepare_case_messages_task

    transaction.on_commit(lambda: prepare_case_messages_task.delay(case.pk, message_ids))


@transaction.atomic
def release_redaction(*, redaction: Redaction, by) -> Redaction:  # noqa: ANN001
    """The subject says a redaction was a false positive; the message is prepared again."""
    _check_subject(redaction.case, by)
    redaction.status = Redaction.Status.RELEASED
    redaction.save(update_fields=["status"])
    _reprepare_now(redaction.case, [redaction.message_id])
    record_audit_event(
        actor=by,
        action="privacy.redaction_released",
        target=redaction,
        scope=f"case:{redaction.case_id}",
        details={"kind": redaction.kind, "message_id": redaction.message_id},
    )
    return redaction


@transaction.atomic
def add_redaction(
    *,
    case: HandoverCase,
    message: Message,
    start: int,
    end: int,
    field: str = "text",
    by,  # noqa: ANN001
) -> Redaction:
    """The subject marks text the detectors missed; the message is prepared again."""
    _check_subject(case, by)
    source = message.text if field == Redaction.Field.TEXT else message.subject
    if message.conversation.owner_id != case.subject_id:
        raise InvalidScopeError("That message is not one of yours.")
    if not (0 <= start < end <= len(source or "")):
        raise InvalidScopeError("Select the text to redact inside the message.")
    redaction, _created = Redaction.objects.update_or_create(
        case=case,
        message=message,
        field=field,
        start=start,
        end=end,
        defaults={"kind": "manual", "masked": "•" * min(12, end - start), "status": "added"},
    )
    # The index may hold the text unredacted: hidden from this commit on, until preparing
    # the message again reindexes the case.
    hide_case_passages(case_id=case.pk)
    _reprepare_now(case, [message.pk])
    record_audit_event(
        actor=by,
        action="privacy.redaction_added",
        target=redaction,
        scope=f"case:{case.pk}",
        details={"message_id": message.pk, "length": end - start},
    )
    return redaction


@transaction.atomic
def include_out_of_scope_message(*, prepared: PreparedMessage, by, include: bool = True):  # noqa: ANN001, ANN201
    """The subject includes (or leaves out again) a message caught as a private topic."""
    _check_subject(prepared.case, by)
    prepared.included_by_subject = include
    prepared.save(update_fields=["included_by_subject"])
    if not include:
        hide_case_passages(case_id=prepared.case_id)
    schedule_case_indexing(case_id=prepared.case_id)
    record_audit_event(
        actor=by,
        action="privacy.topic_included" if include else "privacy.topic_excluded",
        target=prepared,
        scope=f"case:{prepared.case_id}",
        details={"message_id": prepared.message_id},
    )
    return prepared


def _reprepare_now(case: HandoverCase, message_ids: list[int]) -> None:
    """Prepare a few messages again in the request: the subject sees the effect at once."""
    transaction.on_commit(lambda: prepare_case_messages(case_id=case.pk, message_ids=message_ids))


# --- Purge steps: what this room derives, deleted when consent no longer covers it -------


def purge_prepared_messages(scope) -> int:  # noqa: ANN001
    """Prepared copies of messages that no live grant covers any more."""
    from handover.consent.purge import delete_in_batches

    stale = PreparedMessage.objects.filter(case_id=scope.case_id).exclude(scope.covered_for(None))
    return delete_in_batches(stale, scope)


def purge_redactions(scope) -> int:  # noqa: ANN001
    """Redaction rows (and their masked values) of messages no longer covered."""
    from handover.consent.purge import delete_in_batches

    stale = Redaction.objects.filter(case_id=scope.case_id).exclude(scope.covered_for(None))
    return delete_in_batches(stale, scope)


def purge_pseudonyms(scope) -> int:  # noqa: ANN001
    """The case's pseudonym table, once the whole case is withdrawn or its key destroyed."""
    from handover.consent.purge import delete_in_batches

    case = HandoverCase.objects.filter(pk=scope.case_id).first()
    if not scope.whole_case and case is not None and case.key_destroyed_at is None:
        return 0
    return delete_in_batches(CasePseudonym.objects.filter(case_id=scope.case_id), scope)


def schedule_preparing_after_import(*, owner_id: int) -> None:
    """After an import of ``owner_id`` committed, prepare what their live cases now cover.

    New messages in a shared conversation, and messages a later export changed, are not
    served until prepared (the read path fails closed); this prepares them.
    """
    from handover.consent.read import SERVING_STATES
    from handover.privacy.tasks import prepare_case_messages_task

    case_ids = list(
        HandoverCase.objects.filter(
            subject_id=owner_id, state__in=SERVING_STATES, key_destroyed_at__isnull=True
        ).values_list("pk", flat=True)
    )
    for case_id in case_ids:
        transaction.on_commit(lambda case_id=case_id: prepare_case_messages_task.delay(case_id))
