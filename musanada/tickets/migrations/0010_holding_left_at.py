from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0009_ticket_desk_open"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticketholding",
            name="left_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        # A desk the ticket has left let it go when the next desk took it: the holdings' own times.
        migrations.RunSQL(
            """
            UPDATE tickets_ticketholding SET left_at = (
                SELECT MIN(n.since) FROM tickets_ticketholding n
                WHERE n.ticket_id = tickets_ticketholding.ticket_id AND n.since > tickets_ticketholding.since
            )
            WHERE desk_id <> (
                SELECT t.desk_id FROM tickets_ticket t WHERE t.id = tickets_ticketholding.ticket_id
            )
            """,
            migrations.RunSQL.noop,
        ),
    ]
