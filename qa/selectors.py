"""Reads of the Q&A surfaces: one access-checked getter per object, the inbox, the chats.

A chat and its questions are their asker's alone. A knowledge request is seen by its
asker, by the people it was routed to, and by editors of its space.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from qa.models import Chat, KnowledgeRequest, Question, RequestRecipient
from wiki.models import Space
from wiki.selectors.access import editable_space_ids, get_space_role, readable_spaces_q


class NotFoundError(LookupError):
    """No such object, or not one this person may see (the two are not told apart)."""


def get_chat_for_user(*, chat_id: int, user: AbstractBaseUser) -> Chat:
    chat = Chat.objects.filter(pk=chat_id, user_id=user.pk).first()
    if chat is None:
        raise NotFoundError(_("No such chat."))
    return chat


def list_chats_for_user(*, user: AbstractBaseUser) -> QuerySet[Chat]:
    return Chat.objects.filter(user_id=user.pk)


def list_questions_of_chat(*, chat: Chat) -> QuerySet[Question]:
    return Question.objects.filter(chat=chat).select_related("knowledge_request")


def get_question_for_user(*, question_id: int, user: AbstractBaseUser) -> Question:
    question = Question.objects.filter(pk=question_id, asked_by_id=user.pk).first()
    if question is None:
        raise NotFoundError(_("No such question."))
    return question


def _visible_requests(user: AbstractBaseUser) -> QuerySet[KnowledgeRequest]:
    if not user.is_authenticated:
        return KnowledgeRequest.objects.none()
    routed = RequestRecipient.objects.filter(request=OuterRef("pk"), user_id=user.pk)
    return KnowledgeRequest.objects.filter(
        Q(question__asked_by_id=user.pk) | Exists(routed) | Q(space_id__in=editable_space_ids(user))
    )


def get_request_for_user(*, request_id: int, user: AbstractBaseUser) -> KnowledgeRequest:
    found = (
        _visible_requests(user)
        .filter(pk=request_id)
        .select_related("question__asked_by", "space", "entry")
        .first()
    )
    if found is None:
        raise NotFoundError(_("No such request."))
    return found


def list_requests_for_user(*, user: AbstractBaseUser) -> QuerySet[KnowledgeRequest]:
    """Requests routed to ``user`` or filed by them (open ones first, newest first)."""
    if not user.is_authenticated:
        return KnowledgeRequest.objects.none()
    routed = RequestRecipient.objects.filter(request=OuterRef("pk"), user_id=user.pk)
    return (
        KnowledgeRequest.objects.filter(Q(question__asked_by_id=user.pk) | Exists(routed))
        .select_related("question__asked_by", "space", "entry")
        .order_by("-status", "-created_at", "-id")
    )


def count_open_requests_for_user(*, user: AbstractBaseUser) -> int:
    """Open requests routed to ``user`` (the nav badge): they leave it when answered."""
    if not user.is_authenticated:
        return 0
    return RequestRecipient.objects.filter(
        user_id=user.pk, request__status=KnowledgeRequest.Status.OPEN
    ).count()


def is_routed_to(*, request: KnowledgeRequest, user: AbstractBaseUser) -> bool:
    return RequestRecipient.objects.filter(request=request, user_id=user.pk).exists()


def get_writable_space_for_user(*, key: str, user: AbstractBaseUser) -> Space:
    """A space ``user`` may read, by key (answering into it is checked by the service)."""
    space = Space.objects.filter(readable_spaces_q(user), key=key).first()
    if space is None or get_space_role(user=user, space=space) is None:
        raise NotFoundError(_("No such space."))
    return space


def list_answer_spaces_for_user(*, user: AbstractBaseUser) -> QuerySet[Space]:
    """Spaces ``user`` may put an answer into (editors and admins)."""
    return Space.objects.filter(pk__in=editable_space_ids(user)).order_by("name")
