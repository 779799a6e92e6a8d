"""Batched inserts with row counts, timings and progress bars.

Two ways in, both sending no signals (so the bulk load writes no history rows):

- `Writer.insert` is `bulk_create`, for the tables whose rows are built as model objects
  (people, clients, projects, their teams, opportunities).
- `Writer.table(...)` inserts plain tuples into the high-volume tables (contacts, interactions,
  their participants, workday locations). `bulk_create` spends most of its time preparing each
  value of each model object in Python (about 250 µs a row here against 50 µs for the insert
  itself); at a million interactions and nearly three million participant rows that was most
  of the build. SQLite gets multi-row INSERT statements, PostgreSQL gets COPY. The database
  assigns the ids either way: RETURNING on SQLite (read in row order, as bulk_create does),
  the table's own sequence on PostgreSQL.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TextIO, TypeVar

from django.conf import settings
from django.db import connection, models, reset_queries
from django.db.models import DateField, DateTimeField, Field
from django.utils import timezone
from tqdm import tqdm

M = TypeVar("M", bound=models.Model)

BATCH_SIZE = 2_000
# Rows per INSERT statement of the lean path: more rows per statement stop paying off here.
ROWS_PER_STATEMENT = 100


class Writer:
    def __init__(self, *, progress: bool, out: TextIO | None = None) -> None:
        self.progress = progress
        self.out = out or sys.stderr
        self.rows: dict[str, int] = {}
        self.seconds: dict[str, float] = {}
        # Wall time of each step of the build, generation included.
        self.steps: dict[str, float] = {}
        self.started = time.perf_counter()

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.steps[label] = self.steps.get(label, 0.0) + time.perf_counter() - began

    def record(self, label: str, rows: int, began: float) -> None:
        self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - began
        self.rows[label] = self.rows.get(label, 0) + rows
        # In DEBUG mode Django keeps the text of every query; a bulk load must not.
        reset_queries()

    def insert(self, model: type[M], objs: Sequence[M]) -> Sequence[M]:
        """bulk_create objs; the database assigns their ids, which are set on the objects."""
        began = time.perf_counter()
        if objs:
            model._default_manager.bulk_create(objs, batch_size=BATCH_SIZE)
        self.record(model._meta.label, len(objs), began)
        return objs

    def update_column(
        self, model: type[models.Model], name: str, pairs: Sequence[tuple[Any, Any]]
    ) -> None:
        """Set one column of existing rows from (value, id) pairs: ids of rows inserted later.

        One prepared UPDATE run for every pair; bulk_update's CASE expressions cost far more.
        """
        began = time.perf_counter()
        if pairs:
            quote = connection.ops.quote_name
            column = str(model._meta.get_field(name).column)  # type: ignore[union-attr]
            mark = "?" if connection.vendor == "sqlite" else "%s"
            sql = (
                f"UPDATE {quote(model._meta.db_table)} SET {quote(column)} = {mark} "
                f"WHERE {quote(str(model._meta.pk.column))} = {mark}"
            )
            _raw_cursor().executemany(sql, pairs)
        self.record(model._meta.label, 0, began)

    def table(self, model: type[models.Model], fields: Sequence[str]) -> Table:
        return Table(self, model, fields)

    def bar(self, description: str, total: int) -> tqdm:
        return tqdm(
            total=total,
            desc=f"{description:<22}",
            unit=" rows",
            unit_scale=True,
            disable=not self.progress,
            file=self.out,
            mininterval=0.5,
        )

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def report(self) -> list[str]:
        """Rows and insert rates per table, then the overall rate of the whole build."""
        lines = [f"{'table':<36} {'rows':>10} {'insert s':>9} {'rows/s':>10}"]
        for label, rows in self.rows.items():
            seconds = self.seconds.get(label, 0.0)
            rate = rows / seconds if seconds else 0.0
            lines.append(f"{label:<36} {rows:>10,} {seconds:>9.1f} {rate:>10,.0f}")
        elapsed, total = self.elapsed, self.total_rows
        rate = total / elapsed if elapsed else 0.0
        label = "total, with generation (wall time)"
        lines.append(f"{label:<36} {total:>10,} {elapsed:>9.1f} {rate:>10,.0f}")
        if self.steps:
            steps = ", ".join(f"{name} {seconds:.1f}" for name, seconds in self.steps.items())
            lines.append(f"steps, wall s: {steps}")
        return lines


class Table:
    """Multi-row INSERTs of tuples into one model's table, on SQLite and PostgreSQL.

    Rows hold the values of `fields` in order, as Python values; dates and datetimes are
    adapted for the database here, as Django would. Columns not listed get their defaults
    (evaluated once), so a column added later with a default needs no change here.
    """

    def __init__(self, writer: Writer, model: type[models.Model], fields: Sequence[str]) -> None:
        self.writer = writer
        self.label = model._meta.label
        opts = model._meta
        given: list[Field[Any, Any]] = []
        for name in fields:
            field = opts.get_field(name)
            if not isinstance(field, Field) or not field.concrete:
                raise ValueError(f"{self.label}.{name} is not a column")
            given.append(field)
        rest = [f for f in opts.concrete_fields if not f.primary_key and f not in given]
        now = timezone.now()
        defaults = []
        for field in rest:
            value = now if getattr(field, "auto_now", False) else field.get_default()
            defaults.append(field.get_db_prep_save(value, connection))
        self.defaults = tuple(defaults)
        ops = connection.ops
        adapt_datetime = ops.adapt_datetimefield_value
        if connection.vendor == "sqlite" and settings.USE_TZ:
            # What Django's SQLite adapter does to an aware datetime, without its checks, which
            # cost more than the insert itself here.
            zone = connection.timezone

            def adapt_datetime(value: Any) -> Any:
                if value.tzinfo is not zone:
                    value = value.astimezone(zone)
                return str(value.replace(tzinfo=None))

        self.adapters = [
            (index, adapt_datetime)
            if isinstance(field, DateTimeField)
            else (index, ops.adapt_datefield_value)
            for index, field in enumerate(given)
            if isinstance(field, DateField)
        ]
        quote = ops.quote_name
        self.db_table, self.pk_column = opts.db_table, str(opts.pk.column)
        self.table = quote(opts.db_table)
        self.columns = [quote(str(f.column)) for f in [*given, *rest]]
        # PostgreSQL loads with COPY, by far its fastest way in; SQLite with INSERT statements.
        self.copy = connection.vendor == "postgresql"
        placeholder = "?" if connection.vendor == "sqlite" else "%s"
        self.one = "(" + ", ".join([placeholder] * len(self.columns)) + ")"
        self.head = f"INSERT INTO {self.table} ({', '.join(self.columns)}) VALUES "
        self.returning = f" RETURNING {quote(self.pk_column)}"
        self.per_statement = max(1, min(ROWS_PER_STATEMENT, _max_params() // len(self.columns)))

    def _values(self, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        if not self.adapters:
            return [(*row, *self.defaults) for row in rows]
        values = []
        for row in rows:
            items = list(row)
            for index, adapt in self.adapters:
                if items[index] is not None:
                    items[index] = adapt(items[index])
            values.append((*items, *self.defaults))
        return values

    def insert(self, rows: Sequence[Sequence[Any]]) -> None:
        """Insert rows whose ids nobody needs."""
        began = time.perf_counter()
        if rows:
            values = self._values(rows)
            if self.copy:
                self._copy(self.columns, values)
            else:
                _raw_cursor().executemany(self.head + self.one, values)
        self.writer.record(self.label, len(rows), began)

    def insert_returning_ids(self, rows: Sequence[Sequence[Any]]) -> list[int]:
        """Insert rows and return the ids the database gave them, in order."""
        began = time.perf_counter()
        values = self._values(rows)
        if self.copy:
            ids = self._reserve_ids(len(values))
            with_ids = [(pk, *row) for pk, row in zip(ids, values, strict=True)]
            self._copy([connection.ops.quote_name(self.pk_column), *self.columns], with_ids)
        else:
            ids = self._insert_returning(values)
        self.writer.record(self.label, len(rows), began)
        return ids

    def _insert_returning(self, values: list[tuple[Any, ...]]) -> list[int]:
        """Multi-row INSERT ... RETURNING, whose ids come back in row order (bulk_create reads
        them the same way)."""
        ids: list[int] = []
        cursor = _raw_cursor()
        statements: dict[int, str] = {}
        for start in range(0, len(values), self.per_statement):
            chunk = values[start : start + self.per_statement]
            sql = statements.get(len(chunk))
            if sql is None:
                sql = self.head + ", ".join([self.one] * len(chunk)) + self.returning
                statements[len(chunk)] = sql
            cursor.execute(sql, [value for row in chunk for value in row])
            ids.extend(row[0] for row in cursor.fetchall())
        return ids

    def _reserve_ids(self, count: int) -> list[int]:
        """Take `count` ids from the table's own sequence, as inserts would."""
        cursor = _raw_cursor()
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [self.db_table, self.pk_column, count],
        )
        return [row[0] for row in cursor.fetchall()]

    def _copy(self, columns: list[str], values: list[tuple[Any, ...]]) -> None:
        cursor = _raw_cursor()
        with cursor.copy(f"COPY {self.table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)


def _raw_cursor() -> Any:
    """The driver's own cursor: it shares the connection, and so the transaction, with Django
    but skips its per-query bookkeeping (and the DEBUG query log)."""
    connection.ensure_connection()
    return connection.connection.cursor()


def _max_params() -> int:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        raw: Any = connection.connection
        return int(raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    if connection.vendor == "postgresql":
        return 65_535
    return connection.features.max_query_params or 999
