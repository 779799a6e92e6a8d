from __future__ import annotations

import datetime as dt

from django.test import Client as Browser
from django.urls import reverse

from twohats.people.models import WorkdayLocation
from twohats.test import Cast, read


def test_it_records_a_range_of_weekdays_at_a_client_site(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    response = client.post(
        reverse("workdays:create"),
        {
            "user": cast.owner.pk,
            "start": "2026-11-16",
            "end": "2026-11-22",
            "kind": "client_site",
            "client": cast.client.pk,
            "note": "Cutover week",
        },
    )
    assert response.status_code == 302
    days = WorkdayLocation.objects.filter(user=cast.owner).order_by("date")
    assert [d.date.day for d in days] == [16, 17, 18, 19, 20]  # Monday to Friday
    assert {d.client for d in days} == {cast.client}


def test_it_replaces_days_already_recorded(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    WorkdayLocation.objects.create(user=cast.owner, date=dt.date(2026, 11, 18), kind="remote")
    client.post(
        reverse("workdays:create"),
        {"user": cast.owner.pk, "start": "2026-11-18", "end": "2026-11-18", "kind": "home_office"},
    )
    day = WorkdayLocation.objects.get(user=cast.owner, date=dt.date(2026, 11, 18))
    assert day.kind == "home_office"


def test_it_refuses_bad_ranges_and_writes_nothing(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    cases = [
        ({"start": "2026-11-20", "end": "2026-11-16", "kind": "remote"}, "must not be before"),
        ({"start": "2026-11-16", "end": "2026-11-16", "kind": "client_site"}, "which client"),
        ({"start": "2026-11-21", "end": "2026-11-22", "kind": "remote"}, "no working day"),
        ({"start": "2025-01-01", "end": "2026-11-22", "kind": "remote"}, "at most 366 days"),
        (
            {
                "start": "2026-11-16",
                "end": "2026-11-16",
                "kind": "remote",
                "client": cast.client.pk,
            },
            "Only a client-site day",
        ),
    ]
    for data, message in cases:
        response = client.post(reverse("workdays:create"), {"user": cast.owner.pk, **data})
        assert response.status_code == 400, data
        assert message in response.content.decode(), data
    assert not WorkdayLocation.objects.exists()


def test_it_keeps_a_pm_from_recording_someone_elses_days(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    response = client.post(
        reverse("workdays:create"),
        {"user": cast.teammate.pk, "start": "2026-11-16", "end": "2026-11-16", "kind": "remote"},
    )
    assert response.status_code == 400
    assert not WorkdayLocation.objects.exists()


def test_it_lets_a_director_record_and_list_their_staff(client: Browser, cast: Cast) -> None:
    client.force_login(cast.director)
    client.post(
        reverse("workdays:create"),
        {
            "user": cast.teammate.pk,
            "start": "2026-11-16",
            "end": "2026-11-17",
            "kind": "home_office",
        },
    )
    assert WorkdayLocation.objects.filter(user=cast.teammate).count() == 2
    listing = client.get(reverse("workdays:list"), {"user": cast.teammate.pk})
    assert "Home office" in listing.content.decode()
    export = read(client.get(reverse("workdays:list"), {"format": "csv"})).decode()
    assert export.count("Home office") == 2


def test_it_lists_only_ones_own_days_to_a_pm(client: Browser, cast: Cast) -> None:
    WorkdayLocation.objects.create(user=cast.teammate, date=dt.date(2026, 11, 18), kind="remote")
    WorkdayLocation.objects.create(user=cast.owner, date=dt.date(2026, 11, 18), kind="home_office")
    client.force_login(cast.owner)
    export = read(client.get(reverse("workdays:list"), {"format": "csv"})).decode()
    assert "Home office" in export and "Remote" not in export
    forced = read(
        client.get(reverse("workdays:list"), {"format": "csv", "user": cast.teammate.pk})
    ).decode()
    assert "Remote" not in forced


def test_it_edits_a_day_and_shows_its_history(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    client.post(
        reverse("workdays:create"),
        {"user": cast.owner.pk, "start": "2026-11-18", "end": "2026-11-18", "kind": "remote"},
    )
    day = WorkdayLocation.objects.get(user=cast.owner)
    response = client.post(
        reverse("workdays:edit", args=[day.pk]),
        {"kind": "client_site", "client": cast.client.pk, "note": "Go-live support"},
    )
    assert response.status_code == 302
    day.refresh_from_db()
    assert day.kind == "client_site" and day.client == cast.client
    page = client.get(reverse("workdays:edit", args=[day.pk])).content.decode()
    history = page.split('id="history-heading"', 1)[1]
    assert "Remote</del> → Client site" in history
