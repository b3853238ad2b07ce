"""The kind messages moderators choose from when a post is not published (admins edit them)."""

from django.db import migrations

TEMPLATES = [
    (
        "Personal details",
        "Thank you for your post. We did not share it because it includes details that could "
        "identify you or someone else, like a phone number, an address or a full name. The group "
        "is safer when everyone stays anonymous. You are welcome to post again without them.",
    ),
    (
        "Might be hard for others to read",
        "Thank you for posting. We did not share this one because parts of it might be hard for "
        "others in the group to read. What you are going through matters. If you would like to "
        "talk about it, send your peer support specialist a message.",
    ),
    (
        "Health advice we cannot share",
        "Thank you for wanting to help others. We did not share this post because it gives "
        "advice about medicines or health that might not be safe for everyone. Your care team is "
        "the best place for that advice. You are very welcome to share what has helped you.",
    ),
    (
        "Could come across as unkind",
        "We did not share this post because it may come across as unkind to someone in the "
        "group. Everyone here is going through something hard. Please post again in a way that "
        "keeps the group a kind place.",
    ),
    (
        "Better one to one",
        "Thank you for your post. This sounds like something a peer support specialist can help "
        "with one to one, so we did not share it with the group. Please send us a message: we "
        "would like to hear from you.",
    ),
]


def forwards(apps, schema_editor):
    Template = apps.get_model("peersupport", "ModeratorMessageTemplate")
    for order, (title, text) in enumerate(TEMPLATES):
        if not Template.objects.filter(title=title).exists():
            Template.objects.create(title=title, text=text, order=order)


class Migration(migrations.Migration):
    dependencies = [("peersupport", "0003_moderation_and_messages")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
