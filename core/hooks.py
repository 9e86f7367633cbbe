"""Sections other apps add to a person's profile page, registered when they load.

An app registers a provider in its ``AppConfig.ready``; the profile page asks each
provider for its section for the signed-in person (None: nothing to show them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest


@dataclass(frozen=True)
class ProfileSection:
    """One section of the profile page: a heading and the template that renders it."""

    key: str
    title: str
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100


ProfileSectionProvider = Callable[[HttpRequest, AbstractBaseUser], ProfileSection | None]

_profile_sections: dict[str, ProfileSectionProvider] = {}


def register_profile_section(key: str, provider: ProfileSectionProvider) -> None:
    """Add (or replace, by ``key``) a provider of a profile section."""
    _profile_sections[key] = provider


def profile_sections(request: HttpRequest, user: AbstractBaseUser) -> list[ProfileSection]:
    """The sections for ``user``, in their order."""
    sections = [provider(request, user) for provider in _profile_sections.values()]
    return sorted(
        (section for section in sections if section is not None),
        key=lambda section: (section.order, section.key),
    )
