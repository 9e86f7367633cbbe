"""Sign-in by a one-time link to the subject's personal address: asking, using, what it reaches."""

import datetime
import hashlib
import re

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token

from core.models import AuditEvent
from handover.cases import services as case_services
from handover.consent import services as consent_services
from handover.consent.read import live_grants
from handover.models import (
    Conversation,
    DeletionReceipt,
    HandoverCase,
    Message,
    Purpose,
    SubjectAccessLink,
)
from handover.rights.access import SESSION_KEY

pytestmark = pytest.mark.django_db

PERSONAL = "Leaver.Personal@Example.org"
NEUTRAL = "If this address is registered, a link is on its way."
LINK = re.compile(r"https?://[^/\s]+(/handover/access/([A-Za-z0-9_-]+)/)")


@pytest.fixture
def registered(case, subject) -> HandoverCase:  # noqa: ANN001
    """The subject's case with their personal address registered."""
    return case_services.set_personal_email(case=case, by=subject, email=PERSONAL)


@pytest.fixture
def shared(registered, subject, slack_import) -> list[int]:  # noqa: ANN001
    """The subject shares two channels for two purposes; returns their ids."""
    chosen = list(Conversation.objects.filter(owner=subject).order_by("name")[:2])
    consent_services.record_consent(
        case=registered,
        by=subject,
        purposes=[Purpose.INDEX, Purpose.QUOTE],
        conversation_ids=[c.pk for c in chosen],
    )
    return [c.pk for c in chosen]


def _ask(client: Client, email: str, capture, **headers: str):  # noqa: ANN001, ANN202
    with capture(execute=True):
        return client.post("/handover/access/", {"email": email}, headers=headers)


def _link_path(message) -> str:  # noqa: ANN001
    found = LINK.findall(message.body)
    assert len(found) == 1, message.body
    return found[0][0]


def _signed_in_by_link(client: Client, capture) -> Client:  # noqa: ANN001
    """``client`` after asking for a link to PERSONAL and using it."""
    _ask(client, PERSONAL.lower(), capture)
    response = client.post(_link_path(mail.outbox[-1]))
    assert response.status_code == 302 and response["Location"] == "/handover/access/mine/"
    return client


# --- Asking for a link --------------------------------------------------------------------------


def test_it_mails_exactly_one_link_to_the_registered_address(
    registered,
    subject,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    response = _ask(Client(), "  leaver.personal@EXAMPLE.org ", django_capture_on_commit_callbacks)
    assert response.status_code == 200 and NEUTRAL in response.content.decode()
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [PERSONAL]
    path = _link_path(sent)
    assert "30 minutes" in sent.body
    link = SubjectAccessLink.objects.get()
    assert link.user == subject and link.used_at is None
    assert link.expires_at - timezone.now() <= datetime.timedelta(minutes=30)
    assert link.expires_at - timezone.now() > datetime.timedelta(minutes=29)
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert link.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    event = AuditEvent.objects.get(action="subject_link.issued")
    assert event.target_id == str(link.pk) and event.scope == f"user:{subject.pk}"
    assert PERSONAL.lower() not in str(event.details).lower()
    assert event.personal["email"].lower() == PERSONAL.lower()


def test_the_token_is_stored_only_as_its_hash(
    registered,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    _ask(Client(), PERSONAL, django_capture_on_commit_callbacks)
    token = _link_path(mail.outbox[0]).rstrip("/").rsplit("/", 1)[1]
    stored = [str(value) for value in SubjectAccessLink.objects.values().get().values()]
    assert token not in "\n".join(stored)
    audit = "\n".join(str(row) for row in AuditEvent.objects.values("details", "personal"))
    assert token not in audit


def test_it_reaches_cases_of_every_state_also_withdrawn(
    registered,
    subject,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    consent_services.withdraw_everything(case=registered, by=subject)
    _ask(Client(), PERSONAL, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1


def test_an_unknown_address_gets_the_same_page_and_no_mail(
    registered,
    client_for,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    known = _ask(Client(), PERSONAL, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    unknown = _ask(Client(), "nobody@example.org", django_capture_on_commit_callbacks)
    assert unknown.status_code == known.status_code == 200
    assert NEUTRAL in unknown.content.decode()
    pages = [
        [t.name for t in response.templates if not t.name.startswith("handover/email/")]
        for response in (known, unknown)
    ]
    assert pages[0] == pages[1]
    assert mail.outbox == []
    assert SubjectAccessLink.objects.count() == 1
    # The account's work address is not a personal address: no link for it either.
    _ask(Client(), "subject@example.com", django_capture_on_commit_callbacks)
    assert mail.outbox == [] and SubjectAccessLink.objects.count() == 1


def test_a_malformed_address_is_refused_with_a_clear_error(
    registered,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    response = _ask(Client(), "not an address", django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    assert mail.outbox == [] and not SubjectAccessLink.objects.exists()


@override_settings(SUBJECT_LINKS_PER_HOUR=2)
def test_it_sends_at_most_so_many_links_an_hour_to_one_address(
    registered,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    for _ in range(3):
        response = _ask(Client(), PERSONAL, django_capture_on_commit_callbacks)
        # Past the limit the answer stays the same, so the limit tells nobody the address is known.
        assert response.status_code == 200 and NEUTRAL in response.content.decode()
    assert len(mail.outbox) == 2 and SubjectAccessLink.objects.count() == 2
    SubjectAccessLink.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=61))
    _ask(Client(), PERSONAL, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 3


@override_settings(SUBJECT_LINK_REQUESTS_PER_IP_HOUR=2)
def test_it_limits_the_requests_of_one_client_address(
    registered,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    client = Client()
    for email in ("a@example.org", "b@example.org"):
        assert _ask(client, email, django_capture_on_commit_callbacks).status_code == 200
    limited = _ask(client, PERSONAL, django_capture_on_commit_callbacks)
    assert limited.status_code == 429
    assert "Too many requests" in limited.content.decode()
    assert mail.outbox == [] and not SubjectAccessLink.objects.exists()
    other_ip = Client(REMOTE_ADDR="203.0.113.9")
    assert _ask(other_ip, PERSONAL, django_capture_on_commit_callbacks).status_code == 200
    assert len(mail.outbox) == 1


def test_the_request_page_answers_only_get_and_post(db) -> None:  # noqa: ANN001
    assert Client().get("/handover/access/").status_code == 200
    assert Client().put("/handover/access/").status_code == 405
    assert Client().get("/handover/access/sign-out/").status_code == 405


def test_the_login_page_points_to_the_link(db) -> None:  # noqa: ANN001
    body = Client().get("/accounts/login/").content.decode()
    assert 'href="/handover/access/"' in body


def test_the_page_and_the_mail_are_in_chinese_too(
    registered,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    zh = {"Accept-Language": "zh-hans"}
    page = Client().get("/handover/access/", headers=zh).content.decode()
    assert "个人电子邮件地址" in page
    response = _ask(Client(), PERSONAL, django_capture_on_commit_callbacks, **zh)
    assert "如果此地址已登记，链接正在发送" in response.content.decode()
    sent = mail.outbox[0]
    assert "登录链接" in sent.subject and "30 分钟" in sent.body


# --- Using a link -------------------------------------------------------------------------------


def test_a_get_does_not_use_the_link(registered, django_capture_on_commit_callbacks) -> None:  # noqa: ANN001
    _ask(Client(), PERSONAL, django_capture_on_commit_callbacks)
    path = _link_path(mail.outbox[0])
    scanner = Client()
    for _ in range(2):
        response = scanner.get(path)
        assert response.status_code == 200
        assert f'action="{path}"' in response.content.decode()
    assert SubjectAccessLink.objects.get().used_at is None
    assert SESSION_KEY not in scanner.session
    assert scanner.get(f"/handover/cases/{registered.pk}/").status_code == 302
    assert not AuditEvent.objects.filter(action="subject_link.used").exists()


def test_a_post_uses_the_link_once(
    registered,
    subject,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    _ask(Client(), PERSONAL, django_capture_on_commit_callbacks)
    path = _link_path(mail.outbox[0])
    client = Client()
    client.get(path)
    before = client.cookies.get("sessionid")
    response = client.post(path)
    assert response.status_code == 302 and response["Location"] == "/handover/access/mine/"
    link = SubjectAccessLink.objects.get()
    assert link.used_at is not None
    assert client.session[SESSION_KEY]["user_id"] == subject.pk
    assert before is None or client.cookies["sessionid"].value != before.value
    assert "_auth_user_id" not in client.session  # not a Django login
    event = AuditEvent.objects.get(action="subject_link.used")
    assert event.actor_id == subject.pk and event.target_id == str(link.pk)

    again = Client()
    for method in (again.get, again.post):
        spent = method(path)
        assert spent.status_code == 410
        assert "used already or has expired" in spent.content.decode()
    assert SESSION_KEY not in again.session
    assert AuditEvent.objects.filter(action="subject_link.used").count() == 1


def test_the_session_key_changes_when_the_link_is_used(
    registered,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    _ask(Client(), PERSONAL, django_capture_on_commit_callbacks)
    client = Client()
    session = client.session
    session["before"] = "x"
    session.save()
    old_key = session.session_key
    client.post(_link_path(mail.outbox[0]))
    assert client.session.session_key != old_key


def test_an_expired_link_does_nothing(registered, django_capture_on_commit_callbacks) -> None:  # noqa: ANN001
    _ask(Client(), PERSONAL, django_capture_on_commit_callbacks)
    path = _link_path(mail.outbox[0])
    SubjectAccessLink.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    client = Client()
    assert client.get(path).status_code == 410
    response = client.post(path)
    assert response.status_code == 410 and 'href="/handover/access/"' in response.content.decode()
    assert SubjectAccessLink.objects.get().used_at is None
    assert SESSION_KEY not in client.session
    assert client.get(f"/handover/cases/{registered.pk}/").status_code == 302


def test_an_unknown_token_is_refused(db) -> None:  # noqa: ANN001
    client = Client()
    for method in (client.get, client.post):
        response = method("/handover/access/made-up-token/")
        assert response.status_code == 400
        assert "This sign-in link is not valid." in response.content.decode()
    assert SESSION_KEY not in client.session


def test_a_signed_in_account_is_signed_out_by_the_link(
    registered,
    manager,
    client_for,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    _ask(Client(), PERSONAL, django_capture_on_commit_callbacks)
    client = client_for(manager)
    client.post(_link_path(mail.outbox[0]))
    assert "_auth_user_id" not in client.session
    assert client.get("/handover/cases/").status_code == 302
    assert client.get(f"/handover/cases/{registered.pk}/").status_code == 200


# --- What a link session reaches ----------------------------------------------------------------


def test_it_reaches_the_subjects_case_and_lets_them_withdraw_everything(
    shared,
    registered,
    subject,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    # Their work account is gone: the link does not need it.
    subject.is_active = False
    subject.save(update_fields=["is_active"])
    client = _signed_in_by_link(Client(), django_capture_on_commit_callbacks)
    home = client.get("/handover/access/mine/")
    assert home.status_code == 200
    assert f'href="/handover/cases/{registered.pk}/"' in home.content.decode()
    assert "Sign out" in home.content.decode()

    detail = client.get(f"/handover/cases/{registered.pk}/")
    body = detail.content.decode()
    assert detail.status_code == 200 and 'id="subject-actions"' in body
    for unreachable in ("/privacy/", "/me/", "/email/", "/steps/"):
        assert f"/handover/cases/{registered.pk}{unreachable}" not in body
    partial = client.get(f"/handover/cases/{registered.pk}/", headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.content.decode()

    form = client.get(f"/handover/cases/{registered.pk}/consent/")
    assert form.status_code == 200 and 'id="consent-form"' in form.content.decode()
    threads = client.get(f"/handover/cases/{registered.pk}/consent/conversations/{shared[0]}/")
    assert threads.status_code == 200 and "/handover/threads/" not in threads.content.decode()
    assert client.get(f"/handover/cases/{registered.pk}/consent/withdraw/").status_code == 200

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            f"/handover/cases/{registered.pk}/consent/withdraw/", {"what": "everything"}
        )
    assert response.status_code == 302
    registered.refresh_from_db()
    assert registered.state == HandoverCase.State.WITHDRAWN
    assert not live_grants(case=registered).exists()
    event = AuditEvent.objects.filter(action="consent.withdrawn").latest("sequence")
    assert event.actor_id == subject.pk


def test_narrowing_through_the_consent_form_acts_as_the_subject(
    shared,
    registered,
    subject,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    client = _signed_in_by_link(Client(), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            f"/handover/cases/{registered.pk}/consent/",
            {"purposes": [Purpose.INDEX], "conversations": [shared[0]]},
        )
    assert response.status_code == 302
    assert set(live_grants(case=registered).values_list("purpose", flat=True)) == {Purpose.INDEX}
    assert set(live_grants(case=registered).values_list("grantor", flat=True)) == {subject.pk}


def test_it_never_reaches_another_persons_case(
    registered,
    subject,
    teammate,
    manager,
    team,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    # The subject takes over from the teammate: signed in, they see that case as successor.
    other = case_services.open_case(
        subject=teammate,
        team=team,
        by=manager,
        last_day=timezone.localdate(),
        successors=[subject],
    )
    signed_in = Client()
    signed_in.force_login(subject)
    assert signed_in.get(f"/handover/cases/{other.pk}/").status_code == 200
    client = _signed_in_by_link(Client(), django_capture_on_commit_callbacks)
    for path in ("", "consent/", "consent/withdraw/"):
        assert client.get(f"/handover/cases/{other.pk}/{path}").status_code == 404, path
    response = client.post(f"/handover/cases/{other.pk}/consent/withdraw/", {"what": "everything"})
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.state == HandoverCase.State.OPENED
    home = client.get("/handover/access/mine/").content.decode()
    assert f"/handover/cases/{other.pk}/" not in home


def test_every_other_page_asks_for_the_account(
    registered,
    subject,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    client = _signed_in_by_link(Client(), django_capture_on_commit_callbacks)
    base = f"/handover/cases/{registered.pk}"
    for path in (
        "/",
        "/teams/",
        "/wiki/",
        "/handover/imports/",
        "/handover/conversations/",
        "/handover/cases/",
        "/handover/naming/",
        f"{base}/privacy/",
        f"{base}/me/",
    ):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], path
    for path in (f"{base}/steps/close/", f"{base}/email/"):
        response = client.post(path, {"personal_email": "thief@example.org"})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], path
    registered.refresh_from_db()
    assert registered.state == HandoverCase.State.OPENED and registered.personal_email == PERSONAL
    admin = client.get("/admin/")
    assert admin.status_code == 302 and "/admin/login/" in admin["Location"]


def test_the_api_is_closed_to_a_link_session(
    registered,
    subject,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    client = _signed_in_by_link(Client(), django_capture_on_commit_callbacks)
    for path in (
        "/api/me/",
        "/api/handover/cases/",
        f"/api/handover/cases/{registered.pk}/",
        f"/api/handover/cases/{registered.pk}/consent/",
        "/api/handover/receipts/",
    ):
        assert client.get(path).status_code == 401, path
    response = client.post(f"/api/handover/cases/{registered.pk}/consent/withdraw/", {})
    assert response.status_code == 401
    registered.refresh_from_db()
    assert registered.state == HandoverCase.State.OPENED
    assert not Token.objects.exists()


def test_it_reaches_the_subjects_own_receipts_only(
    registered,
    subject,
    teammate,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    mine = DeletionReceipt.objects.create(
        user=subject, kind=DeletionReceipt.Kind.CONSENT_WITHDRAWAL, summary="Mine"
    )
    theirs = DeletionReceipt.objects.create(
        user=teammate, kind=DeletionReceipt.Kind.CONSENT_WITHDRAWAL, summary="Theirs"
    )
    client = _signed_in_by_link(Client(), django_capture_on_commit_callbacks)
    listing = client.get("/handover/receipts/")
    assert listing.status_code == 200
    assert "Mine" in listing.content.decode() and "Theirs" not in listing.content.decode()
    assert "/handover/imports/" not in listing.content.decode()
    assert client.get(f"/handover/receipts/{mine.pk}/").status_code == 200
    assert client.get(f"/handover/receipts/{theirs.pk}/").status_code == 404


def test_the_session_ends_after_its_minutes(
    registered,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    client = _signed_in_by_link(Client(), django_capture_on_commit_callbacks)
    stored = client.session[SESSION_KEY]
    expires = datetime.datetime.fromisoformat(stored["expires_at"])
    assert (
        datetime.timedelta(minutes=59) < expires - timezone.now() <= datetime.timedelta(minutes=60)
    )
    session = client.session
    session[SESSION_KEY] = {
        **stored,
        "expires_at": (timezone.now() - datetime.timedelta(seconds=1)).isoformat(),
    }
    session.save()
    response = client.get(f"/handover/cases/{registered.pk}/")
    assert response.status_code == 302 and response["Location"] == "/handover/access/"
    assert SESSION_KEY not in client.session
    assert client.get(f"/handover/cases/{registered.pk}/consent/").status_code == 302
    follow = client.get(f"/handover/cases/{registered.pk}/")
    assert "/accounts/login/" in follow["Location"]


def test_signing_out_ends_the_session(registered, django_capture_on_commit_callbacks) -> None:  # noqa: ANN001
    client = _signed_in_by_link(Client(), django_capture_on_commit_callbacks)
    assert client.get(f"/handover/cases/{registered.pk}/").status_code == 200
    old_key = client.session.session_key
    response = client.post("/handover/access/sign-out/")
    assert response.status_code == 302 and response["Location"] == "/handover/access/"
    assert client.session.session_key != old_key
    assert SESSION_KEY not in client.session
    after = client.get(f"/handover/cases/{registered.pk}/")
    assert after.status_code == 302 and "/accounts/login/" in after["Location"]


def test_a_signed_in_account_still_sees_its_pages_as_before(
    registered,
    manager,
    subject,
    client_for,
) -> None:
    assert client_for(manager).get(f"/handover/cases/{registered.pk}/").status_code == 200
    assert client_for(manager).get(f"/handover/cases/{registered.pk}/consent/").status_code == 404
    body = client_for(subject).get(f"/handover/cases/{registered.pk}/").content.decode()
    assert f"/handover/cases/{registered.pk}/privacy/" in body
    assert client_for(subject).get("/handover/access/mine/").status_code == 200
    anonymous = Client().get("/handover/access/mine/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_it_reaches_what_tacit_holds_and_the_export(
    registered,
    subject,
    slack_import,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    from handover.models import DataExport

    client = _signed_in_by_link(Client(), django_capture_on_commit_callbacks)
    overview = client.get("/handover/rights/")
    assert overview.status_code == 200
    messages = Message.objects.filter(conversation__owner=subject).count()
    assert str(messages) in overview.content.decode()
    assert client.post("/handover/exports/").status_code == 302
    export = DataExport.objects.get()
    assert export.user == subject
    assert client.get(f"/handover/exports/{export.pk}/").status_code == 200
