"""Reads for subject rights: what deleting an import would remove, and a person's receipts.

:func:`plan_import_erasure` is the one definition of what belongs to an import; the
confirmation page counts it and :func:`handover.rights.services.erase_import` deletes it,
so the numbers a person is shown before are the numbers on their receipt after.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from handover.imports.rows import stored_key
from handover.models import (
    Conversation,
    DeletionReceipt,
    Message,
    Person,
    PersonIdentity,
    Source,
    Thread,
)


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
