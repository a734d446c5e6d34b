"""The benchmark's URLconf: the framework-ceiling page, then every route of the product, unchanged.

Used only by musanada.demo.benchsettings; the product's settings never name it.
"""

from datetime import UTC, datetime, timedelta

from django.template import engines
from django.template.response import TemplateResponse
from django.urls import path

from musanada.config.urls import urlpatterns as product_urlpatterns

_START = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
# What an inbox row shows, held in memory: nothing below reads the database or the session.
ROWS = [
    {
        "reference": f"MSN-2026-{900_000 - n:06d}",
        "subject": f"Impossible de saisir les notes du contrôle {n} / تعذر إدخال نقط الفرض {n}",
        "desk": "Service du système Massar",
        "status": "Nouveau" if n % 3 else "En cours",
        "priority": ("Basse", "Normale", "Haute", "Urgente")[n % 4],
        "filed": _START - timedelta(hours=3 * n),
        "requester": f"g-01{n:03d}e-{n}",
    }
    for n in range(25)
]
PAGE = engines["django"].from_string(
    """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Ceiling</title></head>
<body><table>
<thead><tr><th>Référence</th><th>Objet</th><th>Guichet</th><th>Statut</th><th>Priorité</th><th>Déposé</th>
<th>Demandeur</th></tr></thead>
<tbody>{% for row in rows %}<tr>
<td><a href="/t/{{ row.reference }}/">{{ row.reference }}</a></td><td>{{ row.subject }}</td>
<td>{{ row.desk }}</td><td>{{ row.status }}</td><td>{{ row.priority }}</td>
<td>{{ row.filed|date:"Y-m-d H:i" }}</td><td>{{ row.requester }}</td></tr>
{% endfor %}</tbody>
</table></body></html>
"""
)


def ceiling(request):
    return TemplateResponse(request, PAGE, {"rows": ROWS})


urlpatterns = [path("ceiling/", ceiling, name="bench-ceiling"), *product_urlpatterns]
