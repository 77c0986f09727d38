"""SAS transport (XPORT) files: version 5 written and read, version 8 read, with numpy.

FDA takes datasets as SAS transport version 5 files (SAS technical note TS-140): 80-byte
header records, one 140-byte NAMESTR record per variable, then the observations as
fixed-width text and IBM System/370 doubles. cdisc-map reads and writes the format itself,
column by column with numpy, strictly: what breaks a v5 rule is refused with a problem,
never truncated; formats and informats stay apart; a damaged file is a problem saying
where it is damaged, never a crash.

- `ibm`: IBM double <-> IEEE double, and the 28 SAS missing values.
- `records`: header and NAMESTR records, and `XptLayout`, everything the headers say.
- `columns`: fixed-width text columns per distinct value.
- `checks`: the v5 rules a frame must keep.
- `reader`: `read_xpt`; `writer`: `write_xpt` and `write_transport`.
- `timestamps`: the header stamps and SOURCE_DATE_EPOCH.
"""

from cdisc_map.io.xpt.checks import MAX_LABEL_LENGTH, MAX_NAME_LENGTH, MAX_VALUE_BYTES
from cdisc_map.io.xpt.ibm import MISSING_CODES, IbmOverflowError, double_to_ibm, ibm_to_double
from cdisc_map.io.xpt.reader import XptMeta, read_xpt
from cdisc_map.io.xpt.records import Namestr, XptLayout
from cdisc_map.io.xpt.timestamps import build_timestamp, header_timestamps, sas_header_timestamp
from cdisc_map.io.xpt.writer import write_transport, write_xpt

__all__ = [
    "MAX_LABEL_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_VALUE_BYTES",
    "MISSING_CODES",
    "IbmOverflowError",
    "Namestr",
    "XptLayout",
    "XptMeta",
    "build_timestamp",
    "double_to_ibm",
    "header_timestamps",
    "ibm_to_double",
    "read_xpt",
    "sas_header_timestamp",
    "write_transport",
    "write_xpt",
]
