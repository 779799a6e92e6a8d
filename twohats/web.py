"""Helpers shared by the HTML views: access, lists with CSV export, history."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from auditlog.models import LogEntry
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db import models
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from twohats.clients.models import Client
from twohats.people.models import User
from twohats.writes import StaleRecordError, record_delete, record_set_archived

M = TypeVar("M", bound=models.Model)

PAGE_SIZE = 25


def user_of(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # every view is behind login
    return user


def get_visible(model: type[M], request: HttpRequest, pk: int, *related: str) -> M:
    """The record if the user may see it, else 404 (existence is never revealed)."""
    queryset = model._default_manager.visible_to(user_of(request))  # type: ignore[attr-defined]
    if related:
        queryset = queryset.select_related(*related)
    return get_object_or_404(queryset, pk=pk)


def can_edit(model: type[models.Model], request: HttpRequest, pk: int) -> bool:
    manager: Any = model._default_manager
    return bool(manager.editable_by(user_of(request)).filter(pk=pk).exists())


def get_editable(model: type[M], request: HttpRequest, pk: int, *related: str) -> M:
    """The record if the user may change it; 404 if they may not see it, 403 if only see it."""
    obj = get_visible(model, request, pk, *related)
    if not can_edit(model, request, pk):
        raise PermissionDenied("You may see this record but not change it.")
    return obj


def require_writer(request: HttpRequest) -> User:
    user = user_of(request)
    if user.is_read_only:
        raise PermissionDenied("Executives read the portfolio; they do not change records.")
    return user


Column = tuple[str, Callable[[Any], Any]]


def csv_response(
    rows: Iterable[Any], columns: Sequence[Column], filename: str
) -> StreamingHttpResponse:
    """Stream a CSV of `rows` (a queryset is read in chunks, never all at once)."""

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow([header for header, _ in columns])
        iterator = rows.iterator(chunk_size=2000) if isinstance(rows, models.QuerySet) else rows
        for row in iterator:
            yield writer.writerow([_csv_value(get(row)) for _, get in columns])

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
    return response


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    # Neutralise spreadsheet formulas in exported text.
    if text[:1] in ("=", "+", "-", "@") and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def paginate(request: HttpRequest, queryset: Any, per_page: int = PAGE_SIZE) -> Page:
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def list_page(
    request: HttpRequest,
    *,
    filterset: Any,
    template: str,
    columns: Sequence[Column],
    filename: str,
    context: dict[str, Any] | None = None,
) -> HttpResponseBase:
    """A filtered list: the HTML page, or the same rows as CSV with ?format=csv."""
    # An invalid filter shows its error and no rows, never everything.
    rows = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    if request.GET.get("format") == "csv":
        return csv_response(rows, columns, filename)
    query = request.GET.copy()
    query.pop("page", None)
    ctx = {
        "filter": filterset,
        "page": paginate(request, rows),
        "query": query.urlencode(),
        **(context or {}),
    }
    return render(request, template, ctx)


def history_of(obj: models.Model, limit: int = 50) -> list[LogEntry]:
    content_type = ContentType.objects.get_for_model(type(obj))
    return list(
        LogEntry.objects.filter(content_type=content_type, object_pk=str(obj.pk))
        .select_related("actor")
        .order_by("-timestamp")[:limit]
    )


def add_errors(form: Any, error: ValidationError | StaleRecordError) -> None:
    """Show a service's error on the form: on the field it names, or above the form."""
    if isinstance(error, StaleRecordError):
        form.add_error(None, str(error))
        return
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.message_dict.items():
        target = name if name in form.fields else None
        for message in errors:
            label = "" if target or name == NON_FIELD_ERRORS else f"{name.replace('_', ' ')}: "
            form.add_error(target, f"{label}{message}")


def save_form(
    request: HttpRequest,
    form: Any,
    save: Callable[[Any], models.Model],
    *,
    template: str,
    message: str,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """The usual form round trip: on a valid POST call the service and go to the record;
    otherwise (or when the service refuses) show the form with its errors; nothing is written."""
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form)
        except (ValidationError, StaleRecordError) as error:
            add_errors(form, error)
        else:
            messages.success(request, message)
            return redirect(saved.get_absolute_url())  # type: ignore[attr-defined]
    status = 400 if request.method == "POST" else 200
    return render(request, template, {"form": form, **(context or {})}, status=status)


def archive_toggle(request: HttpRequest, model: type[models.Model], pk: int) -> HttpResponse:
    """POST archive=1 archives, archive=0 restores; both need edit rights."""
    obj = get_editable(model, request, pk)
    archive = request.POST.get("archive", "1") == "1"
    record_set_archived(obj, actor=user_of(request), archived=archive)
    name = str(model._meta.verbose_name).capitalize()
    messages.success(request, f"{name} {'archived' if archive else 'restored'}.")
    return redirect(obj.get_absolute_url())  # type: ignore[attr-defined]


def confirm_delete(
    request: HttpRequest,
    obj: models.Model,
    *,
    allowed: bool,
    consequence: str,
    cancel_url: str,
    done_url: str,
) -> HttpResponse:
    if not allowed:
        raise PermissionDenied("You may not delete this record.")
    what = obj._meta.verbose_name
    if request.method == "POST":
        name = str(obj)
        record_delete(obj, actor=user_of(request))
        messages.success(request, f"The {what} “{name}” was deleted.")
        return redirect(done_url)
    context = {"object": obj, "what": what, "consequence": consequence, "cancel_url": cancel_url}
    return render(request, "confirm_delete.html", context)


def client_param(request: HttpRequest, *, rights: str, refusal: str) -> Client:
    """The client a new record is for, named by ?client= or the posted `client`.

    404 if the user may not see it; 403 unless the user has `rights` on it: "edit" (account
    lead, director, admin) or "work" (also the managers of its projects)."""
    user = user_of(request)
    raw = str(request.GET.get("client") or request.POST.get("client") or "")
    client = get_object_or_404(Client.objects.visible_to(user), pk=int(raw) if raw.isdigit() else 0)
    allowed = (
        Client.objects.editable_by(user) if rights == "edit" else Client.objects.workable_by(user)
    )
    if not allowed.filter(pk=client.pk).exists():
        raise PermissionDenied(refusal)
    return client
