"""Django admin strings that Django 5.2's own Norwegian catalogue does not translate.

Never imported: these markers are here so that ``makemessages`` puts the strings into
our catalogue (locale/nb), whose translations Django uses before its own. Without them
a Norwegian page would say "Toggle theme" or "Error:" in English.
"""

from django.utils.translation import gettext_noop

DJANGO_ADMIN_UNTRANSLATED_NB = [
    gettext_noop("Error:"),
    gettext_noop("Skip to main content"),
    gettext_noop("Breadcrumbs"),
    gettext_noop("Sidebar"),
    gettext_noop("Start typing to filter…"),
    gettext_noop("Filter navigation items"),
    gettext_noop("Show counts"),
    gettext_noop("Hide counts"),
    gettext_noop("Toggle theme (current theme: auto)"),
    gettext_noop("Toggle theme (current theme: light)"),
    gettext_noop("Toggle theme (current theme: dark)"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("Model name"),
    gettext_noop("Added:"),
    gettext_noop("Changed:"),
    gettext_noop("Deleted:"),
    gettext_noop("Forgotten your login credentials?"),
]
