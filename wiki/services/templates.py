"""Page templates: creating them and filling one in for a new page."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wiki.errors import WikiError
from wiki.models import (
    PageTemplate,
    Role,
    Space,
)
from wiki.selectors.access import require_space_role
from wiki.services.validation import _normalise


def fill_template(*, template: PageTemplate, title: str) -> str:
    """The template's text with {{title}} and {{date}} filled in."""
    return template.body.replace("{{title}}", title.strip()).replace(
        "{{date}}", timezone.localdate().isoformat()
    )


@transaction.atomic
def create_template(
    *, space: Space, by: AbstractBaseUser, name: str, body: str, description: str = ""
) -> PageTemplate:
    """Add a page template to a space (editors)."""
    require_space_role(by, space, Role.EDITOR)
    name = " ".join(name.split())
    if not name:
        raise WikiError(_("A template needs a name."))
    if PageTemplate.objects.filter(space=space, name__iexact=name).exists():
        raise WikiError(_("A template named “%(name)s” already exists.") % {"name": name})
    return PageTemplate.objects.create(
        space=space, name=name, body=_normalise(body), description=description, created_by=by
    )
