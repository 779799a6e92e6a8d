"""Shared mechanics of the services that write records.

Every write runs inside one transaction, names its actor for the history (auditlog), validates
the whole record (model `clean` and field validators) before saving, and, where two people can
edit the same record, refuses a save made from a stale copy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar, cast

from auditlog.context import set_actor
from django.db import connection, models, transaction
from django.utils import timezone

from twohats.people.models import User

M = TypeVar("M", bound=models.Model)


class StaleRecordError(Exception):
    """The record changed since the editor read it."""

    def __init__(self, instance: models.Model) -> None:
        name = instance._meta.verbose_name
        super().__init__(
            f"This {name} was changed by someone else since you opened it. "
            "Reload the page to see their changes, then make yours again."
        )


def record_create(
    model: type[M],
    *,
    actor: User,
    fields: Mapping[str, Any],
    m2m: Mapping[str, Iterable[Any]] | None = None,
) -> M:
    with set_actor(actor), transaction.atomic():
        instance = model(**fields)
        instance.full_clean()
        instance.save()
        for name, values in (m2m or {}).items():
            getattr(instance, name).set(list(values))
        return instance


def record_update(
    instance: M,
    *,
    actor: User,
    fields: Mapping[str, Any],
    m2m: Mapping[str, Iterable[Any]] | None = None,
    expected_version: int | None = None,
) -> M:
    """Apply `fields` to the current row, locked, after checking the editor's version."""
    model = instance._meta.model
    with set_actor(actor), transaction.atomic():
        current = model._default_manager.select_for_update().get(pk=instance.pk)
        version = getattr(current, "version", None)
        if expected_version is not None and version is not None and version != expected_version:
            raise StaleRecordError(current)
        for name, value in fields.items():
            setattr(current, name, value)
        if version is not None:
            current.version = version + 1  # type: ignore[attr-defined]
        current.full_clean()
        current.save()
        for name, values in (m2m or {}).items():
            getattr(current, name).set(list(values))
        return cast(M, current)


def record_set_archived(instance: M, *, actor: User, archived: bool) -> M:
    with set_actor(actor), transaction.atomic():
        current = instance._meta.model._default_manager.select_for_update().get(pk=instance.pk)
        current.archived_at = timezone.now() if archived else None  # type: ignore[attr-defined]
        current.version += 1  # type: ignore[attr-defined]
        current.save(update_fields=["archived_at", "version", "updated_at"])
        return cast(M, current)


def record_delete(instance: models.Model, *, actor: User) -> None:
    with set_actor(actor), transaction.atomic():
        instance.delete()


def bulk_insert(model: type[M], objs: list[M], *, batch_size: int = 2000) -> list[M]:
    """Insert many new rows at once and give each object its id, as `bulk_create` does (no
    signals, no history rows) but faster on PostgreSQL, where it loads with COPY: `bulk_create`
    there binds each column as an array, and escaping JSON text into arrays in Python costs
    many times the insert itself (20,000 health snapshots: 33 s against 2 s)."""
    if connection.vendor != "postgresql" or not objs:
        return model._default_manager.bulk_create(objs, batch_size=batch_size)
    opts = model._meta
    pk = opts.pk
    assert pk is not None
    fields = [field for field in opts.concrete_fields if field is not pk]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in [pk, *fields])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [opts.db_table, pk.column, len(objs)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        with cursor.cursor.copy(f"COPY {quote(opts.db_table)} ({columns}) FROM STDIN") as copy:
            for obj, pk_value in zip(objs, ids, strict=True):
                # Foreign keys to objects saved after they were assigned (as bulk_create does).
                obj._prepare_related_fields_for_save(operation_name="bulk_insert")  # type: ignore[attr-defined]
                for field in fields:
                    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                        field.pre_save(obj, add=True)
                obj.pk = pk_value
                copy.write_row(
                    [pk_value]
                    + [
                        field.get_db_prep_save(getattr(obj, field.attname), connection)
                        for field in fields
                    ]
                )
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs
