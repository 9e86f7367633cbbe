"""Reads of page templates."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.http import Http404

from wiki.models import (
    PageTemplate,
    Space,
)
from wiki.selectors.spaces import list_spaces


def get_template_for_user(
    *, user: AbstractBaseUser, template_id: int, space: Space | None = None
) -> PageTemplate:
    """A template of ``space`` (or a global one) the user may read, else 404."""
    templates = PageTemplate.objects.filter(
        Q(space__isnull=True) | Q(space__in=list_spaces(user=user))
    )
    if space is not None:
        templates = templates.filter(Q(space__isnull=True) | Q(space=space))
    template = templates.filter(pk=template_id).first()
    if template is None:
        raise Http404("No such template.")
    return template


def list_templates(*, space: Space) -> QuerySet[PageTemplate]:
    """Templates offered when creating a page in ``space``: its own and the global ones."""
    return PageTemplate.objects.filter(Q(space=space) | Q(space__isnull=True)).order_by("name")
