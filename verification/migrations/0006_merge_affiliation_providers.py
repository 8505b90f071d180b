# Merges issue #8 (0005_affiliation) with issue #5 (0005_providers); the choices of
# Verification.type now hold both new types (a choices change: no schema change).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('verification', '0005_affiliation'),
        ('verification', '0005_providers'),
    ]

    operations = [
        migrations.AlterField(
            model_name='verification',
            name='type',
            field=models.CharField(choices=[('document', 'Document'), ('phone', 'Phone'), ('affiliation', 'Affiliation')], max_length=32),
        ),
    ]
