"""Reads of the privacy room: third parties of a case, and what the subject reviews.

The review lists (redactions by kind, messages left out of scope) are the subject's
own; callers check that the reader is the subject (``handover.consent.selectors``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from handover.cases.selectors import is_subject_of
from handover.models import (
    CasePseudonym,
    HandoverCase,
    Message,
    NamingConsent,
    Person,
    PreparedMessage,
    Redaction,
)
from handover.privacy.pseudonyms import person_digest


def _identities_of(user: AbstractBaseUser) -> Q:
    """People rows that are ``user``: linked to their account, or with their e-mail address."""
    match = Q(user_id=user.pk)
    if user.email:
        match |= Q(email__iexact=user.email)
    return match


def _people_of_user(case: HandoverCase, user: AbstractBaseUser) -> QuerySet[Person]:
    """The third party's own identities in the subject's imports (by account or e-mail)."""
    own = case.subject_people.values("pk")
    return (
        Person.objects.filter(owner_id=case.subject_id)
        .filter(_identities_of(user))
        .exclude(pk__in=own)
    )


def is_third_party_in_case(*, case: HandoverCase, user: AbstractBaseUser) -> bool:
    """Whether ``user`` appears in the subject's imports as someone other than the subject."""
    if not user.is_authenticated or is_subject_of(case=case, user=user):
        return False
    return _people_of_user(case, user).exists()


def list_cases_naming_user(*, user: AbstractBaseUser) -> list[HandoverCase]:
    """Open cases in which ``user`` appears as a third party, for their naming-consent page."""
    if not user.is_authenticated:
        return []
    own = HandoverCase.subject_people.through.objects.filter(
        handovercase_id=OuterRef(OuterRef("pk")), person_id=OuterRef("pk")
    )
    appears = (
        Person.objects.filter(owner_id=OuterRef("subject_id"))
        .filter(_identities_of(user))
        .filter(~Exists(own))
    )
    return list(
        HandoverCase.objects.filter(key_destroyed_at__isnull=True)
        .exclude(subject=user)
        .filter(Exists(appears))
        .select_related("subject", "team")
        .order_by("-created_at", "-id")
    )


def names_of_consenting_third_parties(*, case_id: int) -> dict[str, str]:
    """Pseudonym label -> name of each third party who consents to be named now."""
    consents = list(
        NamingConsent.objects.filter(case_id=case_id, withdrawn_at__isnull=True).select_related(
            "user"
        )
    )
    if not consents:
        return {}
    case = HandoverCase.objects.get(pk=case_id)
    if not case.pseudonym_key:
        return {}
    key = bytes(case.pseudonym_key)
    names: dict[str, str] = {}
    for consent in consents:
        user = consent.user
        digests = [
            person_digest(key=key, person_id=pk)
            for pk in _people_of_user(case, user).values_list("pk", flat=True)
        ]
        for label in CasePseudonym.objects.filter(case=case, digest__in=digests).values_list(
            "label", flat=True
        ):
            names[label] = user.get_full_name() or user.get_username()
    return names


@dataclass(frozen=True)
class RedactionGroup:
    """The redactions of one kind in a case, for the subject's review."""

    kind: str
    redactions: list[Redaction]


def list_redaction_groups(*, case: HandoverCase) -> list[RedactionGroup]:
    """The case's redactions grouped by kind, masked values only."""
    groups: dict[str, list[Redaction]] = defaultdict(list)
    for row in (
        Redaction.objects.filter(case=case)
        .select_related("message")
        .order_by("kind", "message__sent_at", "start")
    ):
        groups[row.kind].append(row)
    return [RedactionGroup(kind=kind, redactions=rows) for kind, rows in sorted(groups.items())]


def list_out_of_scope(*, case: HandoverCase) -> QuerySet[PreparedMessage]:
    """Prepared messages caught as a private topic, included or not, oldest first."""
    return (
        PreparedMessage.objects.filter(case=case)
        .exclude(out_of_scope_topic="")
        .select_related("message")
        .order_by("message__sent_at", "message_id")
    )


def get_redaction_in_case(*, case: HandoverCase, redaction_id: int) -> Redaction:
    """One redaction of the (already access-checked) case, else 404."""
    redaction = Redaction.objects.filter(case=case, pk=redaction_id).select_related("case").first()
    if redaction is None:
        raise Http404("No such redaction.")
    return redaction


def get_subject_message(*, case: HandoverCase, message_id: int) -> Message:
    """One message of the case subject's own imports, else 404."""
    message = (
        Message.objects.filter(pk=message_id, conversation__owner_id=case.subject_id)
        .select_related("conversation")
        .first()
    )
    if message is None:
        raise Http404("No such message.")
    return message


def get_prepared_message(*, case: HandoverCase, message_id: int) -> PreparedMessage | None:
    """The case's prepared copy of one message, or None while it has none."""
    return PreparedMessage.objects.filter(case=case, message_id=message_id).first()


def list_prepared_messages(*, case: HandoverCase) -> QuerySet[PreparedMessage]:
    """The case's prepared copies, oldest message first, for the subject's review."""
    return (
        PreparedMessage.objects.filter(case=case)
        .select_related("message")
        .order_by("message__sent_at", "message_id")
        .only("message_id", "text", "conversation_label", "message__sent_at")
    )


def list_message_redactions(*, case: HandoverCase, message: Message) -> QuerySet[Redaction]:
    """The redactions of one message of the case, in text order."""
    return Redaction.objects.filter(case=case, message=message).order_by("start")


def list_subject_people_choices(*, case: HandoverCase) -> QuerySet[Person]:
    """The people of the subject's imports (merged ones left out) to pick their own from."""
    return Person.objects.filter(owner_id=case.subject_id, merged_into__isnull=True)
