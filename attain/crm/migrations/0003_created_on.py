"""Store the organisation-local creation date of deals and leads (per-day KPIs bucket by it)."""

from zoneinfo import ZoneInfo

from django.db import migrations, models


def fill_created_on(apps, schema_editor):
    organisation = apps.get_model("org", "Organisation").objects.first()
    tz = ZoneInfo(organisation.time_zone if organisation else "UTC")
    for name in ("Deal", "Lead"):
        model = apps.get_model("crm", name)
        for pk, created_at in model.objects.values_list("pk", "created_at").iterator(5000):
            model.objects.filter(pk=pk).update(created_on=created_at.astimezone(tz).date())


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0002_stage_stall_after_days"),
        ("org", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="deal",
            name="created_on",
            field=models.DateField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="lead",
            name="created_on",
            field=models.DateField(editable=False, null=True),
        ),
        migrations.RunPython(fill_created_on, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="deal",
            name="created_on",
            field=models.DateField(editable=False),
        ),
        migrations.AlterField(
            model_name="lead",
            name="created_on",
            field=models.DateField(editable=False),
        ),
        migrations.RemoveIndex(model_name="deal", name="deal_owner_created"),
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(fields=["owner", "created_on"], name="deal_owner_created_on"),
        ),
        migrations.RemoveIndex(model_name="lead", name="lead_owner_created"),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["owner", "created_on"], name="lead_owner_created_on"),
        ),
    ]
