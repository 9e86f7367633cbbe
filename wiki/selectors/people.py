"""Looking up the people and teams a form or request names (by username or team slug)."""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from core.models import Team
from wiki.errors import WikiError

User = get_user_model()


class UnknownNameError(WikiError):
    """A submitted username or team slug names nobody."""


def get_user_by_username(*, username: str) -> AbstractBaseUser:
    """The user with ``username``, else ``UnknownNameError``."""
    user = User.objects.filter(username=username).first()
    if user is None:
        raise UnknownNameError(_("No user has that username."))
    return user


def get_team_by_slug(*, slug: str) -> Team:
    """The team with ``slug``, else ``UnknownNameError``."""
    team = Team.objects.filter(slug=slug).first()
    if team is None:
        raise UnknownNameError(_("No team has that slug."))
    return team


def list_users_by_username(*, usernames: Iterable[str]) -> list[AbstractBaseUser]:
    """The users named, in the order given (duplicates once), else ``UnknownNameError``.

    The error names every unknown username, sorted.
    """
    names = list(dict.fromkeys(usernames))
    found = {user.username: user for user in User.objects.filter(username__in=names)}
    missing = sorted(set(names) - set(found))
    if missing:
        raise UnknownNameError(_("Unknown usernames: %(names)s") % {"names": ", ".join(missing)})
    return [found[name] for name in names]
