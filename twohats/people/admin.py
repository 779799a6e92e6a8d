from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from twohats.people.models import ApiToken, Practice, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "get_full_name", "email", "role", "practice", "is_active")
    list_filter = ("role", "practice", "is_active")
    search_fields = ("username", "first_name", "last_name", "email")
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        ("Twohats", {"fields": ("role", "practice", "title", "time_zone", "capacity_hours")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("Twohats", {"fields": ("role", "practice", "email", "first_name", "last_name")}),
    )

    def save_model(self, request: HttpRequest, obj: User, form: object, change: bool) -> None:
        # The admin role is what grants the administration pages.
        obj.is_staff = obj.role == "admin" or obj.is_superuser
        super().save_model(request, obj, form, change)


@admin.register(Practice)
class PracticeAdmin(admin.ModelAdmin):
    list_display = ("name", "lead")
    search_fields = ("name",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "hint", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    readonly_fields = ("hint", "digest", "last_used_at", "revoked_at")
