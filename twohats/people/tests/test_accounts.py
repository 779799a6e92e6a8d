from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core import mail
from django.test import Client as Browser
from django.test import override_settings
from django.urls import reverse

from twohats.people.models import ApiToken
from twohats.test import PASSWORD, Cast


def test_it_signs_in_with_the_form(client: Browser, cast: Cast) -> None:
    response = client.post(
        reverse("login"), {"username": "owner", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert "Today" in response.content.decode()


def test_it_refuses_a_wrong_password_with_a_message(client: Browser, cast: Cast) -> None:
    response = client.post(reverse("login"), {"username": "owner", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


@override_settings(AXES_FAILURE_LIMIT=3)
def test_it_locks_a_username_and_address_after_repeated_failures(
    client: Browser, cast: Cast
) -> None:
    for _ in range(3):
        client.post(reverse("login"), {"username": "owner", "password": "wrong"})
    locked = client.post(reverse("login"), {"username": "owner", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    # The same username from another address, and another username from this one, still work.
    elsewhere = Browser(REMOTE_ADDR="10.0.0.9")
    ok = elsewhere.post(reverse("login"), {"username": "owner", "password": PASSWORD})
    assert ok.status_code == 302
    other = client.post(reverse("login"), {"username": "teammate", "password": PASSWORD})
    assert other.status_code == 302


def test_it_emails_a_password_reset_link(client: Browser, cast: Cast) -> None:
    response = client.post(reverse("password_reset"), {"email": cast.owner.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [cast.owner.email]
    assert "/accounts/reset/" in message.body
    link = next(line for line in message.body.splitlines() if "/accounts/reset/" in line)
    path = link.split("testserver", 1)[1]
    form = client.get(path, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a much better passphrase", "new_password2": "a much better passphrase"},
    )
    assert done.status_code == 302
    cast.owner.refresh_from_db()
    assert cast.owner.check_password("a much better passphrase")


def test_it_says_nothing_about_unknown_addresses(client: Browser, cast: Cast) -> None:
    response = client.post(reverse("password_reset"), {"email": "nobody@nowhere.example"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_it_saves_the_profile_and_its_time_zone(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    response = client.post(
        reverse("profile"),
        {
            "first_name": "Olive",
            "last_name": "Owner",
            "email": "olive@firm.example",
            "title": "Senior PM",
            "time_zone": "America/New_York",
        },
    )
    assert response.status_code == 302
    cast.owner.refresh_from_db()
    assert cast.owner.time_zone == "America/New_York"
    bad = client.post(reverse("profile"), {"first_name": "X", "time_zone": "Nowhere/City"})
    assert "Select a valid choice" in bad.content.decode()
    cast.owner.refresh_from_db()
    assert cast.owner.first_name == "Olive"


def test_it_shows_a_new_token_once_and_stores_only_its_hash(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    response = client.post(reverse("token_create"), {"name": "weekly report"})
    body = response.content.decode()
    token = ApiToken.objects.get(user=cast.owner)
    raw = body.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert raw.startswith("th_") and len(raw) > 40
    assert token.digest == ApiToken.hash(raw) and raw not in token.digest
    again = client.get(reverse("profile")).content.decode()
    assert raw not in again and token.hint in again


def test_it_revokes_only_ones_own_tokens(client: Browser, cast: Cast) -> None:
    from twohats.people.services import api_token_authenticate, api_token_create

    token, raw = api_token_create(user=cast.owner, name="script")
    client.force_login(cast.outsider)
    assert client.post(reverse("token_revoke", args=[token.pk])).status_code == 404
    assert api_token_authenticate(raw) == cast.owner
    client.force_login(cast.owner)
    client.post(reverse("token_revoke", args=[token.pk]))
    assert api_token_authenticate(raw) is None


def test_it_refuses_a_nameless_token(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    response = client.post(reverse("token_create"), {"name": "  "})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("secret", ["", "insecure-development-key-do-not-use-in-production"])
def test_it_refuses_to_start_in_production_without_a_real_secret(secret: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY_FILE")}
    env |= {"DEBUG": "0", "SECRET_KEY": secret, "DJANGO_SETTINGS_MODULE": "twohats.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is missing or the default" in result.stderr


def test_it_lets_only_admins_manage_users(client: Browser, cast: Cast) -> None:
    client.force_login(cast.admin)
    page = client.get("/admin/people/user/")
    assert page.status_code == 200 and "owner" in page.content.decode()
    for who in (cast.owner, cast.director, cast.executive):
        client.force_login(who)
        assert client.get("/admin/people/user/").status_code == 302  # to the admin sign-in
