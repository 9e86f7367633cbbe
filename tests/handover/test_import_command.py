"""``manage.py import_export``: the same pipeline in-process, its report, and its errors."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from handover.models import Message, Source
from tests.handover.slack_counts import count_slack_export

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_export", *args, "--no-progress", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_it_imports_and_prints_the_report(shared_data: Path, subject) -> None:  # noqa: ANN001
    path = shared_data / "slack" / "houstondatavis"
    expected = count_slack_export(path)
    output = _run(str(path), "--owner", "subject")
    assert f"{expected.messages} new, 0 updated, 0 unchanged" in output
    assert "README.md: not a channel day file" in output
    assert Message.objects.filter(conversation__owner=subject).count() == expected.messages
    source = Source.objects.get(owner=subject)
    assert source.status == Source.Status.SUCCEEDED and not source.is_upload
    again = _run(str(path), "--owner", "subject", "--format", "slack")
    assert f"0 new, 0 updated, {expected.messages} unchanged" in again
    assert Message.objects.count() == expected.messages


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--owner", "nobody"], "No user named 'nobody'"),
        (["--owner", "subject", "--format", "carrier-pigeon"], "Unknown export format"),
    ],
)
def test_bad_arguments_fail_clearly(shared_data: Path, subject, arguments, message) -> None:  # noqa: ANN001
    with pytest.raises(CommandError, match=message):
        _run(str(shared_data / "slack" / "testarchive.zip"), *arguments)
    assert not Source.objects.exists()


def test_a_missing_path_fails_clearly(subject, tmp_path: Path) -> None:  # noqa: ANN001
    with pytest.raises(CommandError, match="does not exist"):
        _run(str(tmp_path / "missing.zip"), "--owner", "subject")
    assert not Source.objects.exists()


def test_an_unreadable_export_fails_clearly(subject, tmp_path: Path) -> None:  # noqa: ANN001
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip at all")
    with pytest.raises(CommandError, match="broken.zip"):
        _run(str(broken), "--owner", "subject")
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "todo.md").write_text("nothing to import here")
    with pytest.raises(CommandError, match="notes"):
        _run(str(folder), "--owner", "subject")
    assert not Source.objects.exists()
    assert not Message.objects.exists()


def test_it_exits_non_zero_from_the_shell(shared_data: Path, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from django.conf import settings

    env = {**os.environ, "TACIT_DB_NAME": settings.DATABASES["default"]["NAME"]}
    result = subprocess.run(
        [sys.executable, "manage.py", "import_export", str(tmp_path / "x.zip"), "--owner", "x"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "No user named 'x'" in result.stderr
