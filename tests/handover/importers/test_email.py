"""The e-mail importer on the real mbox and pipermail files in shared/data, and on crafted mail."""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from handover.importers import email as email_importer
from handover.importers.archive import ExportSource
from handover.importers.base import ConversationRecord, MessageRecord, PersonRecord, SkippedItem
from handover.importers.registry import detect_format

REAL_FILES = [
    "bigbang/3GPP_TSG_RAN_WG4_NR-MIMO-OTA.mbox",
    "bigbang/3GPP_TSG_SA_WG4_EVS.mbox",
    "bigbang/numpy-discussion-2001-November.txt",
    "perceval/mbox_complex.mbox",
    "perceval/mbox_iso8859_encoding.mbox",
    "perceval/mbox_multipart.mbox",
    "perceval/mbox_no_fields.mbox",
    "perceval/mbox_single.mbox",
    "perceval/mbox_unixfrom_encoding.mbox",
    "perceval/mbox_unknown_encoding.mbox",
    "perceval/pipermail_2015_november.mbox",
    "perceval/pipermail_2016_april.mbox",
    "perceval/pipermail_2016_march.mbox",
]
ID = re.compile(rb"<([^<>\s]+)>")


def _ids(value: bytes) -> list[bytes]:
    """Message ids in a header; some archives write a bare id without angle brackets."""
    return ID.findall(value) or (
        [value.strip()] if value.strip() and b" " not in value.strip() else []
    )


def _records(path: Path) -> list:
    with ExportSource(path) as source:
        return list(email_importer.importer.iter_records(source))


def _header_blocks(path: Path) -> list[dict[bytes, bytes]]:
    """Each message's headers (unfolded, names lower-cased), split at blank-line From_ lines."""
    blocks: list[dict[bytes, bytes]] = []
    lines = path.read_bytes().split(b"\n")
    in_headers = False
    last = b""
    for number, line in enumerate(lines):
        if line.startswith(b"From ") and (number == 0 or not lines[number - 1].strip()):
            blocks.append({})
            in_headers = True
            continue
        if not in_headers:
            continue
        if not line.strip():
            in_headers = False
        elif line[:1] in (b" ", b"\t") and last:
            blocks[-1][last] += b" " + line.strip()
        elif b":" in line:
            name, _, value = line.partition(b":")
            last = name.strip().lower()
            blocks[-1].setdefault(last, value.strip())
    return blocks


def _expected_threads(blocks: list[dict[bytes, bytes]]) -> int:
    """Threads by union-find over Message-ID, In-Reply-To and References, plus Re: subjects.

    A reply whose parent (In-Reply-To, else the last Reference) is not in the
    file joins the first message with the same subject (list tags and
    Re:/AW:/Fwd: prefixes removed).
    """
    parent: dict[bytes, bytes] = {}

    def find(node: bytes) -> bytes:
        while parent.setdefault(node, node) != node:
            node = parent[node]
        return node

    def union(a: bytes, b: bytes) -> None:
        parent[find(a)] = find(b)

    roots_by_subject: dict[str, bytes] = {}
    nodes = []
    seen_ids: set[bytes] = set()
    present = {
        _ids(h.get(b"message-id", b""))[0] for h in blocks if _ids(h.get(b"message-id", b""))
    }
    for number, headers in enumerate(blocks):
        ids = _ids(headers.get(b"message-id", b""))
        node = ids[0] if ids else b"#%d" % number
        if node in seen_ids:
            continue
        seen_ids.add(node)
        nodes.append(node)
        refs = _ids(headers.get(b"references", b"")) + _ids(headers.get(b"in-reply-to", b""))
        for ref in refs:
            union(node, ref)
        subject = headers.get(b"subject", b"").decode("latin-1")
        bare = subject
        while True:
            stripped = re.sub(r"^\s*(\[[^\]]*\]|(re|aw|fwd?)\s*:)\s*", "", bare, flags=re.I)
            if stripped == bare:
                break
            bare = stripped
        bare = " ".join(bare.split()).casefold()
        is_reply = re.match(r"^\s*(\[[^\]]*\]\s*)*(re|aw|fwd?)\s*:", subject, re.I)
        in_reply_to = _ids(headers.get(b"in-reply-to", b""))
        parent_id = (in_reply_to or _ids(headers.get(b"references", b""))[-1:] or [None])[0]
        connected = parent_id in present
        if bare in roots_by_subject and (is_reply or refs) and not connected:
            union(node, roots_by_subject[bare])
        roots_by_subject.setdefault(bare, node)
    return len({find(node) for node in nodes})


@pytest.mark.parametrize("name", REAL_FILES)
def test_it_reads_every_real_mailbox(shared_data: Path, name: str) -> None:
    path = shared_data / "mbox" / name
    records = _records(path)
    blocks = _header_blocks(path)
    messages = [r for r in records if isinstance(r, MessageRecord)]
    duplicates = [r for r in records if isinstance(r, SkippedItem) and "duplicate" in r.reason]
    # Every From_ line is a message or a reported duplicate: nothing silently lost.
    assert len(messages) + len(duplicates) == len(blocks)
    expected_ids = {_ids(h[b"message-id"])[0] for h in blocks if _ids(h.get(b"message-id", b""))}
    got_ids = {m.key.encode() for m in messages if not m.key.startswith("synthetic:")}
    assert got_ids == expected_ids
    assert len({(m.conversation_key, m.thread_key) for m in messages}) == _expected_threads(blocks)
    list_ids = {ID.findall(h[b"list-id"])[-1] for h in blocks if ID.findall(h.get(b"list-id", b""))}
    conversations = [r for r in records if isinstance(r, ConversationRecord)]
    without_list = any(not ID.findall(h.get(b"list-id", b"")) for h in blocks)
    assert len(conversations) == len(list_ids) + without_list
    assert all(m.sent_at.tzinfo is not None for m in messages)


@pytest.mark.parametrize("name", ["mbox_iso8859_encoding.mbox", "mbox_unixfrom_encoding.mbox"])
def test_it_reads_mailboxes_on_which_python_mailbox_raises(shared_data: Path, name: str) -> None:
    """The reason for our own splitter: the standard library raises on these real archives."""
    import mailbox

    path = shared_data / "mbox" / "perceval" / name
    with pytest.raises(UnicodeDecodeError):
        for message in mailbox.mbox(path):
            message.as_string()
    messages = [r for r in _records(path) if isinstance(r, MessageRecord)]
    assert len(messages) == len(_header_blocks(path)) and all(m.text for m in messages)


def test_it_reads_pipermail_addresses_and_rfc2047_names(shared_data: Path) -> None:
    records = _records(shared_data / "mbox" / "perceval" / "mbox_no_fields.mbox")
    people = [r for r in records if isinstance(r, PersonRecord)]
    assert people == [
        PersonRecord(
            key="goran@domain.com", display_name="Göran Lastname", email="goran@domain.com"
        )
    ]


def test_it_gives_a_message_without_message_id_a_stable_key(shared_data: Path) -> None:
    path = shared_data / "mbox" / "perceval" / "mbox_no_fields.mbox"
    first = [r.key for r in _records(path) if isinstance(r, MessageRecord)]
    second = [r.key for r in _records(path) if isinstance(r, MessageRecord)]
    assert first == second
    assert any(key.startswith("synthetic:") for key in first)


def test_it_survives_unknown_and_undeclared_encodings(shared_data: Path) -> None:
    for name in (
        "mbox_unknown_encoding.mbox",
        "mbox_iso8859_encoding.mbox",
        "mbox_unixfrom_encoding.mbox",
    ):
        messages = [
            r
            for r in _records(shared_data / "mbox" / "perceval" / name)
            if isinstance(r, MessageRecord)
        ]
        assert messages and all(m.text for m in messages)
    iso = _records(shared_data / "mbox" / "perceval" / "mbox_iso8859_encoding.mbox")
    assert any(r.display_name == "Lucía Charlie" for r in iso if isinstance(r, PersonRecord))


def test_it_removes_quotes_and_signatures_but_keeps_them_in_raw(shared_data: Path) -> None:
    records = _records(shared_data / "mbox" / "bigbang" / "numpy-discussion-2001-November.txt")
    reply = next(
        r for r in records if isinstance(r, MessageRecord) and r.key == "3BE2FADF.23D659E9@home.net"
    )
    assert "Can someone give me pointers" not in reply.text
    assert "Hung Jung Lu wrote:" not in reply.text
    assert "Christopher Barker" not in reply.text
    assert reply.text.startswith("This sounds likeyou are looking for is LAPACK")
    assert "> Can someone give me pointers" in reply.raw
    assert "Christopher Barker" in reply.raw
    root = next(r for r in records if isinstance(r, MessageRecord) and r.key == reply.thread_key)
    assert root.subject == "[Numpy-discussion] Assembly optimized numerical packages?"
    assert reply.reply_to_key == root.key


def _write(path: Path, data: str | bytes) -> Path:
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


MULTIPART = b"""From: =?UTF-8?B?SsO8cmdlbg==?= <Juergen@Example.ORG>
To: team@example.org
Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=
Date: Tue, 3 Mar 2020 10:00:00 +0100
Message-ID: <root@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: multipart/alternative; boundary="b2"

--b2
Content-Type: text/html; charset=utf-8

<p>HTML version</p>
--b2
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Sch=F6ne Gr=FC=DFe aus K=F6ln.

--=20
J=FCrgen, Team Lead
--b2--
--b1
Content-Type: application/pdf; name="plan.pdf"
Content-Disposition: attachment; filename="plan.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--b1--
"""


def test_it_reads_a_multipart_eml_with_charsets_and_attachments(tmp_path: Path) -> None:
    path = _write(tmp_path / "message.eml", MULTIPART)
    with ExportSource(path) as source:
        assert detect_format(source).format == "email"
    records = _records(path)
    message = next(r for r in records if isinstance(r, MessageRecord))
    assert message.key == "root@example.org" and message.thread_key == message.key
    assert message.subject == "Grüße"
    assert message.text == "Schöne Grüße aus Köln."
    assert "Jürgen, Team Lead" in message.raw
    assert message.attachments[0].name == "plan.pdf"
    assert message.attachments[0].mime_type == "application/pdf"
    assert message.attachments[0].size == len(b"%PDF-1.4\n")
    person = next(r for r in records if isinstance(r, PersonRecord))
    assert person.key == "juergen@example.org" and person.display_name == "Jürgen"


HTML_ONLY_THREAD = """From a@example.org Tue Mar  3 10:00:00 2020
From: A <a@example.org>
Subject: Budget
Date: Tue, 3 Mar 2020 10:00:00 +0000
Content-Type: text/html; charset=utf-8

<html><body><p>Budget is <b>approved</b>.</p><p>Details&nbsp;follow.</p></body></html>

From b@example.org Tue Mar  3 11:00:00 2020
From: B <b@example.org>
Subject: AW: Budget
Date: Tue, 3 Mar 2020 11:00:00 +0000

Thanks!

-----Original Message-----
From: A
Budget is approved.

From c@example.org Tue Mar  3 12:00:00 2020
From: C <c@example.org>
Subject: 回复: Budget
Date: Tue, 3 Mar 2020 12:00:00 +0000
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

5pS25Yiw77yB
"""


def test_it_threads_by_subject_when_ids_are_missing(tmp_path: Path) -> None:
    records = _records(_write(tmp_path / "list.mbox", HTML_ONLY_THREAD))
    messages = [r for r in records if isinstance(r, MessageRecord)]
    assert len(messages) == 3
    assert len({m.thread_key for m in messages}) == 1
    assert messages[0].thread_key == messages[0].key
    assert messages[0].text == "Budget is approved.\n\nDetails follow."
    assert messages[1].text == "Thanks!"
    assert "-----Original Message-----" in messages[1].raw
    assert messages[2].text == "收到！"


def test_it_never_crashes_on_undecodable_bytes(tmp_path: Path) -> None:
    data = (
        b"From x@example.org Tue Mar  3 10:00:00 2020\n"
        b"From: \xff\xfe <x@example.org>\nSubject: bad \xc3\x28 bytes\n"
        b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
        b"caf\xe9 \xff\xfe\xfa text\n"
    )
    messages = [
        r for r in _records(_write(tmp_path / "bad.mbox", data)) if isinstance(r, MessageRecord)
    ]
    assert len(messages) == 1
    assert messages[0].text.startswith("caf") and messages[0].text.endswith("text")
    assert messages[0].subject.startswith("bad ")


def test_it_reads_a_zip_of_mailboxes_and_skips_other_files(
    shared_data: Path, tmp_path: Path
) -> None:
    path = tmp_path / "lists.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name in ("pipermail_2016_april.mbox", "pipermail_2016_march.mbox"):
            archive.write(shared_data / "mbox" / "perceval" / name, f"lists/{name}")
        archive.writestr("lists/index.html", "<html></html>")
    with ExportSource(path) as source:
        assert detect_format(source).format == "email"
    records = _records(path)
    counts = Counter(type(r).__name__ for r in records)
    expected = sum(
        len(_header_blocks(shared_data / "mbox" / "perceval" / n))
        for n in ("pipermail_2016_april.mbox", "pipermail_2016_march.mbox")
    )
    assert counts["MessageRecord"] == expected
    assert (
        SkippedItem("lists/index.html", "not an e-mail file (mbox, .eml or mailing-list archive)")
        in records
    )


def test_it_detects_pipermail_text_as_email_not_whatsapp(shared_data: Path) -> None:
    with ExportSource(
        shared_data / "mbox" / "bigbang" / "numpy-discussion-2001-November.txt"
    ) as source:
        assert detect_format(source).format == "email"


def test_a_folder_of_eml_files_is_one_conversation_with_threads(tmp_path: Path) -> None:
    folder = tmp_path / "Project X"
    folder.mkdir()
    _write(
        folder / "1.eml",
        "From: Ada <ada@example.org>\nSubject: Launch\nMessage-ID: <a@x>\n"
        "Date: Mon, 1 Jan 2024 09:00:00 +0000\n\nWe launch on Monday.\n",
    )
    _write(
        folder / "2.eml",
        "From: Bo <bo@example.org>\nSubject: Re: Launch\nMessage-ID: <b@x>\nIn-Reply-To: <a@x>\n"
        "Date: Mon, 1 Jan 2024 10:00:00 +0000\n\n"
        "Great.\n\nOn Mon, Ada wrote:\n> We launch on Monday.\n",
    )
    records = _records(folder)
    conversations = [r for r in records if isinstance(r, ConversationRecord)]
    assert [c.key for c in conversations] == ["mbox:Project X"]
    messages = [r for r in records if isinstance(r, MessageRecord)]
    assert [(m.key, m.thread_key, m.reply_to_key) for m in messages] == [
        ("a@x", "a@x", None),
        ("b@x", "a@x", "a@x"),
    ]
    assert messages[1].text == "Great."


def test_threads_continue_across_monthly_archives(tmp_path: Path) -> None:
    folder = tmp_path / "archives"
    folder.mkdir()
    _write(
        folder / "2024-01.mbox",
        "From ada@example.org Mon Jan 29 09:00:00 2024\nFrom: Ada <ada@example.org>\n"
        "Subject: [ops] Disk alert\nMessage-ID: <jan-1@x>\nList-Id: Ops <ops.example.org>\n"
        "Date: Mon, 29 Jan 2024 09:00:00 +0000\n\nDisk at 91%.\n",
    )
    _write(
        folder / "2024-02.mbox",
        "From bo@example.org Thu Feb  1 09:00:00 2024\nFrom: Bo <bo@example.org>\n"
        "Subject: Re: [ops] Disk alert\nMessage-ID: <feb-1@x>\nIn-Reply-To: <jan-1@x>\n"
        "List-Id: Ops <ops.example.org>\nDate: Thu, 1 Feb 2024 09:00:00 +0000\n\nCleaned up.\n\n"
        "From cy@example.org Thu Feb  1 10:00:00 2024\nFrom: Cy <cy@example.org>\n"
        "Subject: Re: [ops] Disk alert\nMessage-ID: <feb-2@x>\n"
        "List-Id: Ops <ops.example.org>\nDate: Thu, 1 Feb 2024 10:00:00 +0000\n\nThanks.\n",
    )
    records = _records(folder)
    assert [r.key for r in records if isinstance(r, ConversationRecord)] == ["list:ops.example.org"]
    messages = [r for r in records if isinstance(r, MessageRecord)]
    assert [(m.key, m.thread_key, m.reply_to_key) for m in messages] == [
        ("jan-1@x", "jan-1@x", None),
        ("feb-1@x", "jan-1@x", "jan-1@x"),
        # No In-Reply-To: joined by its "Re:" subject.
        ("feb-2@x", "jan-1@x", None),
    ]
