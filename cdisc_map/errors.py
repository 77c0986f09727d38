"""Public API: the problem report types (`cdisc_map.errors.ProblemsError` and friends).

The implementation lives in `cdisc_map.core.problems`; this module keeps the public
import path that users and pipelines rely on.
"""

from cdisc_map.core.problems import CdiscMapError, DateError, Problem, ProblemsError

__all__ = ["CdiscMapError", "DateError", "Problem", "ProblemsError"]
