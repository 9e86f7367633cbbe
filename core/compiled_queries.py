"""Hot lookups whose queryset is compiled to SQL once per process and then run with new values.

Building and compiling a rich queryset (annotations, subqueries, ``select_related``) costs
the ORM several milliseconds of Python on every request, far more than PostgreSQL takes to
run it. A ``CompiledQuery`` builds its queryset once, with marker values standing in for
what changes between requests (a user's id, a path), compiles it, and remembers where each
marker landed among the SQL parameters. Each call then puts the real values there and runs
the same SQL, turning the rows into model instances exactly as the queryset would
(``ModelIterable``: the same columns, converters, ``select_related`` objects and
annotations). The SQL is the ORM's own, so the rules it encodes stay in one place.

A queryset qualifies when the values change only its parameters, never its shape (no
``None`` that turns ``=`` into ``IS NULL``, no list whose length shows in the SQL) and
every value keeps its type. A marker is never sent to the database: it only has to differ
from every other parameter of the query and lie within its field's range (the ORM leaves
an out-of-range integer out of the SQL, and then compiling says so).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: dict[str, tuple[tuple[int, type | None], ...]]
    db: str
    model: type[Model]
    init_list: tuple[str, ...]
    model_fields: slice
    related_populators: tuple[Any, ...]
    annotations: tuple[tuple[str, int], ...]
    converters: tuple[tuple[int, tuple[Callable, ...], Any], ...]
    col_count: int


class CompiledQuery(Generic[M]):
    """``build(**markers)`` compiled once; ``first(**values)`` runs it with ``values``.

    ``markers`` maps each name ``build`` takes to a value that occurs nowhere else in the
    query's parameters (compiling fails loudly otherwise); ``values`` must give every
    name a value of the same type.
    """

    def __init__(self, build: Callable[..., QuerySet[M]], **markers: Any) -> None:
        self._build = build
        self._markers = markers
        self._compiled: _Compiled | None = None
        self._counting: _Counting | None = None
        self._lock = threading.Lock()

    def first(self, **values: Any) -> M | None:
        """The first row's instance for ``values``, or None (the queryset's own order)."""
        rows = self.all(**values)
        return rows[0] if rows else None

    def all(self, **values: Any) -> list[M]:
        """Every row's instance for ``values``, as ``list(build(**values))`` would give."""
        compiled = self._compiled or self._compile()
        connection = connections[compiled.db]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, _bind(compiled.params, compiled.slots, values))
            rows = cursor.fetchall()
        return [self._instance(compiled, connection, row) for row in rows]

    def count(self, **values: Any) -> int:
        """How many rows ``values`` give, as ``build(**values).count()`` would answer."""
        compiled = self._counting or self._compile_count()
        with connections[compiled.db].cursor() as cursor:
            cursor.execute(compiled.sql, _bind(compiled.params, compiled.slots, values))
            return int(cursor.fetchone()[0])

    @staticmethod
    def _instance(compiled: _Compiled, connection: Any, row: tuple) -> M:
        # ModelIterable.__iter__ and SQLCompiler.apply_converters, on a compiled query.
        row = list(row[: compiled.col_count])
        for position, converters, expression in compiled.converters:
            value = row[position]
            for converter in converters:
                value = converter(value, expression, connection)
            row[position] = value
        obj = compiled.model.from_db(compiled.db, compiled.init_list, row[compiled.model_fields])
        for populator in compiled.related_populators:
            populator.populate(row, obj)
        for name, position in compiled.annotations:
            setattr(obj, name, row[position])
        return obj

    def _compile(self) -> _Compiled:
        with self._lock:
            if self._compiled is None:
                self._compiled = self._compile_now()
            return self._compiled

    def _compile_now(self) -> _Compiled:
        queryset = self._build(**self._markers)
        if queryset._known_related_objects or queryset._prefetch_related_lookups:
            raise ImproperlyConfigured("a CompiledQuery cannot prefetch or know related objects")
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        slots = _slots(params, self._markers)
        select, klass_info = compiler.select, compiler.klass_info
        fields = [column[0] for column in select[: compiler.col_count]]
        if compiler.has_composite_fields(fields):
            raise ImproperlyConfigured("a CompiledQuery cannot select composite fields")
        select_fields = klass_info["select_fields"]
        start, end = select_fields[0], select_fields[-1] + 1
        converters = tuple(
            (position, tuple(functions), expression)
            for position, (functions, expression) in compiler.get_converters(fields).items()
        )
        return _Compiled(
            sql=sql,
            params=tuple(params),
            slots=slots,
            db=queryset.db,
            model=klass_info["model"],
            init_list=tuple(column[0].target.attname for column in select[start:end]),
            model_fields=slice(start, end),
            related_populators=tuple(get_related_populators(klass_info, select, queryset.db)),
            annotations=tuple(compiler.annotation_col_map.items()),
            converters=converters,
            col_count=compiler.col_count,
        )

    def _compile_count(self) -> _Counting:
        with self._lock:
            if self._counting is None:
                # COUNT(*) over the queryset's own rows, unordered: whatever its filters,
                # annotations, DISTINCT or slice, the rows counted are the rows it gives.
                queryset = self._build(**self._markers).order_by()
                if queryset._prefetch_related_lookups:
                    raise ImproperlyConfigured("a CompiledQuery cannot prefetch")
                sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
                self._counting = _Counting(
                    sql=f"SELECT COUNT(*) FROM ({sql}) AS counted",  # noqa: S608 - ORM SQL
                    params=tuple(params),
                    slots=_slots(params, self._markers),
                    db=queryset.db,
                )
            return self._counting


@dataclass(frozen=True)
class _Counting:
    sql: str
    params: tuple[Any, ...]
    slots: dict[str, tuple[tuple[int, type | None], ...]]
    db: str


def _slots(params: Any, markers: dict[str, Any]) -> dict[str, tuple[tuple[int, type | None], ...]]:
    """Where each marker landed among ``params``: its positions and the type to wrap it in."""
    slots = {}
    for name, marker in markers.items():
        # The backend may have wrapped a value in a subclass that names its SQL type
        # (psycopg's Int4 in an IN list): the real value is wrapped the same way.
        positions = tuple(
            (i, None if type(param) is type(marker) else type(param))
            for i, param in enumerate(params)
            if isinstance(param, type(marker)) and param == marker
        )
        if not positions:
            raise ImproperlyConfigured(f"the marker of {name!r} is not among the parameters")
        slots[name] = positions
    taken = [position for positions in slots.values() for position, _cast in positions]
    if len(taken) != len(set(taken)):
        raise ImproperlyConfigured("two markers share a parameter: make them distinct")
    return slots


def _bind(
    params: tuple[Any, ...],
    slots: dict[str, tuple[tuple[int, type | None], ...]],
    values: dict[str, Any],
) -> list[Any]:
    """``params`` with each marker replaced by its value from ``values``."""
    if values.keys() != slots.keys():
        raise TypeError(f"expected values for {sorted(slots)}, got {sorted(values)}")
    bound = list(params)
    for name, positions in slots.items():
        value = values[name]
        for position, cast in positions:
            bound[position] = value if cast is None else cast(value)
    return bound
