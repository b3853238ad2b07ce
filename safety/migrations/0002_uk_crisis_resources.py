"""A new deployment starts with the UK crisis resources; admins edit them per deployment."""

from django.db import migrations

UK_DEFAULTS = [
    ("Emergency services", "Call 999", "tel:999", "If your life, or someone else's, is in danger now."),
    ("NHS 111, option 2", "Call 111 and choose option 2", "tel:111", "Urgent mental health help, any time of day or night."),
    ("Samaritans", "Call 116 123 (free)", "tel:116123", "To talk to someone about anything, any time."),
    ("SHOUT", "Text SHOUT to 85258", "sms:85258?body=SHOUT", "If you would rather text than talk. Free, any time."),
]


def forwards(apps, schema_editor):
    CrisisResource = apps.get_model("safety", "CrisisResource")
    if CrisisResource.objects.exists():
        return
    for order, (name, how, href, when) in enumerate(UK_DEFAULTS):
        CrisisResource.objects.create(name=name, how=how, href=href, when=when, order=order)


class Migration(migrations.Migration):
    dependencies = [("safety", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
