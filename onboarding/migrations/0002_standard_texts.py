"""Version 1 of each onboarding text: the standard words supplied with Exhale, published so a
new deployment works at once, and shown as not yet approved until the service approves them."""

from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    from onboarding.defaults import KEYS, standard_text

    ContentVersion = apps.get_model("onboarding", "ContentVersion")
    now = timezone.now()
    for key in KEYS:
        if ContentVersion.objects.filter(key=key).exists():
            continue
        title, body = standard_text(key)
        ContentVersion.objects.create(
            key=key,
            version=1,
            title=title,
            body=body,
            change_note="Standard text supplied with Exhale.",
            created_at=now,
            published_at=now,
        )


class Migration(migrations.Migration):
    dependencies = [("onboarding", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
