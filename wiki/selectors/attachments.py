"""Reads of page attachments."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404

from wiki.models import (
    Attachment,
    Page,
)
from wiki.selectors.access import readable_pages


def get_attachment_for_user(*, user: AbstractBaseUser, attachment_id: int) -> Attachment:
    """An attachment of a live page the user may read, else 404."""
    attachment = (
        Attachment.objects.filter(pk=attachment_id, page__in=readable_pages(user=user))
        .select_related("page__space")
        .first()
    )
    if attachment is None:
        raise Http404("No such attachment.")
    return attachment


def list_attachments(*, page: Page) -> QuerySet[Attachment]:
    return Attachment.objects.filter(page=page).select_related("uploaded_by").order_by("name")
