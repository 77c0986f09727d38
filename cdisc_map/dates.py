"""Public API: raw dates and times to SDTM ISO 8601 (`cdisc_map.dates.to_iso8601`).

The implementation lives in `cdisc_map.core.dates`; this module keeps the public
import path of design.md's API contract.
"""

from cdisc_map.core.dates import (
    IsoParts,
    convert_column,
    is_complete_date,
    parse_iso,
    to_iso8601,
    validate_format,
)
from cdisc_map.core.problems import DateError

__all__ = ["DateError", "IsoParts", "convert_column", "is_complete_date", "parse_iso", "to_iso8601",
           "validate_format"]
