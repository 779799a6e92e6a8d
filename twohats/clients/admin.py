from __future__ import annotations

from django.contrib import admin

from twohats.clients.models import Client, Contact


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "industry", "tier", "status", "account_lead", "archived_at")
    list_filter = ("industry", "tier", "status")
    search_fields = ("name",)
    raw_id_fields = ("account_lead", "primary_contact")


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("last_name", "first_name", "client", "title", "power", "interest", "stance")
    search_fields = ("last_name", "first_name", "email")
    raw_id_fields = ("client", "reports_to")
