"""Sign-in by a one-time link to a subject's personal address, for after their last day.

The subject registers a personal e-mail address on their case
(:func:`handover.cases.services.set_personal_email`). Asking for a link
(:func:`request_access_link`) e-mails one there; using it (:func:`use_access_link`, then
:func:`open_subject_session`) stores a *subject-access grant* in the session: the user's id
and an expiry, not a Django login. ``request.user`` stays anonymous, so every page behind
``login_required`` and the whole API stay closed. Only the views decorated with
:func:`subject_or_login_required` accept the grant (the subject's case page, consent form,
withdrawal page and deletion receipts), and :func:`get_case_for_actor` gives a link
session the subject's own cases only, acting as the subject and nothing else.

Only the SHA-256 of a token is stored. Mail scanners fetch links, so only a POST uses one.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import rotate_token
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from core.services import record_audit_event
from handover.cases.selectors import SUBJECT, case_roles, get_case_for_user, is_subject_of
from handover.errors import HandoverError
from handover.models import HandoverCase, SubjectAccessLink

SESSION_KEY = "handover_subject_access"
RATE_WINDOW = timedelta(hours=1)


class AccessLinkUnknownError(HandoverError):
    """No link was ever issued with this token (a typo, or a made-up address)."""


class AccessLinkSpentError(HandoverError):
    """The link was used already, or its time ran out."""


def hash_token(token: str) -> str:
    """The SHA-256 of a token, as stored: the token itself is only ever in the e-mail."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- Issuing links -----------------------------------------------------------------------------


def allow_link_request(*, client_ip: str) -> bool:
    """Count one request for a link from ``client_ip``; False once it passed the hourly limit.

    A fixed window of an hour from the first request, in Django's cache (per process
    without ``CACHE_URL``, so each web process counts on its own). The address is hashed
    so the cache holds no IP address in the clear.
    """
    key = "handover:access-ip:" + hashlib.sha256(client_ip.encode("utf-8")).hexdigest()
    timeout = int(RATE_WINDOW.total_seconds())
    cache.add(key, 0, timeout=timeout)
    try:
        count = cache.incr(key)
    except ValueError:  # the entry expired between add and incr
        cache.set(key, 1, timeout=timeout)
        count = 1
    return count <= settings.SUBJECT_LINK_REQUESTS_PER_IP_HOUR


def _recent_links(user_ids: list[int]) -> int:
    since = timezone.now() - RATE_WINDOW
    return SubjectAccessLink.objects.filter(user_id__in=user_ids, created_at__gte=since).count()


@dataclass(frozen=True)
class _Issued:
    link: SubjectAccessLink
    token: str


def request_access_link(*, email: str, url_for: Callable[[str], str]) -> int:
    """E-mail a one-time sign-in link to ``email`` if a case registers it; how many were issued.

    Every case counts, whatever its state: withdrawing stays possible after the last day
    and after the case was closed. The address matches case-insensitively. One e-mail goes
    out, with one link for each account whose cases name the address (normally one). Past
    ``SUBJECT_LINKS_PER_HOUR`` links to those accounts in the last hour nothing is sent, and
    the caller cannot tell: the answer to the person is the same either way, so nobody
    learns which addresses are registered. ``url_for(token)`` makes the absolute link.
    """
    address = email.strip()
    if not address:
        return 0
    with transaction.atomic():
        # Locking the cases serialises two requests for one address, so the count holds.
        registered = list(
            HandoverCase.objects.select_for_update()
            .filter(personal_email__iexact=address)
            .order_by("-created_at", "-id")
            .values_list("subject_id", "personal_email")
        )
        user_ids = sorted({user_id for user_id, _email in registered})
        if not user_ids or _recent_links(user_ids) >= settings.SUBJECT_LINKS_PER_HOUR:
            return 0
        expires_at = timezone.now() + timedelta(minutes=settings.SUBJECT_LINK_MINUTES)
        issued: list[_Issued] = []
        for user_id in user_ids:
            token = secrets.token_urlsafe(32)
            link = SubjectAccessLink.objects.create(
                user_id=user_id, token_sha256=hash_token(token), expires_at=expires_at
            )
            issued.append(_Issued(link=link, token=token))
        for item in issued:
            record_audit_event(
                actor=None,
                action="subject_link.issued",
                target=item.link,
                scope=f"user:{item.link.user_id}",
                details={"expires_at": expires_at.isoformat()},
                personal={"email": address},
            )
        # Written now, in the language the person asked in; sent once the links are stored.
        # It goes to the address as the subject registered it, not as it was typed.
        context = {
            "urls": [url_for(item.token) for item in issued],
            "minutes": settings.SUBJECT_LINK_MINUTES,
        }
        mail = {
            "subject": _("Tacit: your sign-in link"),
            "message": render_to_string("handover/email/access_link.txt", context),
            "from_email": None,
            "recipient_list": [registered[0][1]],
        }
        transaction.on_commit(lambda: send_mail(**mail), robust=True)
    return len(issued)


# --- Using a link ------------------------------------------------------------------------------


def get_usable_link(*, token: str) -> SubjectAccessLink:
    """The link of ``token`` if it can still be used; it is not used by reading it."""
    link = (
        SubjectAccessLink.objects.filter(token_sha256=hash_token(token))
        .select_related("user")
        .first()
    )
    if link is None:
        raise AccessLinkUnknownError(_("This sign-in link is not valid."))
    if link.used_at is not None or link.expires_at <= timezone.now():
        raise AccessLinkSpentError(_("This sign-in link was used already or has expired."))
    return link


@transaction.atomic
def use_access_link(*, token: str) -> SubjectAccessLink:
    """Use the link of ``token`` once: only the first use before it expires succeeds.

    The compare-and-set (``used_at`` empty and not expired, in the UPDATE itself) makes two
    uses at once end with one winner. Writes an audit row.
    """
    now = timezone.now()
    digest = hash_token(token)
    used = SubjectAccessLink.objects.filter(
        token_sha256=digest, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if not used:
        get_usable_link(token=token)  # raises the error that says why
        raise AccessLinkSpentError(_("This sign-in link was used already or has expired."))
    link = SubjectAccessLink.objects.select_related("user").get(token_sha256=digest)
    record_audit_event(
        actor=link.user,
        action="subject_link.used",
        target=link,
        scope=f"user:{link.user_id}",
        details={},
    )
    return link


# --- The session it opens ----------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectAccess:
    """A live subject-access grant: whose own pages the session reaches, and until when."""

    user: AbstractBaseUser
    expires_at: datetime


def open_subject_session(request: HttpRequest, *, link: SubjectAccessLink) -> SubjectAccess:
    """Store the grant of a used link in a fresh session (new key, new CSRF token).

    A person signed in with an account is signed out first: the session then holds only
    the grant, and acts as the link's subject and nobody else.
    """
    if request.user.is_authenticated:
        auth.logout(request)
    else:
        request.session.cycle_key()
    rotate_token(request)
    minutes = settings.SUBJECT_SESSION_MINUTES
    expires_at = timezone.now() + timedelta(minutes=minutes)
    request.session[SESSION_KEY] = {
        "user_id": link.user_id,
        "link_id": link.pk,
        "expires_at": expires_at.isoformat(),
    }
    request.session.set_expiry(minutes * 60)
    access = SubjectAccess(user=link.user, expires_at=expires_at)
    request.subject_access = access
    return access


def read_subject_access(request: HttpRequest) -> SubjectAccess | None:
    """The session's live grant, or None; an expired or broken one is removed from it."""
    if hasattr(request, "subject_access"):
        return request.subject_access
    access = None
    stored = request.session.get(SESSION_KEY)
    if stored is not None:
        try:
            expires_at = datetime.fromisoformat(stored["expires_at"])
            user_id = int(stored["user_id"])
        except (KeyError, TypeError, ValueError):
            expires_at, user_id = None, None
        user = None
        if expires_at is not None and expires_at > timezone.now():
            user = get_user_model().objects.filter(pk=user_id).first()
        if user is None:
            del request.session[SESSION_KEY]
        else:
            access = SubjectAccess(user=user, expires_at=expires_at)
    request.subject_access = access
    return access


def end_subject_session(request: HttpRequest) -> None:
    """Sign out of a link session: the session and its key are thrown away."""
    request.session.flush()
    request.subject_access = None


def acting_subject(request: HttpRequest) -> AbstractBaseUser | None:
    """Who acts: the signed-in user, else the subject of a live link session, else None."""
    if request.user.is_authenticated:
        return request.user
    access = read_subject_access(request)
    return access.user if access is not None else None


def subject_or_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``login_required`` that also lets a live link session in; only for the subject's pages.

    The view finds its user with :func:`acting_subject` and its case with
    :func:`get_case_for_actor`. ``request.subject_access`` is the grant (None when signed
    in with an account), which templates read to leave out what a link session cannot
    reach. A session whose grant just ran out is sent to ask for a new link.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.user.is_authenticated:
            request.subject_access = None
            return view(request, *args, **kwargs)
        had_grant = SESSION_KEY in request.session
        if read_subject_access(request) is None:
            if had_grant:
                messages.info(request, _("Your sign-in by link has ended. Ask for a new link."))
                return redirect("handover:access-request")
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


def get_case_for_actor(*, request: HttpRequest, case_id: int) -> HandoverCase:
    """The case as :func:`get_case_for_user` gives it to whoever acts; 404 otherwise.

    A link session gets only cases of which its user is the subject: not those they
    manage, oversee, opened or succeed in.
    """
    user = acting_subject(request)
    if user is None:
        raise Http404("No such handover case.")
    case = get_case_for_user(case_id=case_id, user=user)
    if not request.user.is_authenticated and not is_subject_of(case=case, user=user):
        raise Http404("No such handover case.")
    return case


def roles_for_actor(*, request: HttpRequest, case: HandoverCase) -> frozenset[str]:
    """The capacities in which whoever acts takes part in ``case``; a link session: subject."""
    if request.user.is_authenticated:
        return case_roles(case=case, user=request.user)
    user = acting_subject(request)
    if is_subject_of(case=case, user=user):
        return frozenset({SUBJECT})
    return frozenset()
