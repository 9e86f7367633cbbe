"""The farewell board: opened with the handover case, written by the team, and the
subject chooses (finally) what is kept for the team after the last day."""

import datetime

import pytest
from django.utils import timezone

from plugins.memories import services
from plugins.memories.errors import MemoriesError, MemoriesPermissionError
from plugins.memories.models import FarewellBoard, FarewellMessage

pytestmark = pytest.mark.django_db

WORDS = "It was a joy to ship the billing migration with you."


def _board(client, board) -> str:  # noqa: ANN001
    return client.get(f"/memories/farewell/{board.pk}/").content.decode()


def _close(board) -> None:  # noqa: ANN001
    board.closes_on = timezone.localdate() - datetime.timedelta(days=1)
    board.save(update_fields=["closes_on"])


def test_opening_is_idempotent_and_follows_the_last_day(case, board) -> None:  # noqa: ANN001
    later = case.last_day + datetime.timedelta(days=7)
    again = services.open_farewell_board(
        case_id=case.pk, subject_id=case.subject_id, team_id=case.team_id, last_day=later
    )
    assert again.pk == board.pk and FarewellBoard.objects.count() == 1
    assert again.closes_on == later


def test_the_team_writes_and_everyone_on_the_team_reads_until_the_last_day(
    board,
    teammate,
    successor,
    subject,
    outsider,
    operator,
    client_for,  # noqa: ANN001
) -> None:
    response = client_for(teammate).post(f"/memories/farewell/{board.pk}/", {"text": WORDS})
    assert response.status_code == 302
    for user in (teammate, successor, subject):
        assert WORDS in _board(client_for(user), board)
    for user in (outsider, operator):
        assert client_for(user).get(f"/memories/farewell/{board.pk}/").status_code == 404


def test_the_subject_does_not_write_on_their_own_board(board, subject, client_for) -> None:  # noqa: ANN001
    response = client_for(subject).post(f"/memories/farewell/{board.pk}/", {"text": "Bye"})
    assert response.status_code == 403
    assert not FarewellMessage.objects.exists()


def test_kept_messages_stay_after_the_last_day_and_the_rest_is_not_shown(
    board,
    teammate,
    manager,
    successor,
    subject,
    client_for,
    htmx,  # noqa: ANN001
) -> None:
    kept = services.write_farewell_message(board=board, author=teammate, text=WORDS)
    undecided = services.write_farewell_message(board=board, author=manager, text="See you!")
    response = client_for(subject).post(f"/memories/farewell/messages/{kept.pk}/keep/", **htmx)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li class="farewell-message" id="message-{kept.pk}"')
    assert 'data-kept="true"' in html and "Keep" not in html.replace("Kept", "")
    _close(board)
    page = _board(client_for(successor), board)
    assert WORDS in page and "See you!" not in page
    # Its writer still sees theirs (and may delete it); so does the subject.
    assert "See you!" in _board(client_for(manager), board)
    assert "See you!" in _board(client_for(subject), board)
    assert FarewellMessage.objects.filter(pk=undecided.pk).exists()


def test_a_message_not_kept_is_deleted_at_once(
    board,
    teammate,
    subject,
    successor,
    client_for,
    htmx,  # noqa: ANN001
) -> None:
    message = services.write_farewell_message(board=board, author=teammate, text=WORDS)
    response = client_for(subject).post(
        f"/memories/farewell/messages/{message.pk}/not-kept/", **htmx
    )
    assert response.status_code == 200 and response.content == b""
    assert not FarewellMessage.objects.exists()
    assert WORDS not in _board(client_for(successor), board)


def test_the_subjects_choice_is_final(board, teammate, subject, client_for) -> None:  # noqa: ANN001
    message = services.write_farewell_message(board=board, author=teammate, text=WORDS)
    services.keep_farewell_message(message=message, by=subject)
    with pytest.raises(MemoriesError):
        services.discard_farewell_message(message=message, by=subject)
    response = client_for(subject).post(f"/memories/farewell/messages/{message.pk}/not-kept/")
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.is_kept
    # The keep buttons are gone for a kept message.
    assert f"/memories/farewell/messages/{message.pk}/not-kept/" not in _board(
        client_for(subject), board
    )


def test_only_the_subject_chooses_and_only_writers_delete(
    board,
    teammate,
    manager,
    subject,
    client_for,  # noqa: ANN001
) -> None:
    message = services.write_farewell_message(board=board, author=teammate, text=WORDS)
    for url in ("keep", "not-kept"):
        assert (
            client_for(teammate)
            .post(f"/memories/farewell/messages/{message.pk}/{url}/")
            .status_code
            == 403
        )
    with pytest.raises(MemoriesPermissionError):
        services.delete_farewell_message(message=message, by=subject)
    assert (
        client_for(manager).post(f"/memories/farewell/messages/{message.pk}/delete/").status_code
        == 403
    )
    services.keep_farewell_message(message=message, by=subject)
    # A writer deletes their own message, kept or not.
    assert (
        client_for(teammate).post(f"/memories/farewell/messages/{message.pk}/delete/").status_code
        == 302
    )
    assert not FarewellMessage.objects.exists()


def test_a_closed_board_takes_no_new_message_and_says_so_keeping_the_text(
    board,
    teammate,
    client_for,  # noqa: ANN001
) -> None:
    _close(board)
    response = client_for(teammate).post(f"/memories/farewell/{board.pk}/", {"text": WORDS})
    assert response.status_code == 400
    html = response.content.decode()
    assert "This board closed on the last day" in html and WORDS in html
    assert not FarewellMessage.objects.exists()


def test_an_empty_or_too_long_message_is_refused(board, teammate, client_for) -> None:  # noqa: ANN001
    client = client_for(teammate)
    assert client.post(f"/memories/farewell/{board.pk}/", {"text": " "}).status_code == 400
    long = "y" * 2001
    response = client.post(f"/memories/farewell/{board.pk}/", {"text": long})
    assert response.status_code == 400 and long in response.content.decode()
    assert not FarewellMessage.objects.exists()


def test_a_deactivated_writer_disappears_but_a_deactivated_subject_leaves_the_kept(
    board,
    teammate,
    manager,
    subject,
    successor,
    client_for,  # noqa: ANN001
) -> None:
    kept = services.write_farewell_message(board=board, author=teammate, text=WORDS)
    services.write_farewell_message(board=board, author=manager, text="See you!")
    services.keep_farewell_message(message=kept, by=subject)
    manager.is_active = False
    manager.save(update_fields=["is_active"])
    assert "See you!" not in _board(client_for(successor), board)
    subject.is_active = False
    subject.save(update_fields=["is_active"])
    _close(board)
    # The subject chose to leave these to the team: they stay after the account is closed.
    assert WORDS in _board(client_for(successor), board)


def test_a_writer_deletes_by_htmx_and_the_message_is_gone(
    board, teammate, client_for, htmx
) -> None:  # noqa: ANN001
    message = services.write_farewell_message(board=board, author=teammate, text=WORDS)
    response = client_for(teammate).post(
        f"/memories/farewell/messages/{message.pk}/delete/", **htmx
    )
    assert response.status_code == 200 and response.content == b""
    assert not FarewellMessage.objects.exists()


def test_a_withdrawn_case_keeps_its_board(case, board, subject, teammate, client_for) -> None:  # noqa: ANN001
    """The board is the team's, not derived from the case's consented threads."""
    from handover.models import HandoverCase

    HandoverCase.objects.filter(pk=case.pk).update(state=HandoverCase.State.WITHDRAWN)
    assert client_for(teammate).get(f"/memories/farewell/{board.pk}/").status_code == 200


def test_the_cases_timeline_does_not_tell_managers_who_wrote_or_kept_what(
    case,
    board,
    teammate,
    subject,
    manager,
    client_for,  # noqa: ANN001
) -> None:
    message = services.write_farewell_message(board=board, author=teammate, text=WORDS)
    services.keep_farewell_message(message=message, by=subject)
    html = client_for(manager).get(f"/handover/cases/{case.pk}/").content.decode()
    assert "memories." not in html
