"""What the valuation page shows: the stored result turned into rows, words and chart data (no requests here).

Plain functions of the stored result and of what the view loaded for them
(the deal's revenue by month): no database query. Each returns frozen
dataclasses the templates read with the same dotted names; only the charts'
data, which json_script serialises, is dicts (TypedDicts). Fields named after
a Python keyword take a trailing underscore (`class_`, `yield_`, `with_`).

One module per section of the page: `tranches` (both ratings, how they were
decided), `cash` (where the cash comes from, reliance on support,
empowerment), `structure` (paydown, trigger, DSCR), `pricing` (coupon
build-up, comparables), `appraisal`, `stress` (scenarios, break-even, legal),
`history` (revenue, stability, fan); `page` puts them together.
"""

from .formatting import class_text, error_words, num, pct, status_text
from .history import stability_part_labels
from .page import Results, Summary, chart_data, result_is_current, results_context, summary_context
from .pricing import coupon_part_labels
from .stress import scenario_text
from .structure import dscr_bin_labels
from .tranches import tranche_row

__all__ = [
    "Results",
    "Summary",
    "chart_data",
    "class_text",
    "coupon_part_labels",
    "dscr_bin_labels",
    "error_words",
    "num",
    "pct",
    "result_is_current",
    "results_context",
    "scenario_text",
    "stability_part_labels",
    "status_text",
    "summary_context",
    "tranche_row",
]
