# The roster fixtures (a desk with shifts, in WITA) serve the SLA tests too.
from tanggap.roster.tests.conftest import in_indonesian, rostered  # noqa: F401
