"""Keyed pseudonyms and the replacement of third parties' names in message text."""

import json
import re
from pathlib import Path

import pytest

from handover.importers.archive import ExportSource
from handover.importers.base import MessageRecord, PersonRecord
from handover.importers.slack import importer as slack_importer
from handover.privacy.pseudonyms import (
    NameForms,
    Pseudonymiser,
    new_case_key,
    person_digest,
    pseudonym_label,
    pseudonymise_text,
)

# --- keys and digests ------------------------------------------------------------------------


def test_a_case_key_is_32_random_bytes() -> None:
    first, second = new_case_key(), new_case_key()
    assert len(first) == 32 and len(second) == 32
    assert first != second


def test_the_same_key_and_person_give_the_same_digest() -> None:
    key = new_case_key()
    digest = person_digest(key=key, person_id=42)
    assert digest == person_digest(key=key, person_id=42)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)


def test_different_keys_or_people_give_different_digests() -> None:
    key = new_case_key()
    assert person_digest(key=key, person_id=42) != person_digest(key=new_case_key(), person_id=42)
    assert person_digest(key=key, person_id=42) != person_digest(key=key, person_id=43)


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        person_digest(key=b"short", person_id=1)


# --- labels ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "index, label",
    [
        (0, "Colleague A"),
        (1, "Colleague B"),
        (25, "Colleague Z"),
        (26, "Colleague AA"),
        (27, "Colleague AB"),
        (701, "Colleague ZZ"),
        (702, "Colleague AAA"),
    ],
)
def test_labels_count_like_spreadsheet_columns(index: int, label: str) -> None:
    assert pseudonym_label(index, language="en") == label


@pytest.mark.parametrize("language", ["zh", "zh-hans", "zh-Hans", "zh_CN"])
def test_chinese_cases_get_chinese_labels(language: str) -> None:
    assert pseudonym_label(0, language=language) == "同事 A"
    assert pseudonym_label(26, language=language) == "同事 AA"


def test_the_label_follows_the_case_language_not_the_active_one() -> None:
    from django.utils import translation

    with translation.override("zh-hans"):
        assert pseudonym_label(2, language="en") == "Colleague C"
    assert pseudonym_label(2, language="de") == "Colleague C"


def test_a_negative_index_is_refused() -> None:
    with pytest.raises(ValueError):
        pseudonym_label(-1, language="en")


# --- replacing names -------------------------------------------------------------------------

ANNA = NameForms(
    label="Colleague A",
    names=("Anna Lee",),
    handles=("annalee", "U061A1R2R"),
    emails=("anna.lee@corp.com",),
)
ANN = NameForms(label="Colleague B", names=("Ann",), handles=("ann",))
ZHANG = NameForms(label="同事 C", names=("张伟",), handles=("zhangwei",), emails=("zw@corp.cn",))
WILL = NameForms(label="Colleague D", names=("Will Smith",), handles=("will",))
PEOPLE = [ANNA, ANN, ZHANG, WILL]


@pytest.fixture(scope="module")
def pseudonymiser() -> Pseudonymiser:
    return Pseudonymiser(PEOPLE)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Anna Lee wrote the runbook", "Colleague A wrote the runbook"),
        ("ask anna lee or ANNA LEE", "ask Colleague A or Colleague A"),
        ("Anna\nLee signed it", "Colleague A signed it"),
        # Overlapping names: the longer one first, the shorter one only as a whole word.
        (
            "Anna Lee and Ann met; Annabel and Anne did not",
            "Colleague A and Colleague B met; Annabel and Anne did not",
        ),
        # Parts of a full name, capitalised, count; the same letters inside a word do not.
        ("Anna said Lee agreed", "Colleague A said Colleague A agreed"),
        ("the annals of Leeds", "the annals of Leeds"),
        ("Smith fixed it", "Colleague D fixed it"),
    ],
)
def test_it_replaces_full_names_and_their_parts(
    pseudonymiser: Pseudonymiser, text: str, expected: str
) -> None:
    assert pseudonymiser.apply(text) == expected


def test_it_replaces_e_mail_addresses(pseudonymiser: Pseudonymiser) -> None:
    assert pseudonymiser.apply("write to Anna.Lee@corp.com today") == "write to Colleague A today"
    assert pseudonymiser.apply("not bob.anna.lee@corp.com.au") == "not bob.anna.lee@corp.com.au"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("<@U061A1R2R> can you look?", "Colleague A can you look?"),
        ("<@U061A1R2R|annalee> has joined the channel", "Colleague A has joined the channel"),
        ("<@U999|annalee> too", "Colleague A too"),
        ("thanks @annalee and @Anna Lee", "thanks Colleague A and Colleague A"),
        ("annalee pushed it", "Colleague A pushed it"),
        ("<@U000UNKNOWN> is someone else", "<@U000UNKNOWN> is someone else"),
        ("@anna, a first name typed as a mention", "Colleague A, a first name typed as a mention"),
    ],
)
def test_it_replaces_mentions_and_handles_with_the_plain_label(
    pseudonymiser: Pseudonymiser, text: str, expected: str
) -> None:
    assert pseudonymiser.apply(text) == expected


def test_it_leaves_common_words_unless_they_are_a_mention(pseudonymiser: Pseudonymiser) -> None:
    assert pseudonymiser.apply("Will you ask @will? I will.") == "Will you ask Colleague D? I will."


def test_it_replaces_cjk_names_as_substrings(pseudonymiser: Pseudonymiser) -> None:
    assert pseudonymiser.apply("我和张伟说了，@张伟 同意") == "我和同事 C说了，同事 C 同意"
    assert pseudonymiser.apply("请联系 zw@corp.cn") == "请联系 同事 C"


def test_it_finds_latin_names_right_next_to_chinese(pseudonymiser: Pseudonymiser) -> None:
    assert pseudonymiser.apply("我和Anna Lee说了") == "我和Colleague A说了"


def test_a_longer_cjk_name_of_the_case_wins() -> None:
    people = [ZHANG, NameForms(label="同事 D", names=("张伟明",))]
    assert pseudonymise_text("张伟明和张伟", people) == "同事 D和同事 C"


def test_it_keeps_links_one_token(pseudonymiser: Pseudonymiser) -> None:
    text = "see https://github.com/annalee/runbook and <mailto:anna.lee@corp.com|Anna Lee>"
    assert pseudonymiser.apply(text) == (
        "see https://github.com/Colleague-A/runbook and <mailto:Colleague-A|Colleague A>"
    )


def test_a_shared_first_name_names_nobody() -> None:
    people = [
        NameForms(label="Colleague A", names=("John Smith",)),
        NameForms(label="Colleague B", names=("John Doe",)),
    ]
    assert pseudonymise_text("John Smith, John Doe and John", people) == (
        "Colleague A, Colleague B and John"
    )


def test_it_returns_the_text_unchanged_without_people() -> None:
    assert pseudonymise_text("Anna Lee", []) == "Anna Lee"
    assert Pseudonymiser(PEOPLE).apply("") == ""


def test_it_escapes_names_with_pattern_characters() -> None:
    people = [NameForms(label="Colleague A", names=("J. (Jo) Smith+",))]
    assert pseudonymise_text("ask J. (Jo) Smith+ now", people) == "ask Colleague A now"


# --- the real Slack export -------------------------------------------------------------------


def _people_and_texts(shared_data: Path) -> tuple[list[PersonRecord], list[str], list[str]]:
    people, texts = [], []
    with ExportSource(shared_data / "slack/houstondatavis") as source:
        for record in slack_importer.iter_records(source):
            if isinstance(record, PersonRecord):
                people.append(record)
            elif isinstance(record, MessageRecord):
                texts.append(record.text)
    raw = []
    for day_file in sorted((shared_data / "slack/houstondatavis").glob("*/*.json")):
        raw.extend(m.get("text") or "" for m in json.loads(day_file.read_text()))
    return people, texts, raw


def test_no_id_name_or_address_of_the_real_exports_people_survives(shared_data: Path) -> None:
    people, texts, raw = _people_and_texts(shared_data)
    forms = [
        NameForms(
            label=pseudonym_label(index, language="en"),
            names=(person.display_name,),
            handles=tuple(h for h in (person.handle, person.key) if h),
            emails=(person.email,) if person.email else (),
        )
        for index, person in enumerate(people)
    ]
    pseudonymiser = Pseudonymiser(forms)
    imported = "\n".join(pseudonymiser.apply(text) for text in texts)
    exported = "\n".join(pseudonymiser.apply(text) for text in raw)

    # Raw Slack markup: every <@U…> mention of a known person is gone.
    known_ids = {person.key for person in people}
    assert "<@U061A1R2R" in "\n".join(raw)
    assert not [m for m in re.findall(r"<@(U[A-Z0-9]+)", exported) if m in known_ids]
    # Imported text: the importer wrote mentions as "@Display Name"; none survives.
    for person in people:
        if " " in person.display_name:
            assert person.display_name not in imported, person.display_name
        if person.email:
            assert person.email not in imported
    assert "Colleague" in imported
    # Typed first-name mentions from the export: "@pavan" is one person's; "@micah" could
    # be Micah Stubbs or Micah McBride, so it names nobody and stays.
    assert "@pavan" not in imported
    assert "@micah posted the news" in imported
