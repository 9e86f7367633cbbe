"""The team's rhythms over the real Slack export: the group-size threshold, withdrawal, no
per-person figure anywhere, and each persona against each view."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import override_settings

from config.env import ImproperlyConfiguredEnvError, env_int
from core.models import AuditEvent
from handover.consent import services as consent
from handover.models import Purpose
from plugins.rhythms import checks
from plugins.rhythms.models import WorkingAgreement
from plugins.rhythms.selectors import get_team_rhythms, min_group
from tests.plugins.rhythms.conftest import SHARED_SLOT, main_of, share_for_rhythms, slot_count

pytestmark = pytest.mark.django_db

TEAM_URL = "/rhythms/delivery/"
EDIT_URL = "/rhythms/delivery/agreements/"
HTMX = {"HX-Request": "true"}
API_URL = "/api/rhythms/teams/delivery/"


def _cell(rhythms, slot):  # noqa: ANN001, ANN202
    day, hour = slot
    return rhythms.messages.rows[day].cells[hour]


def _everything_suppressed(rhythms) -> bool:  # noqa: ANN001
    return (
        rhythms.messages.shown == 0
        and rhythms.wiki.shown == 0
        and all(bucket.suppressed for bucket in rhythms.responses)
        and all(cadence.suppressed for cadence in rhythms.cadences)
    )


def _withdraw(rhythm_team, index: int = 4) -> None:  # noqa: ANN001
    consent.withdraw_consent(
        case=rhythm_team.cases[index], by=rhythm_team.people[index], purposes=[Purpose.RHYTHMS]
    )


# --- The threshold ----------------------------------------------------------------------------


def test_it_shows_a_cell_of_five_consenting_people(rhythm_team, shared_data: Path) -> None:  # noqa: ANN001
    rhythms = get_team_rhythms(team=rhythm_team.team)
    assert rhythms.enough_people and rhythms.min_group == 5
    cell = _cell(rhythms, SHARED_SLOT)
    assert not cell.suppressed
    # Real timestamps: at most the export's own messages of the five in that hour (a few
    # may be left out of scope as a private topic), and some of them.
    assert 0 < cell.value <= slot_count(shared_data, rhythm_team.slack_ids, SHARED_SLOT)
    # A cell in which fewer of the five wrote is suppressed, not shown as zero.
    assert 0 < rhythms.messages.shown < 24 * 7


def test_it_suppresses_everything_with_four_consenting_people(rhythm_team) -> None:  # noqa: ANN001
    _withdraw(rhythm_team)
    rhythms = get_team_rhythms(team=rhythm_team.team)
    assert not rhythms.enough_people
    assert _cell(rhythms, SHARED_SLOT).suppressed
    assert _everything_suppressed(rhythms)


def test_the_page_marks_suppressed_cells_as_suppressed_never_as_zero(
    personas_in,
    client_for,
    teammate,  # noqa: ANN001
) -> None:
    html = client_for(teammate).get(TEAM_URL).content.decode()
    table = re.search(r'<table class="table" id="rhythms-messages-table">.*?</table>', html, re.S)
    assert table
    cells = re.findall(r"<td>(.*?)</td>", table[0], re.S)
    assert len(cells) == 24 * 7
    suppressed = [cell for cell in cells if "suppressed" in cell]
    shown = [cell for cell in cells if "suppressed" not in cell]
    assert suppressed and shown
    assert all(int(cell) > 0 for cell in shown)  # never a 0 in place of too few people
    svg = re.search(r'<svg class="rhythms-heatmap".*?</svg>', html, re.S)[0]
    assert svg.count('data-suppressed="true"') == len(suppressed)
    assert 'fill="url(#rhythms-hatch-messages)"' in svg
    assert "Hatched: suppressed" in html


def test_a_larger_minimum_is_honoured_and_a_smaller_one_refused(
    rhythm_team,
    monkeypatch,  # noqa: ANN001
) -> None:
    with override_settings(RHYTHMS_MIN_GROUP=6):
        assert _everything_suppressed(get_team_rhythms(team=rhythm_team.team))
    with override_settings(RHYTHMS_MIN_GROUP=3):
        assert min_group() == 5
        assert checks.check_min_group()[0].id == "rhythms.E001"
        _withdraw(rhythm_team)
        assert _everything_suppressed(get_team_rhythms(team=rhythm_team.team))
    assert checks.check_min_group() == []
    monkeypatch.setenv("RHYTHMS_MIN_GROUP", "4")
    with pytest.raises(ImproperlyConfiguredEnvError, match="RHYTHMS_MIN_GROUP=4 is too small"):
        env_int("RHYTHMS_MIN_GROUP", 5, minimum=5, maximum=1000)


# --- Withdrawal --------------------------------------------------------------------------------


def test_a_withdrawn_person_is_gone_on_the_next_request(personas_in, client_for, manager) -> None:  # noqa: ANN001
    client = client_for(manager)
    before = client.get(TEAM_URL).content.decode()
    assert "rhythms-too-few" not in before
    assert before.count('data-suppressed="false"') > 0
    _withdraw(personas_in, index=0)
    after = client.get(TEAM_URL).content.decode()
    assert "rhythms-too-few" in after
    assert 'data-suppressed="false"' not in after


# --- No per-person figure anywhere -------------------------------------------------------------

PERSONAS = ("subject", "manager", "successor", "teammate", "hr", "outsider", "operator", "root")


@pytest.fixture
def everyone(personas_in, request, superuser, outsider, operator):  # noqa: ANN001, ANN201
    """Each persona by name, the five leavers, and None for anonymous."""
    users = {name: request.getfixturevalue(name) for name in PERSONAS[:6]}
    users["operator"], users["root"] = operator, superuser
    for leaver in personas_in.people:
        users[leaver.username] = leaver
    users["anonymous"] = None
    return users


def _name_pattern(names: set[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)


def test_no_page_or_log_line_holds_a_per_person_figure(
    everyone,
    personas_in,
    client_for,
    caplog,  # noqa: ANN001
) -> None:
    from core.models import Membership

    pattern = _name_pattern(personas_in.names)
    # Every other member's name too: nothing on these pages is about one person.
    member_names = set()
    for membership in Membership.objects.filter(team=personas_in.team).select_related("user"):
        member_names |= {membership.user.username, membership.user.get_full_name()}
    members = _name_pattern({name for name in member_names if len(name) >= 3})
    client_for(everyone["teammate"]).post(EDIT_URL, {"text": "Stand-up at 09:30."})
    seen = 0
    with caplog.at_level("DEBUG"):
        for name, user in everyone.items():
            client = client_for(user)
            answer = client.get(API_URL)
            if answer.status_code == 200:
                text = answer.content.decode()
                assert not pattern.search(text) and not members.search(text), name
                data = answer.json()
                assert set(data) == {
                    "team", "name", "min_group", "enough_people", "timezone",
                    "working_agreements", "messages", "wiki_edits", "responses", "cadences",
                }  # fmt: skip
                assert len(data["responses"]) == 4 and len(data["messages"]["cells"]) == 7
                seen += 1
            responses = [
                client.get("/rhythms/"),
                client.get(TEAM_URL),
                client.get(EDIT_URL),
                client.get(EDIT_URL, headers={"HX-Request": "true"}),
                client.post(
                    EDIT_URL, {"text": "Stand-up at 09:30."}, headers={"HX-Request": "true"}
                ),
            ]
            for response in responses:
                if response.status_code != 200:
                    continue
                html = response.content.decode()
                body = main_of(html) if "<main" in html else html
                assert not pattern.search(body), (name, pattern.search(body)[0])
                assert not members.search(body), (name, members.search(body)[0])
                # The only rows: 24 hours per heatmap table, 4 response-time ranges.
                for table in re.findall(
                    r'id="rhythms-(?:messages|wiki)-table">.*?</table>', body, re.S
                ):
                    assert len(re.findall(r"<tr>", table)) == 25
                if "rhythms-responses-table" in body:
                    assert body.count("data-bucket=") == 4
                seen += 1
    assert seen >= 20
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert not pattern.search(logged) and not members.search(logged)


# --- Personas against each view ----------------------------------------------------------------


def test_every_member_sees_exactly_what_the_manager_sees(everyone, client_for) -> None:  # noqa: ANN001
    pages = {}
    for name in ("manager", "hr", "subject", "successor", "teammate", "leaver0"):
        response = client_for(everyone[name]).get(TEAM_URL)
        assert response.status_code == 200, name
        pages[name] = main_of(response.content.decode())
    assert len(set(pages.values())) == 1
    assert "Our working agreements" in pages["manager"]


@pytest.mark.parametrize("name", ["outsider", "operator", "root"])
def test_anyone_outside_the_team_gets_404(everyone, client_for, name: str) -> None:  # noqa: ANN001
    client = client_for(everyone[name])
    assert client.get(TEAM_URL).status_code == 404
    assert client.get(EDIT_URL).status_code == 404
    assert client.post(EDIT_URL, {"text": "Ours now"}).status_code == 404
    assert not WorkingAgreement.objects.exists()
    home = client.get("/rhythms/").content.decode()
    assert "rhythms-no-teams" in home and "/rhythms/delivery/" not in home


def test_anonymous_is_sent_to_log_in(client_for) -> None:  # noqa: ANN001
    client = client_for(None)
    for url in ("/rhythms/", TEAM_URL, EDIT_URL):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post(EDIT_URL, {"text": "x"}).status_code == 302
    assert not WorkingAgreement.objects.exists()


def test_the_wrong_method_is_refused(everyone, client_for) -> None:  # noqa: ANN001
    client = client_for(everyone["teammate"])
    assert client.post("/rhythms/").status_code == 405
    assert client.post(TEAM_URL).status_code == 405
    assert client.put(EDIT_URL).status_code == 405


def test_the_home_page_lists_the_viewers_teams(everyone, client_for) -> None:  # noqa: ANN001
    html = client_for(everyone["hr"]).get("/rhythms/").content.decode()
    assert "/rhythms/delivery/" in html and "/rhythms/platform/" in html
    assert 'href="/rhythms/"' in html  # the plugin's navigation entry


# --- Working agreements ------------------------------------------------------------------------


def test_a_member_writes_the_agreements_and_it_is_audited(everyone, client_for) -> None:  # noqa: ANN001
    client = client_for(everyone["successor"])
    response = client.post(EDIT_URL, {"text": "  Stand-up at 09:30.\nNo meetings on Friday.  "})
    assert response.status_code == 302 and response["Location"] == TEAM_URL
    agreement = WorkingAgreement.objects.get()
    assert agreement.text == "Stand-up at 09:30.\nNo meetings on Friday."
    assert agreement.written_by == everyone["successor"]
    event = AuditEvent.objects.get(action="rhythms.agreement_saved")
    assert event.actor == everyone["successor"] and event.scope == f"team:{agreement.team_id}"
    assert event.details["characters"] == len(agreement.text)
    page = client_for(everyone["manager"]).get(TEAM_URL).content.decode()
    # Shown first, before any figure, and without the writer's name.
    assert page.index("No meetings on Friday.") < page.index("rhythms-cadences")
    assert "Successor" not in main_of(page)


def test_the_agreements_edit_by_htmx_returns_the_section(everyone, client_for) -> None:  # noqa: ANN001
    client = client_for(everyone["teammate"])
    htmx = {"HX-Request": "true"}
    form = client.get(EDIT_URL, headers=htmx).content.decode()
    assert form.lstrip().startswith('<section id="rhythms-agreements"') and "<main" not in form
    assert "<textarea" in form
    full = client.get(EDIT_URL).content.decode()
    assert "<main" in full and "<textarea" in full and "rhythms-messages-table" in full
    saved = client.post(EDIT_URL, {"text": "Reply within a day."}, headers=htmx)
    assert saved.status_code == 200
    html = saved.content.decode()
    assert "Reply within a day." in html and "rhythms-agreements-saved" in html
    assert "<textarea" not in html


def test_too_long_agreements_are_refused_and_nothing_is_lost(everyone, client_for) -> None:  # noqa: ANN001
    client = client_for(everyone["teammate"])
    client.post(EDIT_URL, {"text": "Keep this."})
    too_long = "x" * 5001
    response = client.post(EDIT_URL, {"text": too_long})
    assert response.status_code == 400
    assert "under 5000 characters" in response.content.decode()
    htmx = client.post(EDIT_URL, {"text": too_long}, headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and "rhythms-agreements-errors" in htmx.content.decode()
    assert WorkingAgreement.objects.get().text == "Keep this."
    assert AuditEvent.objects.filter(action="rhythms.agreement_saved").count() == 1


# --- The contract: export, purge, navigation ---------------------------------------------------


def test_the_export_holds_the_agreements_a_person_wrote_and_no_figure(everyone, client_for) -> None:  # noqa: ANN001
    from plugins.manager import plugin_person_exports
    from plugins.types import PersonRef

    client_for(everyone["leaver0"]).post(EDIT_URL, {"text": "Demo on Thursdays."})
    leaver = everyone["leaver0"]
    sections = plugin_person_exports(PersonRef(leaver.pk, leaver.username))
    (ours,) = [section for name, section in sections if name == "plugins.rhythms.hooks"]
    assert ours.kind == "working_agreements"
    assert [(row["team"], row["text"]) for row in ours.rows] == [("delivery", "Demo on Thursdays.")]
    other = everyone["leaver1"]
    sections = plugin_person_exports(PersonRef(other.pk, other.username))
    assert [s.rows for n, s in sections if n == "plugins.rhythms.hooks"] == [()]


def test_a_withdrawal_runs_the_plugins_purge_step_and_leaves_nothing(personas_in) -> None:  # noqa: ANN001
    from handover.models import PurgeJob

    case, leaver = personas_in.cases[1], personas_in.people[1]
    job = consent.withdraw_everything(case=case, by=leaver)
    assert get_team_rhythms(team=personas_in.team).enough_people is False
    done = consent.run_purge_job(job_id=job.pk)
    assert done.status == PurgeJob.Status.DONE
    assert done.results["plugins"]["count"] == 0  # nothing derived is kept


# --- The API -----------------------------------------------------------------------------------


def test_the_api_answers_members_alike_and_nobody_else(everyone, client_for) -> None:  # noqa: ANN001
    answers = [client_for(everyone[name]).get(API_URL) for name in ("manager", "teammate", "hr")]
    assert all(answer.status_code == 200 for answer in answers)
    assert answers[0].json() == answers[1].json() == answers[2].json()
    data = answers[0].json()
    day, hour = SHARED_SLOT
    assert data["min_group"] == 5 and data["enough_people"] is True
    assert data["messages"]["cells"][day][hour] > 0
    values = [value for row in data["messages"]["cells"] for value in row]
    assert None in values and 0 not in values  # suppressed is null, never 0
    for name in ("outsider", "operator", "root"):
        assert client_for(everyone[name]).get(API_URL).status_code == 404
    assert client_for(None).get(API_URL).status_code == 401
    assert client_for(everyone["teammate"]).post(API_URL).status_code == 405


def test_the_api_forgets_a_withdrawn_person_at_once(personas_in, everyone, client_for) -> None:  # noqa: ANN001
    client = client_for(everyone["teammate"])
    assert client.get(API_URL).json()["enough_people"] is True
    _withdraw(personas_in, index=2)
    data = client.get(API_URL).json()
    assert data["enough_people"] is False
    assert {value for row in data["messages"]["cells"] for value in row} == {None}
    assert all(bucket["count"] is None for bucket in data["responses"])


def test_a_second_case_of_the_same_person_counts_them_once(rhythm_team) -> None:  # noqa: ANN001
    from handover.models import HandoverCase

    before = get_team_rhythms(team=rhythm_team.team)
    first = rhythm_team.cases[0]
    again = HandoverCase.objects.create(
        subject=first.subject, team=first.team, last_day=first.last_day, state=first.state
    )
    again.subject_people.set(first.subject_people.all())
    share_for_rhythms(again, first.subject)
    assert before.messages.shown > 0
    # Their messages are not counted twice: every figure stays as it was.
    assert get_team_rhythms(team=rhythm_team.team) == before
    consent.withdraw_everything(case=first, by=first.subject)
    assert get_team_rhythms(team=rhythm_team.team) == before  # still consenting in the other
    consent.withdraw_everything(case=again, by=first.subject)
    assert not get_team_rhythms(team=rhythm_team.team).enough_people


def test_the_page_renders_in_simplified_chinese(everyone, client_for) -> None:  # noqa: ANN001
    client = client_for(everyone["teammate"])
    response = client.get(TEAM_URL, headers={"Accept-Language": "zh-hans"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html and "星期一" in html  # Django's own weekday names


def test_the_page_costs_a_query_per_consenting_case_at_most(
    everyone,
    client_for,
    django_assert_max_num_queries,  # noqa: ANN001
) -> None:
    client = client_for(everyone["teammate"])
    client.get(TEAM_URL)
    with django_assert_max_num_queries(8 + 5):
        assert client.get(TEAM_URL).status_code == 200


def test_wiki_edits_count_only_consenting_people_and_only_five_or_more(
    personas_in,
    teammate,  # noqa: ANN001
) -> None:
    from django.utils import timezone

    from wiki import services as wiki

    space = wiki.create_space(
        name="Delivery docs", key="delivery", by=personas_in.people[0], team=personas_in.team
    )
    for index, leaver in enumerate(personas_in.people[:4]):
        wiki.create_page(space=space, author=leaver, title=f"Notes {index}", body="text")
    for index in range(3):  # a member without a RHYTHMS grant is never counted
        wiki.create_page(space=space, author=teammate, title=f"Mine {index}", body="text")
    now = timezone.localtime()
    slot = (now.weekday(), now.hour)
    assert _wiki_cell(personas_in, slot).suppressed
    wiki.create_page(space=space, author=personas_in.people[4], title="Notes 4", body="text")
    assert _wiki_cell(personas_in, slot).value == 5
    _withdraw(personas_in, index=4)
    assert _wiki_cell(personas_in, slot).suppressed


def _wiki_cell(rhythm_team, slot):  # noqa: ANN001, ANN202
    day, hour = slot
    return get_team_rhythms(team=rhythm_team.team).wiki.rows[day].cells[hour]
