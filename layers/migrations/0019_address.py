"""Estate aliases and the trigram indexes hotline-address matching uses (docs/ADDRESS_MATCHING.md)."""
import django.contrib.postgres.indexes
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('layers', '0018_plans'),
    ]

    operations = [
        TrigramExtension(),
        migrations.AddField(
            model_name='estate',
            name='aliases',
            field=models.CharField(blank=True, default='', max_length=300, verbose_name='aliases'),
        ),
        migrations.AddIndex(
            model_name='estate',
            index=django.contrib.postgres.indexes.GinIndex(fields=['aliases'], name='estate_aliases_trgm', opclasses=['gin_trgm_ops']),
        ),
    ]
