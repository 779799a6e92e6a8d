from django.db import migrations


def create_default_policy(apps, schema_editor):
    from twohats.health.policy import DEFAULT_CONFIG

    HealthPolicy = apps.get_model("health", "HealthPolicy")
    if not HealthPolicy.objects.exists():
        HealthPolicy.objects.create(
            version=1, active=True, config=DEFAULT_CONFIG, note="The default policy."
        )


class Migration(migrations.Migration):
    dependencies = [("health", "0001_initial")]

    operations = [migrations.RunPython(create_default_policy, migrations.RunPython.noop)]
