"""The database cache's table (CACHE_URL's default, dbcache://toonsite_cache), where the throttles count so that
every web process shares one counter. createcachetable creates the table of each database cache in CACHES and
nothing for other backends; run `manage.py createcachetable` after switching CACHE_URL to a database cache."""
from django.core.management import call_command
from django.db import migrations


def cache_table_create(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("emotions", "0004_processingrun_options")]
    operations = [migrations.RunPython(cache_table_create, migrations.RunPython.noop, elidable=False)]
