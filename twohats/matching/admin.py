"""Erasure records are read-only in the admin: they are the proof an erasure happened. Profiles
and answers are not in the admin at all, so that nobody reads them outside the pages' rules and
no admin log row keeps a trace of them."""

from django.contrib import admin
from django.http import HttpRequest

from twohats.matching.models import Erasure


@admin.register(Erasure)
class ErasureAdmin(admin.ModelAdmin[Erasure]):
    list_display = ["subject", "erased_at", "erased_by", "profiles", "answers"]
    list_select_related = ["erased_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Erasure | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Erasure | None = None) -> bool:
        return False
