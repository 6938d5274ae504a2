"""Open311 GeoReport v2 (docs/open311.md): the civic-issue API that FixMyStreet and many cities'
tools speak, served at /open311/v2/. Services are the desk's topic taxonomy; a posted request
becomes a case on the workspace's built-in web channel with a tracking number, like the
citizen portal; reading requests shows no personal data."""

# The audit action that records a posted request (its location is a reports.locations source).
SUBMITTED = "open311.submitted"
