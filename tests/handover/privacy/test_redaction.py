"""Finding, masking and removing personal data and secrets in message text."""

import json
from pathlib import Path

import pytest

from handover.importers.archive import ExportSource
from handover.importers.base import MessageRecord
from handover.importers.slack import importer as slack_importer
from handover.privacy.redaction import (
    KIND_LABELS,
    PLACEHOLDERS,
    Redaction,
    RedactionKind,
    apply_redactions,
    find_redactions,
    mask,
)


def found(text: str) -> list[tuple[str, str]]:
    """(kind, the text of the span) for each redaction of ``text``."""
    return [(r.kind, text[r.start : r.end]) for r in find_redactions(text)]


def kinds(text: str) -> set[str]:
    return {r.kind for r in find_redactions(text)}


# --- e-mail ----------------------------------------------------------------------------------


def test_it_finds_email_addresses_plain_in_mailto_and_in_angle_brackets() -> None:
    text = "mail j.smith@example.com, <mailto:ann@corp.cn|Ann> or Bob <bob@b.io>."
    assert found(text) == [
        ("email", "j.smith@example.com"),
        ("email", "ann@corp.cn"),
        ("email", "bob@b.io"),
    ]


def test_it_keeps_chinese_text_out_of_an_address() -> None:
    assert found("请联系zhang.wei@example.cn谢谢") == [("email", "zhang.wei@example.cn")]


def test_it_finds_the_real_exports_addresses(shared_data: Path) -> None:
    users = json.loads((shared_data / "slack/houstondatavis/users.json").read_text())
    emails = [u["profile"]["email"] for u in users if u.get("profile", {}).get("email")]
    assert emails
    text = "\n".join(f"{address} wrote:" for address in emails)
    assert [value for _kind, value in found(text)] == emails


# --- phone -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "138 0013 8000",
        "13800138000",
        "+86 138-0013-8000",
        "010-12345678",
        "+44 20 7946 0958",
        "+1 415-555-2671",
        "(713) 555-0123",
    ],
)
def test_it_finds_phone_numbers(number: str) -> None:
    assert found(f"call me on {number} tomorrow") == [("phone", number)]


@pytest.mark.parametrize(
    "text",
    [
        "released on 2024-01-05 at 10:30",
        "bump to 1.2.3 then 10.20.30",
        "thread 1782741279.620179 in #general",
        "order 12345678 and 1234567890",
        "I0327 00:57:37.230937  1537 exec.cpp:134] Version: 0.27.0",
        "<https://twitter.com/micahstubbs/status/744967344255008772>",
        "<http://www.meetup.com/Houston-Data-Visualization-Meetup/events/225363078/>",
        "2016-03-15T18:00:00Z and 15.03.2016",
    ],
)
def test_it_does_not_take_dates_versions_ids_or_timestamps_for_phone_numbers(text: str) -> None:
    assert find_redactions(text) == []


# --- national ID numbers ---------------------------------------------------------------------


def test_it_finds_a_prc_resident_id_with_a_valid_check_digit() -> None:
    assert found("身份证号 11010519491231002X，请核对") == [("national_id", "11010519491231002X")]


def test_it_leaves_an_18_digit_number_with_a_wrong_check_digit() -> None:
    assert "national_id" not in kinds("身份证号 110105194912310021")


@pytest.mark.parametrize(
    "text, number",
    [
        ("SSN: 536-22-1234", "536-22-1234"),
        ("my BSN is 111222333", "111222333"),
        ("Aadhaar 2345 6789 0124", "2345 6789 0124"),
        ("DNI 12345678Z", "12345678Z"),
        ("NIE: X1234567L", "X1234567L"),
    ],
)
def test_it_finds_weak_checksum_ids_after_their_keyword(text: str, number: str) -> None:
    assert found(text) == [("national_id", number)]


@pytest.mark.parametrize("number", ["536-22-1234", "111222333", "12345678Z", "X1234567L"])
def test_it_leaves_weak_checksum_ids_without_a_keyword(number: str) -> None:
    assert "national_id" not in kinds(f"see ticket {number} for details")


def test_it_leaves_an_anchored_id_whose_checksum_fails() -> None:
    assert "national_id" not in kinds("BSN 111222334 and DNI 12345678A")


# --- cards, IBANs, bank accounts -------------------------------------------------------------


@pytest.mark.parametrize(
    "number", ["4242 4242 4242 4242", "4242424242424242", "3782-822463-10005", "5555555555554444"]
)
def test_it_finds_luhn_valid_card_numbers(number: str) -> None:
    assert found(f"card {number} exp 12/27") == [("card", number)]


def test_it_finds_a_chinese_bank_card_as_a_card() -> None:
    assert found("卡号 6228480402564890018") == [("card", "6228480402564890018")]


@pytest.mark.parametrize(
    "text",
    [
        "card 4242 4242 4242 4241",  # Luhn fails
        "id 1645296752401575",  # no card scheme starts with 1
        "digits 4 2 4 2 4 2 4 2 4 2 4 2 4 2 4 2",  # not grouped like a card
    ],
)
def test_it_leaves_numbers_that_are_not_cards(text: str) -> None:
    assert "card" not in kinds(text)


def test_it_finds_ibans_with_and_without_spaces() -> None:
    text = "pay DE89 3704 0044 0532 0130 00 THEN or GB82WEST12345698765432."
    assert found(text) == [
        ("iban", "DE89 3704 0044 0532 0130 00"),
        ("iban", "GB82WEST12345698765432"),
    ]


def test_it_leaves_an_iban_with_a_wrong_check() -> None:
    assert find_redactions("DE88 3704 0044 0532 0130 00") == []


@pytest.mark.parametrize(
    "text, number",
    [
        ("account no. 123456789012", "123456789012"),
        ("Acct #: 0012-3456-7890", "0012-3456-7890"),
        ("银行账户：6217000010001234561", "6217000010001234561"),
        ("我的账号是 12345678901", "12345678901"),
    ],
)
def test_it_finds_bank_account_numbers_after_their_keyword(text: str, number: str) -> None:
    assert (RedactionKind.BANK_ACCOUNT, number) in found(text)


def test_it_leaves_an_account_keyword_without_a_long_number() -> None:
    assert find_redactions("account no. 1234 has 3 users") == []


# --- IP addresses ----------------------------------------------------------------------------


def test_it_finds_ipv4_and_ipv6_addresses() -> None:
    text = "db at 192.168.1.20, dns 8.8.8.8, v6 2001:db8::8a2e:370:7334."
    assert found(text) == [
        ("ip", "192.168.1.20"),
        ("ip", "8.8.8.8"),
        ("ip", "2001:db8::8a2e:370:7334"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "version 1.2.3.4.5",
        "999.1.1.1",
        "v1.2.3.4",
        "version 1.2.3.4",
        "see section 7.7.5.1",
        "127.0.0.1 and ::1 and 0.0.0.0",
        "std::vector and a::b::c",
        "at 10:30:00",
        "mac 00:1A:2B:3C:4D:5E",
    ],
)
def test_it_leaves_what_only_looks_like_an_address(text: str) -> None:
    assert "ip" not in kinds(text)


# --- secrets ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "AKIAIOSFODNN7EXAMPLE",
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "xoxb-123456789012-1234567890123-abcdefABCDEF",
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
        "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ],
)
def test_it_finds_api_keys_and_tokens(token: str) -> None:
    assert found(f"use {token} for now") == [("secret", token)]


def test_it_finds_the_credentials_of_a_url_but_not_the_host() -> None:
    text = "clone https://admin:hunter2@db.example.com/repo.git"
    assert found(text) == [("secret", "admin:hunter2")]


def test_it_finds_a_private_key_block_across_lines() -> None:
    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\nq83ZbV\n-----END RSA PRIVATE KEY-----"
    text = f"here it is:\n{key}\nthanks"
    assert found(text) == [("secret", key)]
    assert apply_redactions(text, find_redactions(text)) == "here it is:\n[secret removed]\nthanks"


def test_it_removes_a_cut_off_private_key_to_the_end_of_its_paragraph() -> None:
    text = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n\nnext paragraph"
    assert apply_redactions(text, find_redactions(text)) == "[secret removed]\n\nnext paragraph"


@pytest.mark.parametrize(
    "text, value",
    [
        ("password=S3cr3t!x", "S3cr3t!x"),
        ("DB_PASSWORD=hunter22", "hunter22"),
        ('"api_key": "a1b2c3d4e5f6"', "a1b2c3d4e5f6"),
        ("token: 9f8e7d6c5b4a39281706", "9f8e7d6c5b4a39281706"),
        ("my password is Tr0ub4dor&3", "Tr0ub4dor&3"),
        ("密码：Abc12345", "Abc12345"),
        ("数据库密码是 Zx9!kq2m", "Zx9!kq2m"),
    ],
)
def test_it_finds_values_after_credential_keywords(text: str, value: str) -> None:
    assert found(text) == [("secret", value)]


@pytest.mark.parametrize(
    "text",
    [
        "password is required",
        "token: expired",
        "password=$DB_PASSWORD",
        "token: ${GITHUB_TOKEN}",
        "password: ********",
        "reset your password at the portal",
        "secret: Required",
    ],
)
def test_it_leaves_words_and_placeholders_after_credential_keywords(text: str) -> None:
    assert find_redactions(text) == []


# --- overlaps, the real export ---------------------------------------------------------------


def test_it_reports_overlapping_claims_as_one_span_of_the_most_specific_kind() -> None:
    # Both the bank-account rule and the card rule claim this number.
    text = "卡号 6228480402564890018"
    redactions = find_redactions(text)
    assert [(r.kind, r.start, r.end) for r in redactions] == [("card", 3, len(text))]


def test_it_returns_sorted_non_overlapping_spans() -> None:
    text = (
        "ann@corp.cn 138 0013 8000 AKIAIOSFODNN7EXAMPLE 8.8.8.8 4242 4242 4242 4242 "
        "11010519491231002X DE89 3704 0044 0532 0130 00"
    )
    redactions = find_redactions(text)
    assert len(redactions) == 7
    for before, after in zip(redactions, redactions[1:], strict=False):
        assert before.end <= after.start


def test_it_finds_only_the_three_addresses_in_the_real_slack_export(shared_data: Path) -> None:
    texts = []
    with ExportSource(shared_data / "slack/houstondatavis") as source:
        for record in slack_importer.iter_records(source):
            if isinstance(record, MessageRecord):
                texts.append(record.text)
    found_values = [(kind, value) for text in texts for kind, value in found(text)]
    assert len(texts) > 1000
    # The export's message texts hold three e-mail addresses and nothing else to redact.
    assert {kind for kind, _value in found_values} == {"email"}
    assert len(found_values) == 3


# --- masking ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, value, masked",
    [
        ("email", "john.smith@example.com", "j•••@e•••.com"),
        ("phone", "+86 138-0013-8000", "+86 138 •••• 8000"),
        ("phone", "138 0013 8000", "138 •••• 8000"),
        ("phone", "010-12345678", "010-••••5678"),
        ("national_id", "11010519491231002X", "1101••••••••••••2X"),
        ("national_id", "536-22-1234", "•••••••34"),
        ("card", "4242-4242-4242-4242", "•••• •••• •••• 4242"),
        ("iban", "DE89 3704 0044 0532 0130 00", "DE89 •••• •••• •••• •• 3000"),
        ("bank_account", "123456789012", "••••••••9012"),
        ("ip", "203.0.113.17", "203.•.•.17"),
        ("secret", "AKIAIOSFODNN7EXAMPLE", "AKIA••••••••"),
        ("secret", "hunter22", "••••••••"),
        ("secret", "-----BEGIN EC PRIVATE KEY-----\nab", "-----BEGIN EC PRIVATE KEY----- ••••••••"),
    ],
)
def test_it_masks_enough_to_recognise_and_too_little_to_reuse(
    kind: str, value: str, masked: str
) -> None:
    assert mask(kind, value) == masked


def test_every_redaction_carries_its_mask() -> None:
    text = "write to ann@corp.cn"
    assert find_redactions(text) == [
        Redaction(kind="email", start=9, end=20, masked=mask("email", "ann@corp.cn"))
    ]


# --- applying --------------------------------------------------------------------------------


def test_it_replaces_each_span_with_its_placeholder() -> None:
    text = "ann@corp.cn or 138 0013 8000"
    assert apply_redactions(text, find_redactions(text)) == (
        "[e-mail removed] or [phone number removed]"
    )


def test_it_applies_the_final_list_released_spans_left_out_manual_spans_added() -> None:
    text = "ann@corp.cn knows the Falcon project, call 138 0013 8000"
    detected = find_redactions(text)
    released = detected[0]  # the subject released the address
    manual = Redaction(kind="manual", start=22, end=28, masked="")
    final = [r for r in detected if r != released] + [manual]
    assert apply_redactions(text, final) == (
        "ann@corp.cn knows the [removed] project, call [phone number removed]"
    )


def test_it_merges_a_manual_span_around_a_detected_one() -> None:
    text = "reach Ann at ann@corp.cn today"
    detected = find_redactions(text)
    manual = Redaction(kind="manual", start=6, end=24, masked="")
    assert apply_redactions(text, [manual, *detected]) == "reach [e-mail removed] today"


def test_it_translates_placeholders_into_the_cases_language() -> None:
    text = "ann@corp.cn"
    assert apply_redactions(text, find_redactions(text), language="en") == "[e-mail removed]"


def test_it_returns_the_text_unchanged_without_redactions() -> None:
    assert apply_redactions("nothing here", []) == "nothing here"


def test_it_rejects_a_span_outside_the_text() -> None:
    with pytest.raises(ValueError, match="outside"):
        apply_redactions("short", [Redaction(kind="manual", start=2, end=9, masked="")])


def test_every_kind_has_a_label_and_a_placeholder() -> None:
    for kind in RedactionKind:
        assert str(KIND_LABELS[kind])
        assert str(PLACEHOLDERS[kind]).startswith("[")
