"""The foreign keys that a composite index beginning with their column already serves lose their own index
(one index less to write on every filing and action: docs/performance.md).

Only the indexes are dropped: Django's own AlterField would also drop and add the foreign key constraints
again, which PostgreSQL then checks against every row (minutes at ten million tickets), and SQLite would
rebuild the tables.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0002_sign_out_everywhere"),
        ("sla", "0003_outcome_merged"),
        ("tickets", "0016_ticket_words"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="levelvisit",
                    name="desk",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="org.orgunit",
                    ),
                ),
                migrations.AlterField(
                    model_name="levelvisit",
                    name="ticket",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="level_visits",
                        to="tickets.ticket",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "sla_levelvisit_desk_id_52a85580"',
                    reverse_sql='CREATE INDEX "sla_levelvisit_desk_id_52a85580" ON "sla_levelvisit" ("desk_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "sla_levelvisit_ticket_id_7dda7229"',
                    reverse_sql='CREATE INDEX "sla_levelvisit_ticket_id_7dda7229" ON "sla_levelvisit" ("ticket_id")',
                ),
            ],
        ),
    ]
