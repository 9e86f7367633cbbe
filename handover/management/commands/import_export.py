"""``python manage.py import_export PATH --owner USERNAME [--format F]``: import in this process."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from core.selectors import find_user_by_username
from handover.imports import pipeline, services
from handover.models import Source


class Command(BaseCommand):
    help = (
        "Import a chat or mail export (a zip, a folder or a file) for a user, in this process "
        "(not through the broker), with a progress bar; prints the report."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The export: a zip file, a folder or a single file.")
        parser.add_argument("--owner", required=True, help="Username of the owner of the import.")
        parser.add_argument(
            "--format", dest="format", default=None, help="Read as this format (default: detect)."
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not show the progress bar."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        owner = find_user_by_username(username=options["owner"])
        if owner is None:
            raise CommandError(f"No user named {options['owner']!r}.")
        try:
            source = services.submit_export(
                owner=owner, path=options["path"], format=options["format"], schedule=False
            )
        except services.ImportRejectedError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Importing {source.original_name} as {source.format} (import {source.pk})"
        )
        bars: list[tqdm] = []

        def show(progress: pipeline.ImportProgress) -> None:
            # Messages when their total is known (IMPORT_COUNT_FIRST), else bytes read.
            by_messages = progress.messages_total is not None
            if not bars:
                bars.append(
                    tqdm(
                        total=progress.messages_total if by_messages else progress.bytes_total,
                        unit="msg" if by_messages else "B",
                        unit_scale=not by_messages,
                        disable=options["no_progress"],
                        file=sys.stderr,
                        dynamic_ncols=True,
                    )
                )
            bar = bars[0]
            done = progress.messages_done if by_messages else progress.bytes_done
            bar.update(max(0, done - bar.n))
            if not by_messages:
                bar.set_postfix(messages=progress.messages_done, refresh=False)

        try:
            finished = pipeline.run_import(source_id=source.pk, on_progress=show)
        finally:
            for bar in bars:
                bar.close()
        if finished is None:
            raise CommandError(f"Import {source.pk} was taken over by another process.")
        self._print_report(finished)
        if finished.status != Source.Status.SUCCEEDED:
            raise CommandError(finished.error or f"The import ended as {finished.status}.")

    def _print_report(self, source: Source) -> None:
        report = source.report or {}
        totals = report.get("totals", {})
        self.stdout.write(
            f"Status: {source.status}. Messages: {totals.get('new', 0)} new, "
            f"{totals.get('updated', 0)} updated, {totals.get('unchanged', 0)} unchanged."
        )
        conversations = report.get("conversations", {})
        for entry in sorted(conversations.values(), key=lambda e: str(e.get("name"))):
            self.stdout.write(
                f"  {entry['name']}: {entry['new']} new, {entry['updated']} updated, "
                f"{entry['unchanged']} unchanged"
            )
        skipped = report.get("skipped", [])
        if skipped:
            self.stdout.write(f"Skipped {report.get('skipped_count', len(skipped))}:")
            for item in skipped:
                self.stdout.write(f"  {item['location']}: {item['reason']}")
