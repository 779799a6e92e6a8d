from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from twohats.dashboards.selectors import search, today_for
from twohats.web import user_of


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboards/home.html", today_for(user_of(request)))


@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "")
    context = search(user_of(request), text) | {"q": text}
    return render(request, "dashboards/search.html", context)
