import copy

from django.db import migrations

# The voice dimension as it joined the health model (frozen here: the policy module may move
# on, a migration must not).
VOICE = {
    "weight": 20,
    "signals": {
        "nps": {"weight": 35, "good": 50, "bad": -20},
        "csat": {"weight": 20, "good": 0.9, "bad": 0.6},
        "trust": {"weight": 30, "good": 6, "bad": 4},
        "pm_vs_firm_gap": {"weight": 15, "good": 0.5, "bad": 3},
    },
}


def with_voice(config):
    """The config with the voice dimension at 20; the others keep their proportions over the
    remaining 80, so a client without survey responses scores as before."""
    config = copy.deepcopy(config)
    dimensions = config["dimensions"]
    for dimension in dimensions.values():
        dimension["weight"] = round(dimension["weight"] * 0.8, 6)
    config["dimensions"] = {**dimensions, "voice": copy.deepcopy(VOICE)}
    return config


def add_voice(apps, schema_editor):
    """Voice joins the health model as a new version of the active policy (unless it has a
    voice dimension already)."""
    HealthPolicy = apps.get_model("health", "HealthPolicy")
    active = HealthPolicy.objects.filter(active=True).first()
    if active is None or "voice" in active.config.get("dimensions", {}):
        return
    latest = HealthPolicy.objects.order_by("-version").values_list("version", flat=True).first()
    HealthPolicy.objects.filter(pk=active.pk).update(active=False)
    HealthPolicy.objects.create(
        version=latest + 1,
        active=True,
        config=with_voice(active.config),
        note="The client's voice joins the health model: latest NPS, CSAT, trust and the gap "
        "between how the client rates the PM and the firm.",
    )


class Migration(migrations.Migration):
    dependencies = [("health", "0004_delivery")]

    operations = [migrations.RunPython(add_voice, migrations.RunPython.noop)]
