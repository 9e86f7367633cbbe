"""``python manage.py reindex [--embed-only | --no-embed] [--switch-model]``: rebuild the
Q&A index in this process, with a progress bar on stderr and a summary line."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from qa.embeddings import EmbeddingModelError
from qa.rebuild import RebuildSummary, model_switch_state, rebuild_index, start_model_switch
from qa.tasks import embed_pending_task

_STAGES = {"pages": ("re-chunking pages", "page"), "embedding": ("embedding chunks", "chunk")}


class Command(BaseCommand):
    help = (
        "Re-chunk every wiki page, recompute the keyword statistics from the postings and "
        "embed the chunks missing from the active index. With --switch-model, also start "
        "re-embedding everything for the configured EMBEDDING_MODEL in the background when "
        "it is not the active index's (the old index answers until the switch)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        steps = parser.add_mutually_exclusive_group()
        steps.add_argument(
            "--embed-only",
            action="store_true",
            help="Only embed the chunks missing from the active index (no re-chunking).",
        )
        steps.add_argument(
            "--no-embed",
            action="store_true",
            help="Re-chunk and repair, and leave the embedding to the worker (queued).",
        )
        parser.add_argument(
            "--switch-model",
            action="store_true",
            help="Start building an index for the configured model if it differs from the "
            "active one; the worker embeds into it and switches when done.",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        bars: dict[str, tqdm] = {}
        # The stream under Django's wrapper: tqdm redraws with carriage returns.
        stream = getattr(self.stderr, "_out", self.stderr)

        def show(stage: str, done: int, total: int) -> None:
            bar = bars.get(stage)
            if bar is None:
                for other in bars.values():
                    other.close()
                label, unit = _STAGES[stage]
                bar = bars[stage] = tqdm(
                    total=total,
                    desc=label,
                    unit=unit,
                    file=stream,
                    disable=options["no_progress"],
                    dynamic_ncols=True,
                    mininterval=0.2,
                )
            bar.total = max(total, done)
            bar.update(done - bar.n)

        try:
            summary = rebuild_index(
                rechunk=not options["embed_only"], embed=not options["no_embed"], progress=show
            )
        except EmbeddingModelError as error:
            raise CommandError(str(error)) from error
        finally:
            for bar in bars.values():
                bar.close()
        if options["no_embed"]:
            embed_pending_task.delay()
        self.stdout.write(self._summary(summary, queued=options["no_embed"]))
        if options["switch_model"]:
            self._switch()
        elif model_switch_state()["state"] == "switch_needed":
            self.stdout.write(
                "Note: EMBEDDING_MODEL is not the active index's model; run "
                "`manage.py reindex --switch-model` to re-embed for it (queries use the "
                "active index until then)."
            )

    def _summary(self, summary: RebuildSummary, *, queued: bool) -> str:
        parts = []
        if summary.stats is not None:
            stats = summary.stats
            parts.append(
                f"{summary.pages} pages re-chunked ({summary.chunks_changed} chunks new or "
                f"changed, {summary.chunks_dropped} orphan chunks dropped)"
            )
            parts.append(
                f"keyword statistics: {stats.terms_corrected} term frequencies and "
                f"{stats.lengths_corrected} chunk lengths corrected, {stats.terms_removed} "
                f"unused terms removed, corpus totals "
                + ("corrected" if stats.corpus_corrected else "exact")
            )
        if queued:
            parts.append("embedding queued for the worker")
        elif summary.index is not None:
            parts.append(
                f"{summary.embedded} chunks embedded into index {summary.index.pk} "
                f"({summary.index.model_name})"
            )
        return "Reindexed: " + "; ".join(parts) + "."

    def _switch(self) -> None:
        try:
            switch = start_model_switch()
        except EmbeddingModelError as error:
            raise CommandError(str(error)) from error
        if switch.state == "current":
            self.stdout.write(
                f"Model: the active index {switch.active.pk} is already "
                f"{switch.active.model_name}; nothing to switch."
            )
            return
        building = switch.building
        verb = "Started" if switch.state == "started" else "Resumed"
        self.stdout.write(
            f"{verb} building index {building.pk} for {building.model_name} "
            f"({building.dimension} dimensions) on the worker; index {switch.active.pk} "
            f"({switch.active.model_name}) answers until it switches."
        )
