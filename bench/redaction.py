"""Redaction throughput on the real Slack export: ``find_redactions`` over every message text.

Usage::

    .venv/bin/python bench/redaction.py                     # 100,000 messages
    .venv/bin/python bench/redaction.py --messages 20000    # a quicker run

The texts are those the Slack importer makes of ``../shared/data/slack/houstondatavis``
(read in place, markup resolved as it is for stored messages), cycled until
``--messages`` have been scanned, as a worker task scans a large import. Also times
``pseudonymise_text`` with the export's people and ``detect_out_of_scope``. The last
line is one JSON object::

    {"messages": ..., "distinct_texts": ..., "redaction_messages_per_s": ...,
     "redactions_found": ..., "pseudonymise_messages_per_s": ...,
     "out_of_scope_messages_per_s": ...}
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
EXPORT = REPO_ROOT.parent / "shared" / "data" / "slack" / "houstondatavis"


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(REPO_ROOT))
    import django

    django.setup()


def main() -> None:
    """Scan the export's texts ``--messages`` times over and print the rates."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    args = parser.parse_args()
    _setup_django()

    from handover.importers.archive import ExportSource
    from handover.importers.base import MessageRecord, PersonRecord
    from handover.importers.slack import importer
    from handover.privacy.out_of_scope import detect_out_of_scope
    from handover.privacy.pseudonyms import NameForms, Pseudonymiser, pseudonym_label
    from handover.privacy.redaction import find_redactions

    texts: list[str] = []
    people: list[PersonRecord] = []
    with ExportSource(EXPORT) as source:
        for record in importer.iter_records(source):
            if isinstance(record, MessageRecord) and record.text:
                texts.append(record.text)
            elif isinstance(record, PersonRecord):
                people.append(record)
    print(f"{len(texts)} message texts, {len(people)} people from {EXPORT}")

    batch = list(itertools.islice(itertools.cycle(texts), args.messages))

    started = time.perf_counter()
    found = sum(len(find_redactions(text)) for text in batch)
    redaction_s = time.perf_counter() - started
    print(f"find_redactions: {len(batch)} messages in {redaction_s:.2f} s, {found} spans")

    forms = [
        NameForms(
            label=pseudonym_label(index, language="en"),
            names=(person.display_name,),
            handles=tuple(h for h in (person.handle, person.key) if h),
            emails=(person.email,) if person.email else (),
        )
        for index, person in enumerate(people)
    ]
    started = time.perf_counter()
    pseudonymiser = Pseudonymiser(forms)
    for text in batch:
        pseudonymiser.apply(text)
    pseudonymise_s = time.perf_counter() - started
    print(f"Pseudonymiser ({len(forms)} people): {pseudonymise_s:.2f} s")

    started = time.perf_counter()
    for text in batch:
        detect_out_of_scope(text)
    out_of_scope_s = time.perf_counter() - started
    print(f"detect_out_of_scope: {out_of_scope_s:.2f} s")

    print(
        json.dumps(
            {
                "messages": len(batch),
                "distinct_texts": len(texts),
                "redaction_messages_per_s": round(len(batch) / redaction_s),
                "redactions_found": found,
                "pseudonymise_messages_per_s": round(len(batch) / pseudonymise_s),
                "out_of_scope_messages_per_s": round(len(batch) / out_of_scope_s),
            }
        )
    )


if __name__ == "__main__":
    main()
