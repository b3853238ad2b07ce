"""The health-improvement timeline a new deployment starts with (NHS sources). A clinician must
approve it in Exhale before it shows an "approved by" line; editing an entry clears approval."""

from django.db import migrations

NHS = "NHS Better Health: what happens when you quit smoking"
NHS_URL = "https://www.nhs.uk/better-health/quit-smoking/"
STEPS = [
    (20, "20 minutes", "Your pulse starts to settle back towards normal."),
    (8 * 60, "8 hours", "Carbon monoxide in your blood has halved and oxygen levels are recovering."),
    (48 * 60, "48 hours", "Carbon monoxide has left your body. Your lungs start clearing mucus, and taste and smell begin to improve."),
    (72 * 60, "72 hours", "Breathing feels easier as the airways relax, and you may have more energy."),
    (14 * 24 * 60, "2 to 12 weeks", "Your circulation improves, so blood reaches your heart and muscles more easily."),
    (90 * 24 * 60, "3 to 9 months", "Coughing, wheezing and breathing problems ease as your lungs work better."),
    (365 * 24 * 60, "1 year", "Your risk of a heart attack is about half that of someone who smokes."),
    (3650 * 24 * 60, "10 years", "Your risk of dying from lung cancer is about half that of someone who smokes."),
]


def forwards(apps, schema_editor):
    HealthBenefit = apps.get_model("cessation", "HealthBenefit")
    if HealthBenefit.objects.exists():
        return
    for order, (minutes, label, text) in enumerate(STEPS):
        HealthBenefit.objects.create(
            after_minutes=minutes,
            when_label=label,
            text=text,
            source=NHS,
            source_url=NHS_URL,
            order=order,
        )


class Migration(migrations.Migration):
    dependencies = [("cessation", "0001_quit_tracking")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
