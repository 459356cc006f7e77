import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("watchlist", "0004_positions_into_trades")]

    operations = [
        migrations.AlterField(
            model_name="position",
            name="trade",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="legs", to="watchlist.trade"
            ),
        ),
    ]
