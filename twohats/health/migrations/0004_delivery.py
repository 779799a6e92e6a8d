import copy

from django.db import migrations, models
from django.db.models import F

# The delivery dimension as it joined the health model (frozen here: the policy module may move
# on, a migration must not).
DELIVERY = {
    "weight": 20,
    "signals": {
        "spi": {"weight": 30, "good": 0.95, "bad": 0.85},
        "cpi": {"weight": 30, "good": 0.95, "bad": 0.85},
        "milestone_slippage_days": {"weight": 15, "good": 0, "bad": 30},
        "burn_vs_progress": {"weight": 15, "good": 0.05, "bad": 0.2},
        "pending_changes": {"weight": 10, "good": 0, "bad": 3},
    },
}
# The weights of the first default policy, and what they become beside delivery.
FIRST_WEIGHTS = {
    "presence": 25,
    "coverage": 25,
    "responsiveness": 20,
    "sentiment": 20,
    "growth": 10,
}
NEW_WEIGHTS = {"presence": 25, "coverage": 20, "responsiveness": 15, "sentiment": 10, "growth": 10}


def with_delivery(config):
    """The config with the delivery dimension at 20: the first default's weights become the new
    default's; any others keep their proportions over the remaining 80."""
    config = copy.deepcopy(config)
    dimensions = config["dimensions"]
    weights = {name: dimension["weight"] for name, dimension in dimensions.items()}
    if weights == FIRST_WEIGHTS:
        for name, weight in NEW_WEIGHTS.items():
            dimensions[name]["weight"] = weight
    else:
        for dimension in dimensions.values():
            dimension["weight"] = round(dimension["weight"] * 0.8, 6)
    config["dimensions"] = {"delivery": copy.deepcopy(DELIVERY), **dimensions}
    return config


def add_delivery(apps, schema_editor):
    """Delivery joins the health model as a new version of the active policy (unless it has a
    delivery dimension already); snapshots so far had none, so their relationship score is
    their overall one."""
    HealthPolicy = apps.get_model("health", "HealthPolicy")
    HealthSnapshot = apps.get_model("health", "HealthSnapshot")
    HealthSnapshot.objects.update(relationship=F("overall"))
    active = HealthPolicy.objects.filter(active=True).first()
    if active is None or "delivery" in active.config.get("dimensions", {}):
        return
    latest = HealthPolicy.objects.order_by("-version").values_list("version", flat=True).first()
    HealthPolicy.objects.filter(pk=active.pk).update(active=False)
    HealthPolicy.objects.create(
        version=latest + 1,
        active=True,
        config=with_delivery(active.config),
        note="Delivery joins the health model: SPI, CPI, milestone slippage, budget burn "
        "against progress and pending change requests.",
    )


class Migration(migrations.Migration):
    dependencies = [("health", "0003_jobrun")]

    operations = [
        migrations.AddField(
            model_name="healthsnapshot",
            name="relationship",
            field=models.FloatField(
                blank=True, help_text="The score of every dimension but delivery.", null=True
            ),
        ),
        migrations.RunPython(add_delivery, migrations.RunPython.noop),
    ]
