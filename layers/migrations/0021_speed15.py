"""Narrow covering indexes for the coverage figures: estates per community and by id, buildings by id with estate."""
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("layers", "0019_address")]

    operations = [
        migrations.AddIndex(
            model_name="building",
            index=models.Index(fields=["id"], include=("estate",), name="building_id_estate"),
        ),
        migrations.AddIndex(
            model_name="estate",
            index=models.Index(fields=["community"], include=("id", "build_year", "households", "floor_area",
                                                              "owners_committee"), name="estate_community_figures"),
        ),
        migrations.AddIndex(
            model_name="estate",
            index=models.Index(fields=["id"], include=("community",), name="estate_id_community"),
        ),
    ]
