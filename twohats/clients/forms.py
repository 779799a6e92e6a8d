from __future__ import annotations

from typing import Any

from django import forms

from twohats.clients.models import Client, Contact
from twohats.forms import DateInput, TimeZoneField, VersionedModelForm, limit_choices
from twohats.people.models import Role, User


class ClientForm(VersionedModelForm):
    time_zone = TimeZoneField(help_text="The client's own zone: its working hours are in it.")

    class Meta:
        model = Client
        fields = [
            "name",
            "industry",
            "tier",
            "status",
            "account_lead",
            "primary_contact",
            "time_zone",
            "city",
            "country",
            "website",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, creator: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        leads = User.objects.filter(role__in=[Role.PM, Role.DIRECTOR], is_active=True)
        if creator is not None and creator.role == Role.PM:
            # A project manager creates the accounts they lead; a director or admin assigns.
            leads = leads.filter(pk=creator.pk)
        limit_choices(self, "account_lead", leads)
        if self.instance.pk is None:
            # A new client has no contacts yet; the representative is named afterwards.
            del self.fields["primary_contact"]
        else:
            current = Contact.objects.filter(
                client=self.instance, archived_at__isnull=True, left_on__isnull=True
            )
            limit_choices(self, "primary_contact", current)
            self.fields["primary_contact"].help_text = "The client's main representative."


class ContactForm(VersionedModelForm):
    class Meta:
        model = Contact
        fields = [
            "first_name",
            "last_name",
            "title",
            "email",
            "phone",
            "power",
            "interest",
            "stance",
            "reports_to",
            "left_on",
            "notes",
        ]
        widgets = {
            "left_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "power": forms.NumberInput(attrs={"min": 1, "max": 5}),
            "interest": forms.NumberInput(attrs={"min": 1, "max": 5}),
        }
        help_texts = {
            "power": "1 (none) to 5 (decides); 4 and 5 count as high.",
            "interest": "1 (indifferent) to 5 (closely involved); 4 and 5 count as high.",
        }

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client
        self.instance.client = client
        others = Contact.objects.filter(client=client, archived_at__isnull=True)
        if self.instance.pk is not None:
            others = others.exclude(pk=self.instance.pk)
        limit_choices(self, "reports_to", others)
