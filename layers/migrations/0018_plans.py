"""A bundle's number: given once, kept through edits (the rank follows the easy-first order), unique in its plan."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("layers", "0017_jobs"),
    ]

    operations = [
        migrations.AddField(
            model_name="bundle",
            name="number",
            field=models.PositiveIntegerField(null=True, verbose_name="number"),
        ),
        # Existing bundles are numbered by their rank today (unique within a plan: the ranks are 1..n).
        migrations.RunSQL(
            """UPDATE layers_bundle b SET number = n.number
                 FROM (SELECT id, row_number() OVER (PARTITION BY plan_id ORDER BY rank, id) AS number
                         FROM layers_bundle) n
                WHERE n.id = b.id""",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="bundle",
            name="number",
            field=models.PositiveIntegerField(verbose_name="number"),
        ),
        migrations.AddConstraint(
            model_name="bundle",
            constraint=models.UniqueConstraint(fields=("plan", "number"), name="bundle_number_in_plan"),
        ),
    ]
