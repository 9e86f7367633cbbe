"""The one zip-safety guard: unsafe names, links, encryption, ratios and the total budget."""

import io
import stat
import zipfile

import pytest

from core import zipsafe

LIMITS = zipsafe.ZipLimits(max_total_bytes=10_000, max_ratio=10, ratio_floor_bytes=100)


def _info(name: str, *, link: bool = False, encrypted: bool = False) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo("placeholder")
    info.filename = name  # ZipInfo() cuts a name at NUL; a forged header need not.
    if link:
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
    if encrypted:
        info.flag_bits |= 0x1
    return info


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("/etc/passwd", zipsafe.ABSOLUTE),
        ("C:/boot.ini", zipsafe.ABSOLUTE),
        ("a/../../x", zipsafe.PARENT),
        ("a\\..\\x", zipsafe.PARENT),
        ("a\\b", zipsafe.BACKSLASH),
        ("a\x00b", zipsafe.NUL),
    ],
)
def test_it_names_unsafe_paths(name, problem):  # noqa: ANN001
    assert problem in zipsafe.entry_problems(_info(name))


def test_it_names_links_and_encryption_and_passes_plain_names():
    assert zipsafe.entry_problems(_info("a", link=True)) == {zipsafe.SYMLINK}
    assert zipsafe.entry_problems(_info("a", encrypted=True)) == {zipsafe.ENCRYPTED}
    assert zipsafe.entry_problems(_info("pages/ops/deploy.md")) == frozenset()


def _zip(members: dict[str, bytes]) -> zipfile.ZipFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return zipfile.ZipFile(io.BytesIO(buffer.getvalue()))


def test_it_reads_a_member_within_the_limits():
    archive = _zip({"a.txt": b"hello"})
    budget = zipsafe.ExpansionBudget(LIMITS)
    with zipsafe.open_guarded(archive, archive.getinfo("a.txt"), budget) as stream:
        assert stream.read() == b"hello"
    assert budget.read_total == 5


def test_it_stops_a_bomb_while_reading():
    archive = _zip({"bomb": b"\0" * 5_000})
    with (
        pytest.raises(zipsafe.ZipLimitError) as error,
        zipsafe.open_guarded(
            archive, archive.getinfo("bomb"), zipsafe.ExpansionBudget(LIMITS)
        ) as stream,
    ):
        stream.read()
    assert error.value.kind == "ratio"


def test_it_stops_at_the_total_and_counts_a_reread_once():
    archive = _zip({"a": bytes(range(256)) * 24, "b": bytes(range(256)) * 24})
    budget = zipsafe.ExpansionBudget(
        zipsafe.ZipLimits(max_total_bytes=8_000, max_ratio=1_000, ratio_floor_bytes=100)
    )
    for _ in range(2):
        with zipsafe.open_guarded(archive, archive.getinfo("a"), budget) as stream:
            stream.read()
    assert budget.read_total == 6_144
    with (
        pytest.raises(zipsafe.ZipLimitError) as error,
        zipsafe.open_guarded(archive, archive.getinfo("b"), budget) as stream,
    ):
        stream.read()
    assert error.value.kind == "total"


def test_it_stops_a_member_that_lies_about_its_size():
    info = zipfile.ZipInfo("a")
    info.file_size, info.compress_size = 10, 10
    stream = zipsafe.GuardedStream(io.BytesIO(b"x" * 50), info, zipsafe.ExpansionBudget(LIMITS))
    with pytest.raises(zipsafe.ZipLimitError) as error:
        stream.read()
    assert error.value.kind == "declared"
