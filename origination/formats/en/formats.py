"""Number formats for English: amounts grouped by thousands."""

from django.conf.locale.en.formats import *  # noqa: F403

NUMBER_GROUPING = 3
