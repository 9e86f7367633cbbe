"""The purge registry: every derived copy of consented content is deleted after a withdrawal.

Anything that derives rows, files or vectors from consented content registers one purge
step here, from its AppConfig.ready()::

    from handover.consent.purge import PurgeStep, register_purge_step

    register_purge_step(PurgeStep(
        name="qa.chunks",                      # unique, stable: recorded in job results
        label=gettext_lazy("Indexed passages"),  # what the deletion receipt lists
        run=purge_chunks,                      # (scope: PurgeScope) -> int removed
    ))

A step receives a ``PurgeScope`` and deletes what of its own the case no longer may
hold: the simplest correct step deletes every derived row of ``scope.case_id`` that
``handover.consent.read`` would no longer serve for the purpose it was derived for
(``scope.covered_for(purpose)`` gives the filter), so it is right however the consent
was narrowed. Steps must be idempotent: the job runs them again after a crash, and a
step already recorded as done is skipped. A step returns how many items it removed.
Steps run in registration order, each in its own transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.functional import Promise

from handover.consent.read import covered_q, live_grants


@dataclass(frozen=True)
class PurgeScope:
    """What a withdrawal took away from one case.

    ``whole_case``: everything was withdrawn (the case is withdrawn or its key destroyed).
    ``purposes``: the purposes whose grants ended (all of them for a whole case).
    ``conversation_ids`` / ``thread_ids``: scope taken out of the grants that remain.
    """

    case_id: int
    whole_case: bool = False
    purposes: frozenset[str] = field(default_factory=frozenset)
    conversation_ids: frozenset[int] = field(default_factory=frozenset)
    thread_ids: frozenset[int] = field(default_factory=frozenset)
    # Called after each batch a step deletes, so the job's heartbeat shows it is alive.
    heartbeat: Callable[[], None] | None = field(default=None, compare=False, repr=False)

    def covered_for(self, purpose: str | None, message_prefix: str = "message__") -> Q:
        """A filter for messages still served for ``purpose`` (any purpose when None)."""
        if self.whole_case:
            return Q(pk__in=[])
        grants = live_grants(case=self.case_id, purpose=purpose)
        return covered_q(grants, message_prefix=message_prefix)

    def as_json(self) -> dict:
        return {
            "case_id": self.case_id,
            "whole_case": self.whole_case,
            "purposes": sorted(self.purposes),
            "conversation_ids": sorted(self.conversation_ids),
            "thread_ids": sorted(self.thread_ids),
        }

    @classmethod
    def from_json(cls, data: dict) -> PurgeScope:
        return cls(
            case_id=int(data["case_id"]),
            whole_case=bool(data.get("whole_case")),
            purposes=frozenset(data.get("purposes", [])),
            conversation_ids=frozenset(int(i) for i in data.get("conversation_ids", [])),
            thread_ids=frozenset(int(i) for i in data.get("thread_ids", [])),
        )


@dataclass(frozen=True)
class PurgeStep:
    """One kind of derived copy and how to delete it."""

    name: str
    label: str | Promise
    run: Callable[[PurgeScope], int]


_steps: dict[str, PurgeStep] = {}


def register_purge_step(step: PurgeStep) -> None:
    """Add ``step`` to the registry; registering the same name twice is an error."""
    existing = _steps.get(step.name)
    if existing is not None and existing.run is not step.run:
        raise ValueError(f"a purge step named {step.name!r} is already registered")
    _steps[step.name] = step


def registered_purge_steps() -> list[PurgeStep]:
    """Every registered step, in registration order."""
    return list(_steps.values())


def delete_in_batches(queryset: QuerySet, scope: PurgeScope) -> int:
    """Delete ``queryset`` in batches of ``PURGE_BATCH_SIZE``, each its own transaction.

    Short transactions keep a large purge from locking the tables it cleans; the
    scope's heartbeat runs after each batch. Each batch starts after the last key the one
    before deleted, so the rows that stay are read once, not once a batch; past the end,
    it starts again from the first row, and returns only when a pass over the whole
    queryset finds nothing left. Returns how many rows were deleted (those of the
    queryset's own model, not cascades).
    """
    removed = 0
    model = queryset.model
    after = None
    while True:
        with transaction.atomic():
            batch = queryset if after is None else queryset.filter(pk__gt=after)
            ids = list(
                batch.order_by("pk").values_list("pk", flat=True)[: settings.PURGE_BATCH_SIZE]
            )
            if not ids and after is None:
                return removed
            if ids:
                _total, per_model = model.objects.filter(pk__in=ids).delete()
                removed += per_model.get(model._meta.label, 0)
        # Past the end: the next batch starts again from the first row.
        after = ids[-1] if ids else None
        if ids and scope.heartbeat is not None:
            scope.heartbeat()
