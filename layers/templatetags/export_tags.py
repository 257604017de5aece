"""`{% export_panel %}`: the map's export control (docs/EXPORT.md) — the layers the user may read and the formats."""
from django import template

from layers.io.exporters import EXPORTERS
from layers.catalogue import feature_layers
from layers.permissions import VIEW, may

register = template.Library()


@register.inclusion_tag("partials/export_panel.html", takes_context=True)
def export_panel(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "layers": [layer for layer in feature_layers().values() if may(user, layer.model, VIEW)],
        "formats": list(EXPORTERS.values()),
    }
