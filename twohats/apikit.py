"""Shared mechanics of the JSON API: authentication, error shapes, access lookups, list filters.

Every endpoint reads through `visible_to` (404 for what the user may not see) and writes only
what `editable_by` allows (403); ids named in a request body are resolved through the querysets
the user may use, and an id outside them is a 422 on that field, whether or not it exists.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Annotated, Any, ClassVar, Literal, Protocol, TypeVar, cast

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django_filters import FilterSet
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import CursorPagination, paginate
from ninja.security import APIKeyCookie, HttpBearer
from pydantic import ConfigDict, ValidationInfo, field_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from twohats.lib.records import Archivable
from twohats.people.models import Role, User
from twohats.people.services import api_token_authenticate
from twohats.writes import StaleRecordError, record_set_archived

M = TypeVar("M", bound=models.Model)
M_co = TypeVar("M_co", bound=models.Model, covariant=True)
A = TypeVar("A", bound=Archivable)

# Ids in requests: bounded so that no lookup overflows the database's integer columns, and
# lists of ids bounded so that no lookup outgrows the database's limit on parameters.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
IdList = Annotated[list[Id], Field(max_length=500)]

READ_ONLY_MESSAGE = "Executives have read-only access: this change is not allowed."

# ---------------------------------------------------------------------------------------------
# Authentication


class TokenAuth(HttpBearer):
    """A personal API token: `Authorization: Bearer th_…`."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = api_token_authenticate(token)
        if user is None:
            # A token was sent and is wrong: say so rather than fall back to a session.
            raise AuthenticationError(message="The API token is invalid or has been revoked.")
        request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The signed-in browser session; unsafe methods need the CSRF token as in any form."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> User | None:
        # Check CSRF only for a signed-in user, so that a request without any credentials
        # answers 401 rather than a CSRF failure.
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = request.user
        return user if isinstance(user, User) and user.is_authenticated else None


def current_user(request: HttpRequest) -> User:
    return cast(User, request.auth)  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------
# Errors


def invalid(field: str, message: str, source: str = "body") -> NinjaValidationError:
    """A 422 naming one field, shaped like the errors of the input schemas."""
    return NinjaValidationError([{"loc": [source, field], "msg": message, "type": "value_error"}])


def _validation_errors(exc: DjangoValidationError) -> list[dict[str, Any]]:
    if not hasattr(exc, "error_dict"):
        return [{"loc": ["body"], "msg": msg, "type": "value_error"} for msg in exc.messages]
    errors: list[dict[str, Any]] = []
    for field, messages in exc.message_dict.items():
        loc = ["body"] if field == NON_FIELD_ERRORS else ["body", field]
        errors.extend({"loc": loc, "msg": msg, "type": "value_error"} for msg in messages)
    return errors


def _schema_errors(exc: NinjaValidationError) -> list[dict[str, Any]]:
    # Every body is one schema argument named `payload`: leave its name out of the location so
    # schema errors and model errors both read ["body", "<field>"].
    errors: list[dict[str, Any]] = []
    for error in exc.errors:
        if "msg" not in error:
            # The cursor reports {"cursor": "Invalid Cursor"}: give it the common shape.
            errors.extend(
                {"loc": ["query", name], "msg": str(msg), "type": "value_error"}
                for name, msg in error.items()
                if name != "loc"
            )
            continue
        loc = list(error.get("loc", []))
        if loc[:2] == ["body", "payload"]:
            loc = ["body", *loc[2:]]
        errors.append({**error, "loc": loc})
    return errors


def install_error_handlers(api: NinjaAPI) -> None:
    def json(request: HttpRequest, status: int, detail: Any) -> HttpResponse:
        return api.create_response(request, {"detail": detail}, status=status)

    def schema_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return json(request, 422, _schema_errors(exc))

    def model_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return json(request, 422, _validation_errors(exc))

    def unauthenticated(request: HttpRequest, exc: Any) -> HttpResponse:
        message = str(exc)
        if message == "Unauthorized":
            message = (
                "Authentication required: send `Authorization: Bearer <token>` with a personal "
                "API token, or sign in."
            )
        return json(request, 401, message)

    def stale(request: HttpRequest, exc: Any) -> HttpResponse:
        return json(request, 409, str(exc))

    def forbidden(request: HttpRequest, exc: Any) -> HttpResponse:
        return json(request, 403, str(exc) or "You may not do this.")

    def too_big(request: HttpRequest, exc: Any) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        message = (
            f"The request body is larger than the limit of {limit} bytes "
            f"({limit // 1024} KiB, DATA_UPLOAD_MAX_MEMORY_SIZE)."
        )
        return json(request, 413, message)

    api.add_exception_handler(NinjaValidationError, schema_error)
    api.add_exception_handler(DjangoValidationError, model_error)
    api.add_exception_handler(AuthenticationError, unauthenticated)
    api.add_exception_handler(StaleRecordError, stale)
    api.add_exception_handler(PermissionDenied, forbidden)
    api.add_exception_handler(RequestDataTooBig, too_big)


# ---------------------------------------------------------------------------------------------
# Access


def refuse_read_only(user: User) -> None:
    if user.is_read_only:
        raise PermissionDenied(READ_ONLY_MESSAGE)


class Records(Protocol[M_co]):
    """A model's queryset, with its access rules: what a user may see and what they may change.

    Pass `Model.objects.all()` rather than the manager: mypy checks a queryset against this
    protocol, but types the methods of a manager built with `as_manager()` as Any.
    """

    def visible_to(self, user: User) -> QuerySet[M_co]: ...

    def editable_by(self, user: User) -> QuerySet[M_co]: ...


def get_visible(visible: QuerySet[M], pk: int) -> M:
    return get_object_or_404(visible, pk=pk)


def get_editable(user: User, records: Records[M], pk: int) -> M:
    """The record if the user may change it: 404 if they may not see it, 403 if only see it."""
    instance = get_object_or_404(records.visible_to(user), pk=pk)
    refuse_read_only(user)
    if not records.editable_by(user).filter(pk=pk).exists():
        name = instance._meta.verbose_name
        raise PermissionDenied(f"You may see this {name} but not change it.")
    return instance


def set_archived(user: User, records: Records[A], pk: int, *, archived: bool) -> None:
    """Archive or restore a record the user may edit; doing it twice changes nothing."""
    instance = get_editable(user, records, pk)
    if instance.is_archived != archived:
        record_set_archived(instance, actor=user, archived=archived)


def require_admin(user: User, records: Records[M], pk: int) -> M:
    instance = get_object_or_404(records.visible_to(user), pk=pk)
    if not user.is_admin:
        raise PermissionDenied("Only an administrator may delete a record for good.")
    return instance


def resolve(queryset: QuerySet[M], pk: int | None, field: str) -> M | None:
    """The record behind an id in the body, if the user may use it; else a 422 on the field."""
    if pk is None:
        return None
    instance = queryset.filter(pk=pk).first()
    if instance is None:
        name = queryset.model._meta.verbose_name
        raise invalid(field, f"No {name} with id {pk} that you may use here.")
    return instance


def resolve_many(queryset: QuerySet[M], pks: Iterable[int], field: str) -> list[M]:
    wanted = list(dict.fromkeys(pks))
    found = {obj.pk: obj for obj in queryset.filter(pk__in=wanted)}
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        name = queryset.model._meta.verbose_name_plural
        listed = ", ".join(str(pk) for pk in missing)
        raise invalid(field, f"No {name} with these ids that you may use here: {listed}.")
    return [found[pk] for pk in wanted]


def staff() -> QuerySet[User]:
    """Colleagues who can take part in work: active users other than executives."""
    return User.objects.filter(is_active=True).exclude(role=Role.EXECUTIVE)


def leads() -> QuerySet[User]:
    """Who may lead an account or manage a project: active PMs and directors."""
    return User.objects.filter(role__in=[Role.PM, Role.DIRECTOR], is_active=True)


def lead_or_self(user: User, pk: int | None, field: str) -> int:
    """The lead named in the body or, when left out, the user if they can lead."""
    if pk is not None:
        return pk
    if user.role in (Role.PM, Role.DIRECTOR):
        return int(user.pk)
    raise invalid(field, "Give the user id of a PM or director.")


# ---------------------------------------------------------------------------------------------
# Input schemas


class In(Schema):
    """A request body: unknown fields are refused, text is stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def refuse_null_characters(cls, value: Any) -> Any:
        # PostgreSQL cannot store them; say so rather than fail on saving.
        if isinstance(value, str) and "\x00" in value:
            raise PydanticCustomError("null_character", "Null characters are not allowed.")
        return value


class PartialIn(In):
    """A partial update: absent fields keep their value; null only where a field may be empty."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def refuse_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.nullable | {"version"}:
            raise PydanticCustomError(
                "null_not_allowed", "This field cannot be null; leave it out to keep its value."
            )
        return value

    def changes(self) -> dict[str, Any]:
        """The fields given in the request, except `version`."""
        return {name: getattr(self, name) for name in self.model_fields_set - {"version"}}


class PatchIn(PartialIn):
    """A partial update of a versioned record: a stale `version` is refused with 409."""

    version: int | None = Field(
        None,
        ge=1,
        le=2**31 - 1,
        description="The version you read; if it is no longer current: 409.",
    )


# ---------------------------------------------------------------------------------------------
# Lists


Archived = Literal["archived", "all"]
ARCHIVED_HELP = "Archived records are left out unless asked for: `archived` or `all`."


def _query_value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def filter_list(
    filterset_class: type[FilterSet], params: Schema, queryset: QuerySet[M]
) -> QuerySet[M]:
    """Filter a visible queryset with the same filterset as the HTML list and its CSV export."""
    data = {
        name: _query_value(value) for name, value in params.model_dump(exclude_none=True).items()
    }
    filterset = filterset_class(data=data, queryset=queryset)
    if not filterset.is_valid():
        raise NinjaValidationError(
            [
                {"loc": ["query", name], "msg": " ".join(messages), "type": "value_error"}
                for name, messages in filterset.errors.items()
            ]
        )
    return cast(QuerySet[M], filterset.qs)


class KeysetPagination(CursorPagination):
    """Ninja's cursor pagination, keyed on the id: stable under inserts, no count query."""

    def paginate_queryset(
        self, queryset: QuerySet, pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        # The cursor is opaque but not signed: refuse one that does not hold an id.
        try:
            cursor = self.Cursor.from_encoded_param(pagination.cursor)
        except (PydanticValidationError, NinjaValidationError):
            cursor = None
        if cursor is None or (cursor.p is not None and not re.fullmatch(r"[0-9]{1,18}", cursor.p)):
            raise invalid(
                "cursor", "Invalid cursor: follow the `next` or `previous` link.", "query"
            )
        return super().paginate_queryset(queryset, pagination, request, **params)


paginated: Callable[[Callable[..., Any]], Callable[..., Any]] = paginate(
    KeysetPagination,
    ordering=("id",),
    max_page_size=settings.NINJA_MAX_PER_PAGE_SIZE,
)
