"""Number formats for Simplified Chinese: amounts grouped by thousands, as Chinese financial documents print them."""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
USE_THOUSAND_SEPARATOR = True
