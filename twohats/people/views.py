from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from twohats.people.filters import WorkdayLocationFilter
from twohats.people.forms import ApiTokenForm, ProfileForm, WorkdayForm, WorkdayRangeForm
from twohats.people.models import ApiToken, User, WorkdayLocation
from twohats.people.services import api_token_create, api_token_revoke, workday_set_range
from twohats.web import (
    add_errors,
    confirm_delete,
    get_editable,
    history_of,
    list_page,
    require_writer,
    save_form,
    user_of,
)
from twohats.writes import record_update

WORKDAY_COLUMNS = [
    ("date", lambda w: w.date),
    ("person", lambda w: w.user),
    ("where", lambda w: w.get_kind_display()),
    ("client", lambda w: w.client.name if w.client else ""),
    ("note", lambda w: w.note),
]


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        record_update(user, actor=user, fields=form.cleaned_data)
        messages.success(request, "Profile saved.")
        return redirect("profile")
    return render(request, "people/profile.html", _profile_context(user, form=form))


def _profile_context(user: User, **extra: object) -> dict[str, object]:
    return {
        "tokens": list(ApiToken.objects.filter(user=user)),
        "token_form": ApiTokenForm(),
        **extra,
    }


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    form = ApiTokenForm(request.POST)
    raw = None
    if form.is_valid():
        try:
            _, raw = api_token_create(user=user, name=form.cleaned_data["name"])
        except ValidationError as error:
            add_errors(form, error)
    context = _profile_context(user, form=ProfileForm(instance=user), new_token=raw)
    if raw is None:
        context["token_form"] = form
    return render(request, "people/profile.html", context, status=200 if raw else 400)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=user_of(request))
    api_token_revoke(token=token)
    messages.success(request, f"Token “{token.name}” revoked; it no longer works.")
    return redirect("profile")


@login_required
def workday_list(request: HttpRequest) -> HttpResponseBase:
    user = user_of(request)
    data = request.GET.copy()
    if not data.get("user") and not (user.sees_everything or user.is_director):
        data["user"] = str(user.pk)
    queryset = WorkdayLocation.objects.visible_to(user).select_related("user", "client")
    people = (
        User.objects.filter(
            pk__in=WorkdayLocation.objects.visible_to(user).values("user_id").distinct()
        )
        if (user.sees_everything or user.is_director)
        else None
    )
    return list_page(
        request,
        filterset=WorkdayLocationFilter(data, queryset=queryset),
        template="people/workday_list.html",
        columns=WORKDAY_COLUMNS,
        filename="workdays",
        context={"people": people},
    )


@login_required
def workday_create(request: HttpRequest) -> HttpResponse:
    actor = require_writer(request)
    form = WorkdayRangeForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = workday_set_range(
                actor=actor,
                user=data["user"],
                start=data["start"],
                end=data["end"],
                kind=data["kind"],
                client=data["client"],
                note=data["note"],
                include_weekends=data["include_weekends"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"{len(saved)} day(s) recorded for {data['user']}.")
            return redirect(f"{saved[0].get_absolute_url()}")
    status = 400 if request.method == "POST" else 200
    return render(request, "people/workday_form.html", {"form": form}, status=status)


@login_required
def workday_edit(request: HttpRequest, pk: int) -> HttpResponse:
    day = get_editable(WorkdayLocation, request, pk, "user")
    actor = user_of(request)
    form = WorkdayForm(request.POST or None, instance=day, actor=actor)
    return save_form(
        request,
        form,
        lambda form: record_update(day, actor=actor, fields=form.cleaned_data),
        template="people/workday_form.html",
        message="Day saved.",
        context={"day": day, "history": history_of(day)},
    )


@login_required
def workday_delete(request: HttpRequest, pk: int) -> HttpResponse:
    day = get_editable(WorkdayLocation, request, pk, "user")
    return confirm_delete(
        request,
        day,
        allowed=True,
        consequence="",
        cancel_url=day.get_absolute_url(),
        done_url=day.get_absolute_url(),
    )
