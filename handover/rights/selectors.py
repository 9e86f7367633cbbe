"""Reads for subject rights: what deleting an import would remove, a person's receipts, what
Tacit holds about a person, and their data exports.

:func:`plan_import_erasure` is the one definition of what belongs to an import; the
confirmation page counts it and :func:`handover.rights.services.erase_import` deletes it,
so the numbers a person is shown before are the numbers on their receipt after.

:func:`list_held_data` is the one definition of what Tacit holds about a person: one
queryset per kind (``held_<kind>``), counted by the "what Tacit holds about me" page and
written, row by row, into their data export (:mod:`handover.rights.export`), so the page
and the export always agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from core.models import AuditEvent
from handover.consent.read import live_grant_q
from handover.imports.rows import stored_key
from handover.models import (
    CasePseudonym,
    ConsentGrant,
    Conversation,
    DataExport,
    DeletionReceipt,
    HandoverCase,
    Message,
    NamingConsent,
    Person,
    PersonIdentity,
    PreparedMessage,
    Source,
    Thread,
)
from qa.models import AssistantToken, ChatAccount, Question
from wiki.models import Page, Revision


@dataclass(frozen=True)
class ImportErasurePlan:
    """The rows that deleting one import removes, as querysets to count or delete in this order.

    - ``messages``: the messages this import wrote last (``Message.source``). A message
      another import of the owner found unchanged still names the import that wrote it, so
      it goes with that one; a message another import changed names that other import, and
      stays.
    - ``threads`` and ``conversations``: those this import touched that hold no other
      import's messages.
    - ``identities``: those of the people removed, and, when no other import of the owner
      comes from the same platform, every identity of that platform (a person still named
      by other messages keeps their row, not this platform's ids).
    - ``people``: the people this import named (as authors or platform identities) that no
      other import's message names, and the people merged into them.

    The querysets leave out the import's own messages instead of relying on their absence,
    so they count the same before and after the messages are deleted.
    """

    source: Source
    messages: QuerySet[Message]
    threads: QuerySet[Thread]
    conversations: QuerySet[Conversation]
    identities: QuerySet[PersonIdentity]
    people: QuerySet[Person]
    stores_file: bool

    def counts(self) -> dict[str, int]:
        """How many of each would be deleted now, and whether a stored file goes too."""
        return {
            "messages": self.messages.count(),
            "threads": self.threads.count(),
            "conversations": self.conversations.count(),
            "people": self.people.count(),
            "identities": self.identities.count(),
            "files": int(self.stores_file),
        }


def plan_import_erasure(*, source: Source) -> ImportErasurePlan:
    """What deleting ``source`` (already access-checked) removes; see :class:`ImportErasurePlan`.

    The candidate conversations and people are read now, while the import's messages still
    exist; call it inside the transaction that deletes, with the owner's sources locked.
    """
    owner_id = source.owner_id
    owner_conversations = Conversation.objects.filter(owner_id=owner_id)
    messages = Message.objects.filter(
        conversation_id__in=owner_conversations.values("pk"), source=source
    )
    # The report lists every conversation the import met, also those it wrote no message to.
    reported = [stored_key(str(key)) for key in (source.report or {}).get("conversations", {})]
    conversation_ids = set(messages.values_list("conversation_id", flat=True).distinct())
    conversation_ids |= set(
        owner_conversations.filter(platform=source.format, external_key__in=reported).values_list(
            "pk", flat=True
        )
    )
    others = Message.objects.exclude(source=source)
    threads = Thread.objects.filter(conversation_id__in=conversation_ids).filter(
        ~Exists(others.filter(thread_id=OuterRef("pk")))
    )
    conversations = owner_conversations.filter(pk__in=conversation_ids).filter(
        ~Exists(others.filter(conversation_id=OuterRef("pk")))
    )

    platform_identities = PersonIdentity.objects.filter(owner_id=owner_id, platform=source.format)
    person_ids = set(
        messages.exclude(author_id=None).values_list("author_id", flat=True).distinct()
    )
    person_ids |= set(platform_identities.values_list("person_id", flat=True))
    unnamed = Person.objects.filter(owner_id=owner_id).filter(
        ~Exists(others.filter(author_id=OuterRef("pk")))
    )
    named_here = unnamed.filter(pk__in=person_ids)
    people = unnamed.filter(Q(pk__in=person_ids) | Q(merged_into__in=named_here.values("pk")))

    identities_gone = Q(person__in=people.values("pk"))
    last_of_platform = (
        not Source.objects.filter(owner_id=owner_id, format=source.format)
        .exclude(pk=source.pk)
        .exists()
    )
    if last_of_platform:
        identities_gone |= Q(platform=source.format)
    identities = PersonIdentity.objects.filter(owner_id=owner_id).filter(identities_gone)
    return ImportErasurePlan(
        source=source,
        messages=messages,
        threads=threads,
        conversations=conversations,
        identities=identities,
        people=people,
        stores_file=source.is_upload and not source.upload_deleted,
    )


# --- Receipts ----------------------------------------------------------------------------------


def list_receipts_for_user(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[DeletionReceipt]:
    """The user's own deletion receipts, newest first; nobody sees another person's."""
    if user is None or not user.is_authenticated:
        return DeletionReceipt.objects.none()
    return DeletionReceipt.objects.filter(user_id=user.pk).select_related("user")


def get_receipt_for_user(
    *, receipt_id: int, user: AbstractBaseUser | AnonymousUser
) -> DeletionReceipt:
    """One of the user's receipts, else 404 (staff included: a receipt is its person's)."""
    receipt = list_receipts_for_user(user=user).filter(pk=receipt_id).first()
    if receipt is None:
        raise Http404("No such receipt.")
    return receipt


# --- What Tacit holds about a person -------------------------------------------------------

# The kinds of data held about a person, in the order the page lists them and the export
# writes them. Each is one file of the export and one ``held_<kind>`` queryset below.
KIND_IMPORTS = "imports"
KIND_CONVERSATIONS = "conversations"
KIND_MESSAGES = "messages"
KIND_PEOPLE = "people"
KIND_CASES_SUBJECT = "cases_subject"
KIND_CASES_SUCCEEDING = "cases_succeeding"
KIND_CASES_OPENED = "cases_opened"
KIND_CONSENT_GRANTS = "consent_grants"
KIND_NAMING_CONSENTS = "naming_consents"
KIND_PREPARED_MESSAGES = "prepared_messages"
KIND_PSEUDONYMS = "pseudonyms"
KIND_DELETION_RECEIPTS = "deletion_receipts"
KIND_DATA_EXPORTS = "data_exports"
KIND_WIKI_PAGES = "wiki_pages"
KIND_WIKI_REVISIONS = "wiki_revisions"
KIND_AUDIT_EVENTS = "audit_events"
KIND_QA_QUESTIONS = "qa_questions"
KIND_ASSISTANT_TOKENS = "assistant_tokens"
KIND_CHAT_ACCOUNTS = "chat_accounts"

HELD_KINDS: tuple[str, ...] = (
    KIND_IMPORTS,
    KIND_CONVERSATIONS,
    KIND_MESSAGES,
    KIND_PEOPLE,
    KIND_CASES_SUBJECT,
    KIND_CASES_SUCCEEDING,
    KIND_CASES_OPENED,
    KIND_CONSENT_GRANTS,
    KIND_NAMING_CONSENTS,
    KIND_PREPARED_MESSAGES,
    KIND_PSEUDONYMS,
    KIND_DELETION_RECEIPTS,
    KIND_DATA_EXPORTS,
    KIND_WIKI_PAGES,
    KIND_WIKI_REVISIONS,
    KIND_QA_QUESTIONS,
    KIND_ASSISTANT_TOKENS,
    KIND_CHAT_ACCOUNTS,
    KIND_AUDIT_EVENTS,
)


@dataclass(frozen=True)
class HeldData:
    """One line of "what Tacit holds about me": a kind of data, how many, and where to see it.

    ``kind`` names the export file the rows are in; most kinds have one line, some more
    (consent grants: live and ended; prepared copies: one line per case), and the counts of
    a kind's lines add up to the rows of its file. ``key`` is unique on the page.
    """

    kind: str
    key: str
    label: str
    count: int
    url: str | None = None


def held_imports(*, user: AbstractBaseUser) -> QuerySet[Source]:
    """The exports the person handed in."""
    return Source.objects.filter(owner_id=user.pk)


def held_conversations(*, user: AbstractBaseUser) -> QuerySet[Conversation]:
    """The conversations of the person's imports."""
    return Conversation.objects.filter(owner_id=user.pk)


def held_messages(*, user: AbstractBaseUser) -> QuerySet[Message]:
    """The messages of the person's imports, whoever wrote them, as they imported them."""
    return Message.objects.filter(conversation__owner_id=user.pk)


def held_people(*, user: AbstractBaseUser) -> QuerySet[Person]:
    """The people named in the person's imports (themselves among them)."""
    return Person.objects.filter(owner_id=user.pk)


def held_cases_subject(*, user: AbstractBaseUser) -> QuerySet[HandoverCase]:
    """The handover cases of the person's own departure."""
    return HandoverCase.objects.filter(subject_id=user.pk)


def held_cases_succeeding(*, user: AbstractBaseUser) -> QuerySet[HandoverCase]:
    """The handover cases that name the person as a successor."""
    return HandoverCase.objects.filter(
        Exists(
            HandoverCase.successors.through.objects.filter(
                handovercase_id=OuterRef("pk"), user_id=user.pk
            )
        )
    )


def held_cases_opened(*, user: AbstractBaseUser) -> QuerySet[HandoverCase]:
    """The handover cases the person opened (for themself or for someone in their team)."""
    return HandoverCase.objects.filter(opened_by_id=user.pk)


def held_consent_grants(*, user: AbstractBaseUser) -> QuerySet[ConsentGrant]:
    """Every consent grant the person gave, live or ended."""
    return ConsentGrant.objects.filter(grantor_id=user.pk)


def held_naming_consents(*, user: AbstractBaseUser) -> QuerySet[NamingConsent]:
    """The person's consents to be named in someone else's handover, live or withdrawn."""
    return NamingConsent.objects.filter(user_id=user.pk)


def held_prepared_messages(*, user: AbstractBaseUser) -> QuerySet[PreparedMessage]:
    """The prepared (redacted, pseudonymised) copies of messages held for the person's cases."""
    return PreparedMessage.objects.filter(case__subject_id=user.pk)


def held_pseudonyms(*, user: AbstractBaseUser) -> QuerySet[CasePseudonym]:
    """The pseudonyms of third parties held for the person's cases (counted, never listed)."""
    return CasePseudonym.objects.filter(case__subject_id=user.pk)


def held_deletion_receipts(*, user: AbstractBaseUser) -> QuerySet[DeletionReceipt]:
    """The person's deletion receipts."""
    return DeletionReceipt.objects.filter(user_id=user.pk)


def held_data_exports(*, user: AbstractBaseUser) -> QuerySet[DataExport]:
    """The person's data exports, the one being built included."""
    return DataExport.objects.filter(user_id=user.pk)


def held_wiki_pages(*, user: AbstractBaseUser) -> QuerySet[Page]:
    """The wiki pages the person created or owns, in the trash too."""
    owns = Page.owners.through.objects.filter(page_id=OuterRef("pk"), user_id=user.pk)
    return Page.objects.filter(Q(created_by_id=user.pk) | Q(Exists(owns)))


def held_wiki_revisions(*, user: AbstractBaseUser) -> QuerySet[Revision]:
    """The wiki revisions the person wrote."""
    return Revision.objects.filter(author_id=user.pk)


def held_audit_events(*, user: AbstractBaseUser) -> QuerySet[AuditEvent]:
    """The audit rows of the person's own actions (by ``actor_pk``, which the chain hashes)."""
    return AuditEvent.objects.filter(actor_pk=user.pk)


# One count per line; each function runs a fixed number of queries, whatever the counts.


def _url(name: str, *args: object) -> str:
    return reverse(name, args=args)


def _imports_held(user: AbstractBaseUser) -> list[HeldData]:
    return [
        HeldData(
            KIND_IMPORTS,
            KIND_IMPORTS,
            _("Imports: the exports you handed in"),
            held_imports(user=user).count(),
            _url("handover:import-list"),
        ),
        HeldData(
            KIND_CONVERSATIONS,
            KIND_CONVERSATIONS,
            _("Conversations in your imports"),
            held_conversations(user=user).count(),
            _url("handover:conversation-list"),
        ),
        HeldData(
            KIND_MESSAGES,
            KIND_MESSAGES,
            _("Messages in your imports"),
            held_messages(user=user).count(),
            _url("handover:message-search"),
        ),
        HeldData(
            KIND_PEOPLE,
            KIND_PEOPLE,
            _("People named in your imports"),
            held_people(user=user).count(),
        ),
    ]


def _cases_held(user: AbstractBaseUser) -> list[HeldData]:
    cases = _url("handover:case-list")
    return [
        HeldData(
            KIND_CASES_SUBJECT,
            KIND_CASES_SUBJECT,
            _("Handovers of your own departure"),
            held_cases_subject(user=user).count(),
            cases,
        ),
        HeldData(
            KIND_CASES_SUCCEEDING,
            KIND_CASES_SUCCEEDING,
            _("Handovers that name you as a successor"),
            held_cases_succeeding(user=user).count(),
            cases,
        ),
        HeldData(
            KIND_CASES_OPENED,
            KIND_CASES_OPENED,
            _("Handovers you opened"),
            held_cases_opened(user=user).count(),
            cases,
        ),
    ]


def _consent_grants_held(user: AbstractBaseUser) -> list[HeldData]:
    live = live_grant_q()
    counts = held_consent_grants(user=user).aggregate(
        live=Count("pk", filter=live), ended=Count("pk", filter=~live)
    )
    cases = _url("handover:case-list")
    return [
        HeldData(
            KIND_CONSENT_GRANTS,
            "consent_grants.live",
            _("Consent you gave that is live now"),
            counts["live"],
            cases,
        ),
        HeldData(
            KIND_CONSENT_GRANTS,
            "consent_grants.ended",
            _("Consent you gave that has ended (withdrawn, narrowed, renewed or expired)"),
            counts["ended"],
            cases,
        ),
    ]


def _naming_consents_held(user: AbstractBaseUser) -> list[HeldData]:
    return [
        HeldData(
            KIND_NAMING_CONSENTS,
            KIND_NAMING_CONSENTS,
            _("Your consents to be named in other people's handovers"),
            held_naming_consents(user=user).count(),
            _url("handover:naming-consent"),
        )
    ]


def _prepared_messages_held(user: AbstractBaseUser) -> list[HeldData]:
    """One line per case of the person's: the prepared copies of messages held for it."""
    cases = (
        held_cases_subject(user=user)
        .annotate(prepared=Count("prepared_messages"))
        .order_by("created_at", "pk")
        .values_list("pk", "prepared")
    )
    lines = [
        HeldData(
            KIND_PREPARED_MESSAGES,
            f"{KIND_PREPARED_MESSAGES}.case-{case_id}",
            _("Prepared (redacted) copies of your messages for handover %(id)s") % {"id": case_id},
            prepared,
            _url("handover:privacy-review", case_id),
        )
        for case_id, prepared in cases
    ]
    return lines or [
        HeldData(
            KIND_PREPARED_MESSAGES,
            KIND_PREPARED_MESSAGES,
            _("Prepared (redacted) copies of your messages for handovers"),
            0,
        )
    ]


def _pseudonyms_held(user: AbstractBaseUser) -> list[HeldData]:
    return [
        HeldData(
            KIND_PSEUDONYMS,
            KIND_PSEUDONYMS,
            _("Pseudonyms of other people, kept for your handovers"),
            held_pseudonyms(user=user).count(),
        )
    ]


def _receipts_and_exports_held(user: AbstractBaseUser) -> list[HeldData]:
    return [
        HeldData(
            KIND_DELETION_RECEIPTS,
            KIND_DELETION_RECEIPTS,
            _("Deletion receipts"),
            held_deletion_receipts(user=user).count(),
            _url("handover:receipt-list"),
        ),
        HeldData(
            KIND_DATA_EXPORTS,
            KIND_DATA_EXPORTS,
            _("Data exports"),
            held_data_exports(user=user).count(),
            _url("handover:data-export-list"),
        ),
    ]


def _wiki_held(user: AbstractBaseUser) -> list[HeldData]:
    return [
        HeldData(
            KIND_WIKI_PAGES,
            KIND_WIKI_PAGES,
            _("Wiki pages you created or own"),
            held_wiki_pages(user=user).count(),
            _url("wiki:space-list"),
        ),
        HeldData(
            KIND_WIKI_REVISIONS,
            KIND_WIKI_REVISIONS,
            _("Wiki revisions you wrote"),
            held_wiki_revisions(user=user).count(),
        ),
    ]


def held_qa_questions(*, user: AbstractBaseUser) -> QuerySet[Question]:
    return Question.objects.filter(asked_by_id=user.pk)


def held_assistant_tokens(*, user: AbstractBaseUser) -> QuerySet[AssistantToken]:
    return AssistantToken.objects.filter(user_id=user.pk)


def held_chat_accounts(*, user: AbstractBaseUser) -> QuerySet[ChatAccount]:
    return ChatAccount.objects.filter(user_id=user.pk)


def _qa_held(user: AbstractBaseUser) -> list[HeldData]:
    return [
        HeldData(
            KIND_QA_QUESTIONS,
            KIND_QA_QUESTIONS,
            _("Questions you asked the team memory, with the answers shown"),
            held_qa_questions(user=user).count(),
            _url("qa:ask"),
        ),
        HeldData(
            KIND_ASSISTANT_TOKENS,
            KIND_ASSISTANT_TOKENS,
            _("Assistant tokens (their names and dates; the tokens themselves are not kept)"),
            held_assistant_tokens(user=user).count(),
            _url("core:profile"),
        ),
        HeldData(
            KIND_CHAT_ACCOUNTS,
            KIND_CHAT_ACCOUNTS,
            _("Chat accounts connected to yours"),
            held_chat_accounts(user=user).count(),
            _url("core:profile"),
        ),
    ]


def _audit_events_held(user: AbstractBaseUser) -> list[HeldData]:
    return [
        HeldData(
            KIND_AUDIT_EVENTS,
            KIND_AUDIT_EVENTS,
            _("Audit log entries of your actions"),
            held_audit_events(user=user).count(),
        )
    ]


def list_held_data(*, user: AbstractBaseUser | AnonymousUser) -> list[HeldData]:
    """Everything Tacit holds about ``user``, one line per kind (or part of one), with counts.

    A fixed number of queries whatever the counts. Nobody sees another person's: an
    anonymous user gets an empty list.
    """
    if user is None or not user.is_authenticated:
        return []
    return [
        *_imports_held(user),
        *_cases_held(user),
        *_consent_grants_held(user),
        *_naming_consents_held(user),
        *_prepared_messages_held(user),
        *_pseudonyms_held(user),
        *_receipts_and_exports_held(user),
        *_wiki_held(user),
        *_qa_held(user),
        *_audit_events_held(user),
    ]


# --- Data exports ------------------------------------------------------------------------------


def list_data_exports_for_user(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[DataExport]:
    """The user's own data exports, newest first; nobody sees another person's."""
    if user is None or not user.is_authenticated:
        return DataExport.objects.none()
    return DataExport.objects.filter(user_id=user.pk).select_related("user")


def get_data_export_for_user(
    *, export_id: int, user: AbstractBaseUser | AnonymousUser
) -> DataExport:
    """One of the user's data exports, else 404 (staff included: an export is its person's)."""
    export = list_data_exports_for_user(user=user).filter(pk=export_id).first()
    if export is None:
        raise Http404("No such data export.")
    return export
