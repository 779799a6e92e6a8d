from __future__ import annotations

from django.test import Client as Browser
from django.urls import reverse

from twohats.health.models import HealthPolicy
from twohats.test import Cast


def current_values(browser: Browser) -> dict[str, object]:
    """The policy form's fields as the page fills them in."""
    form = browser.get(reverse("health:policy")).context["form"]
    data: dict[str, object] = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        data[name] = "" if value is None else value
    return data


def test_it_publishes_a_new_version_and_keeps_the_old(client: Browser, cast: Cast) -> None:
    client.force_login(cast.admin)
    data = current_values(client)
    data |= {
        "note": "Presence matters more for strategic accounts",
        "dimensions__presence__weight": 28,
        "dimensions__growth__weight": 0,
        "sla__critical": 120,
    }
    response = client.post(reverse("health:policy"), data)
    assert response.status_code == 302
    active = HealthPolicy.objects.active()
    assert active.version == 2 and active.created_by == cast.admin
    assert active.rules.dimensions["presence"].weight == 28
    assert active.rules.sla.critical == 120
    assert HealthPolicy.objects.get(version=1).active is False
    page = client.get(reverse("health:policy")).content.decode()
    assert "Presence matters more for strategic accounts" in page


def test_it_refuses_weights_that_do_not_sum_to_100(client: Browser, cast: Cast) -> None:
    client.force_login(cast.admin)
    data = current_values(client) | {"note": "x", "dimensions__presence__weight": 35}
    response = client.post(reverse("health:policy"), data)
    assert response.status_code == 400
    assert "the weights of the dimensions sum to 115, not 100" in response.content.decode()
    assert HealthPolicy.objects.count() == 1


def test_it_refuses_unordered_thresholds(client: Browser, cast: Cast) -> None:
    client.force_login(cast.admin)
    data = current_values(client) | {"note": "x", "bands__green": 40, "bands__amber": 60}
    response = client.post(reverse("health:policy"), data)
    assert response.status_code == 400
    assert "the amber threshold must be below the green one" in response.content.decode()
    assert HealthPolicy.objects.count() == 1


def test_it_lets_others_read_the_policy_but_not_change_it(client: Browser, cast: Cast) -> None:
    for who in (cast.owner, cast.director, cast.executive):
        client.force_login(who)
        assert client.get(reverse("health:policy")).status_code == 200
        data = current_values(client) | {"note": "mine"}
        assert client.post(reverse("health:policy"), data).status_code == 403
    assert HealthPolicy.objects.count() == 1
