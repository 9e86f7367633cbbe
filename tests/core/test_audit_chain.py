"""The audit log's hash chain: tampering is found at the right row, erasure is not tampering."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import F
from django.urls import reverse

from core.audit_chain import GENESIS, UnhashableDetailsError, audit_key, chain_digest
from core.models import AuditEvent
from core.selectors import ChainProblem, verify_audit_chain
from core.services import erase_audit_personal_data, record_audit_event

ROWS = 5


def write_rows(actor, count: int = ROWS, *, target=None) -> list[AuditEvent]:  # noqa: ANN001
    return [
        record_audit_event(
            actor=actor,
            action="test.acted",
            target=target or actor,
            scope="test:1",
            details={"number": number, "ids": [number, number + 1], "state": "done"},
            personal={"title": f"Page {number} of {actor.username if actor else 'nobody'}"},
        )
        for number in range(1, count + 1)
    ]


@pytest.fixture
def chain(teammate) -> list[AuditEvent]:  # noqa: ANN001
    return write_rows(teammate)


def assert_broken_at(sequence: int, problem: ChainProblem) -> None:
    result = verify_audit_chain(chunk_size=2)
    assert result.broken is not None, "the chain verified"
    assert (result.broken.sequence, result.broken.problem) == (sequence, problem), result.broken
    assert result.rows_verified == sequence - 1


def test_it_chains_each_row_to_the_one_before(chain) -> None:  # noqa: ANN001
    rows = list(AuditEvent.objects.order_by("sequence"))
    assert [row.sequence for row in rows] == list(range(1, ROWS + 1))
    assert rows[0].prev_digest == GENESIS
    assert all(
        later.prev_digest == earlier.digest for earlier, later in zip(rows, rows[1:], strict=False)
    )
    assert rows[0].actor_pk == rows[0].actor_id
    assert "title" in rows[0].personal and "title" not in rows[0].details
    result = verify_audit_chain(chunk_size=2)
    assert result.ok and result.rows_verified == ROWS and result.last_sequence == ROWS


def test_an_empty_log_verifies(db) -> None:  # noqa: ANN001
    result = verify_audit_chain()
    assert result.ok and result.rows_verified == 0


@pytest.mark.parametrize(
    "change",
    [
        {"details": {"number": 99}},
        {"action": "test.forged"},
        {"actor_pk": 424242},
        {"created_at": F("created_at") + timedelta(microseconds=1)},
        {"scope": "test:2"},
        {"target_id": "0"},
        {"digest": "f" * 64},
    ],
    ids=lambda change: next(iter(change)),
)
def test_it_finds_a_row_changed_in_place(chain, change) -> None:  # noqa: ANN001
    AuditEvent.objects.filter(sequence=3).update(**change)
    assert_broken_at(3, ChainProblem.DIGEST_MISMATCH)
    assert verify_audit_chain().broken.event_id == chain[2].pk


def test_personal_data_is_not_hashed(chain) -> None:  # noqa: ANN001
    AuditEvent.objects.filter(sequence=3).update(personal={"title": "Another title"})
    assert verify_audit_chain().ok


def test_it_finds_a_deleted_row(chain) -> None:  # noqa: ANN001
    AuditEvent.objects.filter(sequence=3).delete()
    assert_broken_at(3, ChainProblem.MISSING_SEQUENCE)
    assert verify_audit_chain().broken.event_id == chain[3].pk


def test_it_finds_a_deleted_first_row(chain) -> None:  # noqa: ANN001
    AuditEvent.objects.filter(sequence=1).delete()
    assert_broken_at(1, ChainProblem.MISSING_SEQUENCE)


def test_it_finds_a_deletion_hidden_by_renumbering(chain) -> None:  # noqa: ANN001
    AuditEvent.objects.filter(sequence=3).delete()
    for sequence in range(4, ROWS + 1):
        AuditEvent.objects.filter(sequence=sequence).update(sequence=sequence - 1)
    assert_broken_at(3, ChainProblem.REORDERED)


def test_it_finds_two_rows_swapped(chain) -> None:  # noqa: ANN001
    AuditEvent.objects.filter(sequence=2).update(sequence=1000)
    AuditEvent.objects.filter(sequence=3).update(sequence=2)
    AuditEvent.objects.filter(sequence=1000).update(sequence=3)
    assert_broken_at(2, ChainProblem.REORDERED)


def test_it_finds_a_row_replayed_in_the_middle(chain) -> None:  # noqa: ANN001
    for sequence in range(ROWS, 2, -1):
        AuditEvent.objects.filter(sequence=sequence).update(sequence=sequence + 1)
    copy = AuditEvent.objects.get(sequence=1)
    copy.pk, copy.sequence = None, 3
    copy.save(force_insert=True)
    assert_broken_at(3, ChainProblem.REORDERED)


def test_it_finds_a_forged_row_at_the_end(chain) -> None:  # noqa: ANN001
    last = chain[-1]
    AuditEvent.objects.create(
        actor_pk=last.actor_pk,
        action="test.forged",
        target_type="user",
        target_id="1",
        created_at=last.created_at,
        sequence=ROWS + 1,
        prev_digest=last.digest,
        digest="0" * 64,
    )
    assert_broken_at(ROWS + 1, ChainProblem.DIGEST_MISMATCH)


def test_it_finds_a_relinked_row(chain) -> None:  # noqa: ANN001
    AuditEvent.objects.filter(sequence=3).update(prev_digest=chain[0].digest)
    assert_broken_at(3, ChainProblem.REORDERED)


def test_it_finds_a_row_signed_onto_another_chain(chain) -> None:  # noqa: ANN001
    """A row with a sound digest that follows another row: a chain spliced in with the key."""
    row = AuditEvent.objects.get(sequence=3)
    row.prev_digest = chain[0].digest
    row.digest = chain_digest(row, prev_digest=row.prev_digest, key=audit_key())
    row.save(update_fields=["prev_digest", "digest"])
    assert_broken_at(3, ChainProblem.PREV_DIGEST_MISMATCH)


def test_a_different_key_fails_at_the_first_row(chain, settings) -> None:  # noqa: ANN001
    settings.AUDIT_HMAC_KEY = "another key of at least thirty-two characters"
    assert_broken_at(1, ChainProblem.DIGEST_MISMATCH)
    assert "AUDIT_HMAC_KEY" in verify_audit_chain().broken.message


def test_it_refuses_details_that_would_not_hash_the_same(teammate) -> None:  # noqa: ANN001
    with pytest.raises(UnhashableDetailsError, match="float"):
        record_audit_event(
            actor=teammate, action="test.acted", target=teammate, details={"x": 1e20}
        )
    with pytest.raises(UnhashableDetailsError, match="plain JSON"):
        record_audit_event(actor=teammate, action="test.acted", target=teammate, details={"x": {1}})
    assert not AuditEvent.objects.exists()


def test_it_stores_details_as_they_read_back(teammate) -> None:  # noqa: ANN001
    event = record_audit_event(
        actor=teammate, action="test.acted", target=teammate, details={"ids": (1, 2), 3: "three"}
    )
    event.refresh_from_db()
    assert event.details == {"ids": [1, 2], "3": "three"}
    assert verify_audit_chain().ok


def test_erasing_a_person_keeps_the_chain_valid(teammate, successor) -> None:  # noqa: ANN001
    mine = write_rows(teammate, 3)
    about_me = write_rows(successor, 1, target=teammate)
    others = write_rows(successor, 2)
    assert erase_audit_personal_data(user=teammate) == len(mine) + len(about_me)
    erased = AuditEvent.objects.filter(pk__in=[row.pk for row in mine + about_me])
    assert [row.personal for row in erased] == [{}] * 4
    kept = AuditEvent.objects.filter(pk__in=[row.pk for row in others])
    assert all(row.personal for row in kept)
    receipt = AuditEvent.objects.get(action="audit.personal_erased")
    assert receipt.details == {"rows": 4} and receipt.target_id == str(teammate.pk)
    assert verify_audit_chain().ok
    assert erase_audit_personal_data(user=teammate) == 0


def test_erasing_needs_a_user_that_still_has_its_id(chain, teammate) -> None:  # noqa: ANN001
    record_audit_event(actor=None, action="test.system", target=teammate, personal={"a": 1})
    teammate.delete()
    with pytest.raises(ValueError, match="before deleting"):
        erase_audit_personal_data(user=teammate)
    assert AuditEvent.objects.get(action="test.system").personal == {"a": 1}


def test_deleting_the_actor_keeps_the_chain_valid(chain, teammate) -> None:  # noqa: ANN001
    actor_pk = teammate.pk
    teammate.delete()
    assert set(AuditEvent.objects.values_list("actor_id", "actor_pk")) == {(None, actor_pk)}
    assert verify_audit_chain().ok


WRITERS = 4
ROWS_EACH = 15


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_make_one_chain_without_gaps(teammate) -> None:  # noqa: ANN001
    """Writers on their own connections: the lock orders them, and a rollback leaves no gap."""
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            start.wait()
            for number in range(ROWS_EACH):
                try:
                    with transaction.atomic():
                        record_audit_event(
                            actor=teammate,
                            action="test.concurrent",
                            target=teammate,
                            details={"writer": writer, "number": number},
                        )
                        if number % 5 == 4:
                            raise _RolledBackError
                except _RolledBackError:
                    pass
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(writer,)) for writer in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    committed = WRITERS * (ROWS_EACH - ROWS_EACH // 5)
    sequences = list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, committed + 1))
    result = verify_audit_chain()
    assert result.ok and result.rows_verified == committed


class _RolledBackError(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_the_migration_chains_rows_written_before_it(teammate) -> None:  # noqa: ANN001
    executor = MigrationExecutor(connection)
    executor.migrate([("core", "0001_initial")])
    try:
        old_apps = executor.loader.project_state([("core", "0001_initial")]).apps
        old_event = old_apps.get_model("core", "AuditEvent")
        for number in range(3):
            old_event.objects.create(
                actor_id=teammate.pk,
                action="page.renamed",
                target_type="page",
                target_id=str(number),
                scope="space:1",
                details={"old_title": "Ana's notes", "new_title": f"Notes {number}"},
            )
        old_event.objects.create(
            action="import.finished", target_type="source", target_id="9", details={"status": "ok"}
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    rows = list(AuditEvent.objects.order_by("sequence"))
    assert [row.sequence for row in rows] == [1, 2, 3, 4]
    assert rows[0].details == {} and rows[0].personal["old_title"] == "Ana's notes"
    assert rows[0].actor_pk == teammate.pk and rows[3].actor_pk is None
    assert rows[3].details == {"status": "ok"}
    assert verify_audit_chain().ok
    record_audit_event(actor=teammate, action="test.after", target=teammate)
    assert verify_audit_chain().rows_verified == 5


def test_the_command_reports_an_intact_chain(chain, capsys) -> None:  # noqa: ANN001
    call_command("verify_audit", chunk_size=2)
    assert f"Verified {ROWS} audit rows" in capsys.readouterr().out
    execute_from_command_line(["manage.py", "verify_audit"])  # no SystemExit: status 0
    assert "the chain is intact (last sequence 5)" in capsys.readouterr().out


def test_the_command_reports_the_first_broken_link(chain, capsys) -> None:  # noqa: ANN001
    AuditEvent.objects.filter(sequence=4).update(details={})
    AuditEvent.objects.filter(sequence=2).delete()
    with pytest.raises(CommandError, match="broken at sequence 2") as raised:
        call_command("verify_audit")
    assert raised.value.returncode == 1
    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(["manage.py", "verify_audit"])
    assert exited.value.code == 1
    error = capsys.readouterr().err
    assert "broken at sequence 2 (row id" in error and "missing sequence: sequence 2" in error
    assert "Rows verified before it: 1." in error


def test_the_admin_shows_audit_rows_read_only(chain, admin_client) -> None:  # noqa: ANN001
    event = chain[0]
    change = reverse("admin:core_auditevent_change", args=[event.pk])
    page = admin_client.get(change)
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert admin_client.post(change, {"action": "test.forged"}).status_code == 403
    delete = reverse("admin:core_auditevent_delete", args=[event.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    listing = admin_client.get(reverse("admin:core_auditevent_changelist"))
    assert b"delete_selected" not in listing.content
    assert AuditEvent.objects.filter(pk=event.pk, action="test.acted").exists()
    assert verify_audit_chain().ok
