"""ProcessingRun.settings becomes `options`: in this code base "settings" means Django's settings only."""
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("emotions", "0003_episodeemotion_from_recommender"),
    ]

    operations = [
        migrations.RenameField(model_name="processingrun", old_name="settings", new_name="options"),
        migrations.AlterField(
            model_name="processingrun",
            name="options",
            field=models.JSONField(blank=True, default=dict, help_text="the segmentation method's options"),
        ),
    ]
