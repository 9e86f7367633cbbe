"""Safe reading of exports: folders, zips and single files, and the bad inputs people upload."""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

import pytest

from handover.importers import slack
from handover.importers.archive import (
    ArchiveLimitError,
    DamagedMemberError,
    ExportSource,
    Limits,
    NotAnExportError,
    UnsafeArchiveError,
    decode_text,
)
from handover.importers.base import ImportFormatError, MessageRecord, SkippedItem
from handover.importers.registry import detect_format


def _zip(path: Path, entries: dict[str, bytes], **kwargs: object) -> Path:
    with zipfile.ZipFile(path, "w", **kwargs) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def test_it_lists_zip_members_sorted_and_reads_them(shared_data: Path) -> None:
    path = shared_data / "slack" / "testarchive.zip"
    with ExportSource(path) as source, zipfile.ZipFile(path) as archive:
        expected = sorted(n for n in archive.namelist() if not n.endswith("/"))
        assert source.kind == ExportSource.ZIP
        assert source.list_members() == expected
        with source.open_member("channels.json") as handle:
            assert handle.read() == archive.read("channels.json")
        assert source.member_size("users.json") == archive.getinfo("users.json").file_size


def test_it_lists_folder_members_as_relative_posix_paths(shared_data: Path) -> None:
    path = shared_data / "slack" / "houstondatavis"
    with ExportSource(path) as source:
        expected = sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())
        assert source.kind == ExportSource.FOLDER
        assert source.list_members() == expected
        assert source.total_size() == sum((path / n).stat().st_size for n in expected)


def test_it_opens_a_single_file_as_one_member(shared_data: Path) -> None:
    path = shared_data / "mbox" / "perceval" / "mbox_single.mbox"
    with ExportSource(path) as source:
        assert source.kind == ExportSource.FILE
        assert source.list_members() == ["mbox_single.mbox"]
        assert source.read_member("mbox_single.mbox") == path.read_bytes()


def test_it_reports_zip_entries_with_absolute_or_parent_paths(tmp_path: Path) -> None:
    path = _zip(
        tmp_path / "evil.zip",
        {
            "channels.json": b"[]",
            "/etc/passwd": b"root:x:0:0",
            "../outside.json": b"[]",
            "general/../../escape.json": b"[]",
        },
    )
    with ExportSource(path) as source:
        assert source.list_members() == ["channels.json"]
        reasons = {item.location: item.reason for item in source.iter_skipped()}
    assert reasons["/etc/passwd"] == "absolute path in the archive; not extracted"
    assert reasons["../outside.json"] == "path leaves the archive with '..'; not extracted"
    assert (
        reasons["general/../../escape.json"] == "path leaves the archive with '..'; not extracted"
    )
    assert not (tmp_path / "outside.json").exists()
    with pytest.raises(KeyError):
        ExportSource(path).open_member("../outside.json")


def test_it_refuses_a_zip_with_only_unsafe_entries(tmp_path: Path) -> None:
    path = _zip(tmp_path / "evil.zip", {"../../x.json": b"[]"})
    with pytest.raises(UnsafeArchiveError, match=r"no entry that is safe to read \(\.\./\.\./x"):
        ExportSource(path)


def test_it_skips_symlink_entries(tmp_path: Path) -> None:
    path = tmp_path / "links.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("channels.json", b"[]")
        link = zipfile.ZipInfo("users.json")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, b"/etc/passwd")
    with ExportSource(path) as source:
        assert source.list_members() == ["channels.json"]
        assert list(source.iter_skipped()) == [
            SkippedItem("users.json", "symbolic link in the archive; not followed")
        ]


def test_it_skips_symlinks_in_a_folder(tmp_path: Path) -> None:
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "channels.json").write_text("[]")
    os.symlink("/etc/passwd", tmp_path / "export" / "users.json")
    with ExportSource(tmp_path / "export") as source:
        assert source.list_members() == ["channels.json"]
        assert [i.location for i in source.iter_skipped()] == ["users.json"]


def test_it_does_not_expand_nested_archives(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("a.json", b"[]")
    path = _zip(tmp_path / "outer.zip", {"channels.json": b"[]", "more.zip": inner.getvalue()})
    with ExportSource(path) as source:
        assert source.list_members() == ["channels.json"]
        assert list(source.iter_skipped()) == [
            SkippedItem("more.zip", "nested archive; not expanded")
        ]


def test_it_refuses_a_zip_bomb_by_compression_ratio(tmp_path: Path) -> None:
    path = _zip(
        tmp_path / "bomb.zip",
        {"channels.json": b"[]", "general/2020-01-01.json": b"\x00" * (20 * 1024 * 1024)},
        compression=zipfile.ZIP_DEFLATED,
    )
    with pytest.raises(ArchiveLimitError) as caught:
        ExportSource(path)
    assert "general/2020-01-01.json would expand" in str(caught.value)
    assert "this looks like a zip bomb and nothing was imported" in str(caught.value)


def test_it_refuses_a_zip_over_the_total_size_limit(tmp_path: Path) -> None:
    path = _zip(tmp_path / "big.zip", {"a.json": b"[" + b" " * 5000 + b"]", "b.json": b"[]"})
    limits = Limits(max_uncompressed_bytes=4000, max_compression_ratio=200)
    with pytest.raises(ArchiveLimitError, match=r"would expand to 4\.9 KiB, more than the limit"):
        ExportSource(path, limits=limits)


def _forge_sizes(path: Path, name: str, declared: int) -> None:
    """Rewrite a member's declared uncompressed size in both headers, as a forged bomb does."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
        real = info.file_size
    old = real.to_bytes(4, "little")
    new = declared.to_bytes(4, "little")
    local = info.header_offset + 22
    assert data[local : local + 4] == old
    data[local : local + 4] = new
    central = data.rfind(b"PK\x01\x02")
    assert data[central + 24 : central + 28] == old
    data[central + 24 : central + 28] = new
    path.write_bytes(bytes(data))


def test_a_member_larger_than_its_header_says_is_refused_while_streaming(tmp_path: Path) -> None:
    path = _zip(
        tmp_path / "forged.zip",
        {"general/2020-01-01.json": b"[" + b" " * (3 * 1024 * 1024) + b"]"},
        compression=zipfile.ZIP_STORED,
    )
    # The headers claim 100 bytes while the member holds 3 MiB: reading stops at the
    # claimed size and the damaged member is refused with a clear error, never expanded.
    _forge_sizes(path, "general/2020-01-01.json", 100)
    with ExportSource(path) as source:
        assert source.member_size("general/2020-01-01.json") == 100
        handle = source.open_member("general/2020-01-01.json")
        with pytest.raises(DamagedMemberError, match=r"^general/2020-01-01\.json: damaged inside"):
            handle.read()


def test_a_damaged_day_file_is_skipped_and_the_rest_imported(
    shared_data: Path, tmp_path: Path
) -> None:
    path = tmp_path / "export.zip"
    original_path = shared_data / "slack" / "testarchive.zip"
    with zipfile.ZipFile(original_path) as original, zipfile.ZipFile(path, "w") as archive:
        for name in original.namelist():
            archive.writestr(name, original.read(name))
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("enrique/2016-02-07.json")
    # Flip bytes inside the stored data: the CRC check fails on reading.
    start = info.header_offset + 30 + len(info.filename) + 10
    data[start : start + 4] = b"XXXX"
    path.write_bytes(bytes(data))
    with ExportSource(path) as source:
        records = list(slack.importer.iter_records(source))
    skipped = {r.location: r.reason for r in records if isinstance(r, SkippedItem)}
    assert skipped["enrique/2016-02-07.json"].startswith("enrique/2016-02-07.json: damaged inside")
    assert sum(1 for r in records if isinstance(r, MessageRecord)) > 0


def test_each_member_counts_once_towards_the_total_and_progress_counts_reads(
    tmp_path: Path,
) -> None:
    path = _zip(tmp_path / "two.zip", {"a.json": b"1" * 3000, "b.json": b"2" * 3000})
    limits = Limits(max_uncompressed_bytes=6000, max_compression_ratio=200)
    with ExportSource(path, limits=limits) as source:
        assert source.total_size() == 6000
        source.head("a.json", 10)
        assert source.bytes_read == 0
        source.read_member("a.json")
        source.read_member("b.json")
        # A second pass over a member (two-pass formats) is not a bigger expansion.
        source.read_member("a.json")
        assert source.bytes_read == 9000


def test_progress_counts_bytes_read_from_plain_files(shared_data: Path) -> None:
    path = shared_data / "mbox" / "perceval" / "mbox_single.mbox"
    with ExportSource(path) as source:
        source.read_member(path.name)
        assert source.bytes_read == source.total_size() == path.stat().st_size


def test_it_refuses_an_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.json").write_bytes(b"")
    with pytest.raises(
        NotAnExportError, match=r"^empty\.json: the file is empty; expected a Slack"
    ):
        ExportSource(tmp_path / "empty.json")


def test_it_refuses_an_empty_zip(tmp_path: Path) -> None:
    path = _zip(tmp_path / "empty.zip", {})
    with pytest.raises(NotAnExportError, match="the zip file is empty"):
        ExportSource(path)


def test_it_refuses_a_file_that_is_no_export(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(
        NotAnExportError, match=r"photo\.png: not a Tacit-readable export; expected"
    ):
        ExportSource(path)


def test_it_refuses_other_archive_types_with_advice(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "export.json.gz"
    path.write_bytes(gzip.compress(b"[]"))
    with pytest.raises(NotAnExportError, match=r"is a \.gz archive; Tacit reads zip files"):
        ExportSource(path)


def test_it_names_the_known_formats_when_none_detects(tmp_path: Path) -> None:
    path = tmp_path / "notes.json"
    path.write_text('{"hello": "world"}')
    with ExportSource(path) as source, pytest.raises(ImportFormatError) as caught:
        detect_format(source)
    assert str(caught.value).startswith("notes.json: not a Tacit-readable export; expected a Slack")
    assert "Known formats: Slack workspace export" in str(caught.value)


def test_it_refuses_a_missing_path(tmp_path: Path) -> None:
    with pytest.raises(NotAnExportError, match="does not exist"):
        ExportSource(tmp_path / "nope.zip")


@pytest.mark.parametrize(
    ("data", "declared", "expected"),
    [
        ("Grüße".encode("latin-1"), "iso-8859-1", "Grüße"),
        ("Grüße".encode(), None, "Grüße"),
        ("Grüße".encode(), "x-unknown-charset", "Grüße"),
        (
            ("Привет, как дела? Всё хорошо. " * 4).encode("cp1251"),
            None,
            "Привет, как дела? Всё хорошо. " * 4,
        ),
        ("Lucía".encode("latin-1"), None, "Lucía"),
    ],
)
def test_it_decodes_text_with_fallbacks(data: bytes, declared: str | None, expected: str) -> None:
    assert decode_text(data, declared) == expected


def test_it_never_fails_on_undecodable_bytes() -> None:
    text = decode_text(b"ok \xff\xfe\xfa\x80 end", "utf-8")
    assert text.startswith("ok ") and text.endswith(" end")


def test_it_reports_members_compressed_with_an_unsupported_method(tmp_path: Path) -> None:
    path = _zip(tmp_path / "deflate64.zip", {"channels.json": b"[]", "users.json": b"[]"})
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("users.json")
    # Mark the member as Deflate64 (method 9) in both headers, as Windows writes big zips.
    data[info.header_offset + 8 : info.header_offset + 10] = (9).to_bytes(2, "little")
    central = data.rfind(b"PK\x01\x02")
    data[central + 10 : central + 12] = (9).to_bytes(2, "little")
    path.write_bytes(bytes(data))
    with ExportSource(path) as source:
        assert source.list_members() == ["channels.json"]
        [item] = source.iter_skipped()
    assert item.location == "users.json"
    assert item.reason.startswith("compressed with a method Tacit cannot read (zip method 9")
