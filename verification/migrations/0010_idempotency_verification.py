from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('verification', '0009_affiliation_fixes'),
    ]

    operations = [
        migrations.AddField(
            model_name='idempotencyrecord',
            name='verification_ref',
            field=models.UUIDField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name='idempotencyrecord',
            index=models.Index(fields=['verification_ref'], name='verificatio_verific_9b2fdc_idx'),
        ),
    ]
