"""Who may read a space and which role a user holds in it: the one access rule."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from core.compiled_queries import CompiledQuery
from wiki.errors import WikiPermissionError
from wiki.models import (
    ROLE_RANK,
    Page,
    Role,
    Space,
    SpaceRole,
)


def _roles_of(user: AbstractBaseUser) -> QuerySet[SpaceRole]:
    """Role rows that apply to ``user``: their own and their teams'."""
    return SpaceRole.objects.filter(Q(user=user) | Q(team__memberships__user=user))


def editable_space_ids(user: AbstractBaseUser) -> QuerySet[SpaceRole]:
    """The ids (``space_id``) of the spaces ``user`` may edit: an editor or admin role of
    their own or of one of their teams. Nothing for anonymous users."""
    if not user.is_authenticated:
        return SpaceRole.objects.none().values("space_id")
    return _roles_of(user).filter(role__in=[Role.EDITOR, Role.ADMIN]).values("space_id")


def readable_spaces_q(user: AbstractBaseUser, prefix: str = "") -> Q:
    """A filter for spaces ``user`` may read; it matches nothing for anonymous users.

    ``prefix`` is the lookup path to the space, e.g. ``"space__"`` when filtering pages.
    """
    if not user.is_authenticated:
        return Q(pk__in=[])
    if prefix not in ("", "space__"):
        raise ValueError(f"unsupported prefix {prefix!r}")
    space_ref = OuterRef("space_id" if prefix else "pk")
    has_role = Exists(_roles_of(user).filter(space=space_ref))
    return Q(**{f"{prefix}is_private": False}) | Q(has_role)


def _role_rows(user_pk: int, space_id: int) -> QuerySet[SpaceRole]:
    # A user row holding only the id: the rule reads nothing else of the user.
    return _roles_of(get_user_model()(pk=user_pk)).filter(space_id=space_id).only("role")


# get_space_role's query, compiled once per process (core.compiled_queries): the ORM spent
# ~1 ms of Python building it on every page that checks a role (markers: see there).
_ROLE_LOOKUP = CompiledQuery(_role_rows, user_pk=-2_147_000_001, space_id=-2_147_000_003)


def get_space_role(*, user: AbstractBaseUser, space: Space) -> str | None:
    """The user's strongest role in ``space`` (reader at least in a public space), or None."""
    if not user.is_authenticated:
        return None
    rows = _ROLE_LOOKUP.all(user_pk=user.pk, space_id=space.pk)
    return strongest_role((row.role for row in rows), space)


def roles_in_space_of_page(user: AbstractBaseUser) -> ArraySubquery:
    """The role rows of ``user`` in the space of the outer page query, as an array.

    Annotated on a page lookup, it carries what ``get_space_role`` would fetch in a query
    of its own; ``strongest_role`` turns it into the role.
    """
    return ArraySubquery(_roles_of(user).filter(space=OuterRef("space_id")).values("role"))


def strongest_role(roles: Iterable[str], space: Space) -> str | None:
    """The strongest of a user's ``roles`` in ``space``, reader at least if it is public."""
    held = set(roles)
    if not space.is_private:
        held.add(Role.READER)
    if not held:
        return None
    return max(held, key=lambda role: ROLE_RANK[Role(role)])


def role_at_least(actual: str | None, role: str) -> bool:
    """Whether ``actual`` (None: no role) is ``role`` or stronger, by ``ROLE_RANK``."""
    return actual is not None and ROLE_RANK[Role(actual)] >= ROLE_RANK[Role(role)]


@dataclass(frozen=True)
class SpaceAccess:
    """A user's role in one space, looked up once, and the checks views make with it."""

    space: Space
    role: str | None

    def has(self, role: str) -> bool:
        return role_at_least(self.role, role)

    def require(self, role: str) -> None:
        """Raise ``WikiPermissionError`` (403) unless the role is ``role`` or stronger."""
        if not self.has(role):
            raise WikiPermissionError(
                _("You need the %(role)s role in this space.") % {"role": role}
            )


def get_space_access(
    *, user: AbstractBaseUser, space: Space, page: Page | None = None
) -> SpaceAccess:
    """The user's role in ``space``, for several checks at the cost of one query.

    A ``page`` of that space found for this user by ``get_page_for_user`` or
    ``get_page_by_id_for_user`` already carries their roles: then no query at all.
    """
    # The roles are the looked-up user's: any other user's role is fetched as before.
    looked_up_for = getattr(page, "viewer_pk", None)
    if (
        looked_up_for is not None
        and looked_up_for == user.pk
        and page.space_id == space.pk
        and getattr(page, "viewer_roles", None) is not None
    ):
        return SpaceAccess(space=space, role=strongest_role(page.viewer_roles, space))
    return SpaceAccess(space=space, role=get_space_role(user=user, space=space))


def has_space_role(*, user: AbstractBaseUser, space: Space, role: str) -> bool:
    """Whether the user holds ``role`` or a stronger one in ``space``."""
    return role_at_least(get_space_role(user=user, space=space), role)


def readable_pages(*, user: AbstractBaseUser, include_deleted: bool = False) -> QuerySet[Page]:
    """Pages in spaces the user may read; trash only when asked for."""
    pages = Page.objects.filter(readable_spaces_q(user, prefix="space__"))
    if not include_deleted:
        pages = pages.filter(deleted_at__isnull=True)
    return pages


def readable_pages_with_roles(
    *, user: AbstractBaseUser, include_deleted: bool = False
) -> QuerySet[Page]:
    """``readable_pages``, each page annotated with the user's ``viewer_roles`` in its space.

    The same rule as ``readable_spaces_q`` (a public space, or a role row of the user's
    own or a team's), tested on the annotation, so the role rows are looked up once: an
    ``Exists`` beside the array cost 0.6 ms more Python per page view.
    """
    if not user.is_authenticated:
        return Page.objects.none()
    pages = Page.objects.annotate(viewer_roles=roles_in_space_of_page(user)).filter(
        Q(space__is_private=False) | Q(viewer_roles__len__gt=0)
    )
    if not include_deleted:
        pages = pages.filter(deleted_at__isnull=True)
    return pages


def require_space_role(user: AbstractBaseUser, space: Space, role: str) -> None:
    """Raise ``WikiPermissionError`` (403) unless ``user`` holds ``role`` or a stronger one.

    The one role check of the wiki: services, HTML views and API views all call it.
    """
    get_space_access(user=user, space=space).require(role)
