"""The foreign keys that a composite index beginning with their column already serves lose their own index
(one index less to write on every filing and action: docs/performance.md).

Only the indexes are dropped: Django's own AlterField would also drop and add the foreign key constraints
again, which PostgreSQL then checks against every row (minutes at ten million tickets), and SQLite would
rebuild the tables.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0005_kind_incident"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="notification",
                    name="user",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notifications",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "notifications_notification_user_id_b5e8c0ff"',
                    reverse_sql='CREATE INDEX "notifications_notification_user_id_b5e8c0ff" ON "notifications_notification" ("user_id")',
                ),
            ],
        ),
    ]
