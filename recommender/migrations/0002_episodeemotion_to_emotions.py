"""EpisodeEmotion now belongs to the emotions app (emotions 0003 took it over with its table and rows): the
recommender forgets it, in Django's state only."""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("recommender", "0001_initial"),
        ("emotions", "0003_episodeemotion_from_recommender"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="EpisodeEmotion")],
            database_operations=[],
        ),
    ]
