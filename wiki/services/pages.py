"""Creating pages, from scratch or from a template."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from wiki.errors import InvalidMoveError, PageTitleTakenError, WikiError
from wiki.models import (
    Page,
    PageRedirect,
    PageTemplate,
    Role,
    Space,
    Watch,
)
from wiki.selectors.access import require_space_role
from wiki.services.indexing import rerender_pages_linking_to
from wiki.services.ownership import _set_tags
from wiki.services.revisions import _append_revision
from wiki.services.templates import fill_template
from wiki.services.validation import _check_title_free, _free_path, _normalise, _validate_title


@transaction.atomic
def create_page(
    *,
    space: Space,
    author: AbstractBaseUser,
    title: str,
    body: str = "",
    parent: Page | None = None,
    summary: str = "",
    tags: Sequence[str] = (),
    review_by: date | None = None,
) -> Page:
    """Create a page with its first revision; its author becomes its owner and watches it.

    Red links elsewhere that named this title turn into links to the new page.
    """
    require_space_role(author, space, Role.EDITOR)
    title = _validate_title(title)
    if parent is not None and (parent.space_id != space.pk or parent.is_deleted):
        raise InvalidMoveError(_("The parent page must be a live page of the same space."))
    _check_title_free(space, title)
    slug, path = _free_path(space, parent, title)
    try:
        with transaction.atomic():
            page = Page.objects.create(
                space=space,
                parent=parent,
                title=title,
                slug=slug,
                path=path,
                created_by=author,
                review_by=review_by,
            )
    except IntegrityError as error:
        # Another request created the same title or path between our check and insert.
        raise PageTitleTakenError(
            _("A page titled “%(title)s” already exists in this space.") % {"title": title}
        ) from error
    page.owners.add(author)
    Watch.objects.get_or_create(user=author, page=page)
    _set_tags(page, tags)
    PageRedirect.objects.filter(space=space, old_path=path).delete()
    _append_revision(
        page=page,
        author=author,
        body=_normalise(body),
        summary=summary or _("Created page"),
        base_revision=None,
    )
    # Links to the new title turn blue before the author, who often came here from a red
    # link, goes back to it. Renames, moves and trashing re-render on the worker.
    rerender_pages_linking_to(space_id=space.pk, titles=[title])
    return page


@transaction.atomic
def create_page_from_template(
    *,
    space: Space,
    author: AbstractBaseUser,
    title: str,
    template: PageTemplate,
    parent: Page | None = None,
) -> Page:
    """Create a page whose first text is ``template``'s, with {{title}}, {{date}} filled in."""
    if template.space_id is not None and template.space_id != space.pk:
        raise WikiError(_("That template belongs to another space."))
    body = fill_template(template=template, title=title)
    return create_page(
        space=space,
        author=author,
        title=title,
        body=body,
        parent=parent,
        summary=_("Created from template “%(name)s”") % {"name": template.name},
    )
