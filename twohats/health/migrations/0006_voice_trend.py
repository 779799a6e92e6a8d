import copy

from django.db import migrations

# The trend signals as they joined the voice dimension (frozen here: the policy module may move
# on, a migration must not). Each is the later half of the window less the earlier half.
TRENDS = {
    "nps_trend": {"weight": 15, "good": 0, "bad": -20},
    "trust_trend": {"weight": 10, "good": 0, "bad": -1},
}


def with_trends(config):
    """The config with the trend signals the voice dimension lacks; its other signals keep their
    proportions over the weight the trends leave them, so a client without two half-years of
    responses scores as before."""
    config = copy.deepcopy(config)
    voice = config["dimensions"]["voice"]
    added = {name: signal for name, signal in TRENDS.items() if name not in voice["signals"]}
    share = (100 - sum(signal["weight"] for signal in added.values())) / 100
    for signal in voice["signals"].values():
        signal["weight"] = round(signal["weight"] * share, 6)
    voice["signals"] = {**voice["signals"], **copy.deepcopy(added)}
    return config


def add_trends(apps, schema_editor):
    """The trends join the voice dimension as a new version of the active policy (unless it has
    them already, or weighs no voice signal)."""
    HealthPolicy = apps.get_model("health", "HealthPolicy")
    active = HealthPolicy.objects.filter(active=True).first()
    if active is None:
        return
    voice = active.config.get("dimensions", {}).get("voice")
    signals = (voice or {}).get("signals") or {}
    # A policy without voice signals is left alone: trends alone would be the whole dimension.
    if not signals or set(TRENDS) <= set(signals):
        return
    latest = HealthPolicy.objects.order_by("-version").values_list("version", flat=True).first()
    HealthPolicy.objects.filter(pk=active.pk).update(active=False)
    HealthPolicy.objects.create(
        version=latest + 1,
        active=True,
        config=with_trends(active.config),
        note="The voice dimension weighs the trends of NPS and trust: the last half of the "
        "window against the half before.",
    )


class Migration(migrations.Migration):
    dependencies = [("health", "0005_voice")]

    operations = [migrations.RunPython(add_trends, migrations.RunPython.noop)]
