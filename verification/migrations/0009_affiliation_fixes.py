# Issue #8 review fixes: Affiliation.kid (a revoked key flags what it vouched for).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('verification', '0008_provider_fixes'),
    ]

    operations = [
        migrations.AddField(
            model_name='affiliation',
            name='kid',
            field=models.CharField(blank=True, default='', max_length=64),
        ),
        migrations.AddIndex(
            model_name='affiliation',
            index=models.Index(fields=['organization', 'kid'], name='verificatio_organiz_8cc8a0_idx'),
        ),
    ]
