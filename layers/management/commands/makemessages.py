"""Django's makemessages, also extracting translate("…"): the pure planning modules (no Django imports) take the
translation function as an argument named `translate` (layers/planning/area_geometry.py)."""
from django.core.management.commands.makemessages import Command as MakeMessagesCommand


class Command(MakeMessagesCommand):
    xgettext_options = [*MakeMessagesCommand.xgettext_options, "--keyword=translate"]
