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
        ("org", "0002_sign_out_everywhere"),
        ("tickets", "0016_ticket_words"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="event",
                    name="ticket",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="tickets.ticket",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="assignee",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="assigned_tickets",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="assignee",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="desk",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="held_tickets",
                        to="org.orgunit",
                        verbose_name="desk",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="incident",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="tickets",
                        to="tickets.incident",
                        verbose_name="incident",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="origin_unit",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="originated_tickets",
                        to="org.orgunit",
                        verbose_name="origin unit",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="requester",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="requests",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="requester",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticketholding",
                    name="desk",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="holdings",
                        to="org.orgunit",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "tickets_event_ticket_id_c2d3d586"',
                    reverse_sql='CREATE INDEX "tickets_event_ticket_id_c2d3d586" ON "tickets_event" ("ticket_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "tickets_ticket_assignee_id_3a5aa407"',
                    reverse_sql='CREATE INDEX "tickets_ticket_assignee_id_3a5aa407" ON "tickets_ticket" ("assignee_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "tickets_ticket_desk_id_69720b56"',
                    reverse_sql='CREATE INDEX "tickets_ticket_desk_id_69720b56" ON "tickets_ticket" ("desk_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "tickets_ticket_incident_id_ba6049ac"',
                    reverse_sql='CREATE INDEX "tickets_ticket_incident_id_ba6049ac" ON "tickets_ticket" ("incident_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "tickets_ticket_origin_unit_id_0033828a"',
                    reverse_sql='CREATE INDEX "tickets_ticket_origin_unit_id_0033828a" ON "tickets_ticket" ("origin_unit_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "tickets_ticket_requester_id_2072a2f2"',
                    reverse_sql='CREATE INDEX "tickets_ticket_requester_id_2072a2f2" ON "tickets_ticket" ("requester_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "tickets_ticketholding_desk_id_269be7be"',
                    reverse_sql='CREATE INDEX "tickets_ticketholding_desk_id_269be7be" ON "tickets_ticketholding" ("desk_id")',
                ),
            ],
        ),
    ]
