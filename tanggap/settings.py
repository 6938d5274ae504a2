"""The one settings module. Every knob is an environment variable read through conf.env's typed
readers and documented in docs/configuration.md; nothing here reads a tenant."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from tanggap.conf import files
from tanggap.conf.env import (
    SQLITE_SYNCHRONOUS,
    env_bool,
    env_choice,
    env_fernet_keys,
    env_int,
    env_list,
    env_str,
    map_tiles_origin,
    parse_database_url,
)
from tanggap.conf.proxies import parse_trusted_proxies

# Whatever a desk process creates (the database and its -wal/-shm, uploaded photos, keys, exports)
# is readable by its own user only. Set before anything below creates a file.
os.umask(files.OWNER_ONLY_UMASK)

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("TANGGAP_DATA_DIR", str(BASE_DIR.parent / "var"))).resolve()
# The generated SECRET_KEY lives here, beside the data directory and not in it: a backup of the
# data alone cannot decrypt the channel tokens it holds.
KEYS_DIR = Path(
    env_str("TANGGAP_KEYS_DIR", str(DATA_DIR.with_name(DATA_DIR.name + "-keys")))
).resolve()

DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("TANGGAP_TESTING", False)


def _secret_key(name: str, value: str) -> str:
    if len(value) < 32:
        raise ImproperlyConfigured(f"{name} must be at least 32 characters long")
    return value


# No key given: keep a generated one so a newcomer's single command works and sessions survive
# restarts. A deployment sets SECRET_KEY explicitly.
SECRET_KEY = (
    _secret_key("SECRET_KEY", env_str("SECRET_KEY"))
    if env_str("SECRET_KEY")
    else files.read_or_create_secret_key(keys_dir=KEYS_DIR, data_dir=DATA_DIR)
)
# Old keys still accepted for sessions, signatures and credentials sealed under them, while they
# are rotated away (docs/security.md, "Rotating keys").
SECRET_KEY_FALLBACKS = [
    _secret_key("SECRET_KEY_FALLBACKS", key) for key in env_list("SECRET_KEY_FALLBACKS", [])
]
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "tanggap.workspaces",
    "tanggap.audit",
    "tanggap.periodic",
    "tanggap.connectors",
    "tanggap.privacy",
    "tanggap.cases",
    "tanggap.referrals",
    "tanggap.alerts",
    "tanggap.roster",
    "tanggap.sla",
    "tanggap.live",
    "tanggap.replytemplates",
    "tanggap.approvals",
    "tanggap.api",
    "tanggap.web",
    "tanggap.portal",
    "tanggap.demo",
    "tanggap.backup",
    "tanggap.reports",
    "tanggap.hooks",
]

MIDDLEWARE = [
    # First: everything after it reads the client's address from REMOTE_ADDR.
    "tanggap.conf.proxies.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tanggap.web.locale.DeskLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a login refused by the lockout into the lockout page (tanggap.web.login).
    "axes.middleware.AxesMiddleware",
]

# Webhooks and Bearer-token API calls (tanggap.conf.handler): what of the chain above still
# applies to a machine's request. SecurityMiddleware stays for the HTTPS redirect and HSTS.
TANGGAP_MACHINE_MIDDLEWARE = [
    "tanggap.conf.proxies.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "tanggap.web.locale.DeskLocaleMiddleware",
]
# Signed Meta webhooks verified and stored by the ASGI server itself, not through the chain
# above (tanggap/connectors/intake.py); 0 sends them through Django like any other request.
TANGGAP_FAST_INTAKE = env_bool("TANGGAP_FAST_INTAKE", True)

ROOT_URLCONF = "tanggap.urls"
ASGI_APPLICATION = "tanggap.asgi.application"
WSGI_APPLICATION = "tanggap.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'tanggap.sqlite3'}")
# Writers of one process that arrive together share one SQLite transaction
# (tanggap.conf.groupcommit).
TANGGAP_GROUP_COMMIT = env_bool("TANGGAP_GROUP_COMMIT", True)
# full: a commit is on disk before the desk acknowledges what it stored (docs/configuration.md,
# "SQLite and power cuts"); normal trades the last seconds before a power cut for speed.
TANGGAP_SQLITE_SYNCHRONOUS = env_choice("TANGGAP_SQLITE_SYNCHRONOUS", "full", SQLITE_SYNCHRONOUS)
DATABASES = {"default": parse_database_url(DATABASE_URL, base_dir=str(BASE_DIR.parent),
                                           synchronous=TANGGAP_SQLITE_SYNCHRONOUS)}
# The embedded default (one machine, one SQLite writer) rather than PostgreSQL at scale.
_embedded = DATABASES["default"]["ENGINE"] == "tanggap.conf.sqlite"
files.private_dir(DATA_DIR, name="TANGGAP_DATA_DIR")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            f"REDIS_URL must start with redis://, rediss:// or unix://; got {REDIS_URL!r}"
        )
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env_str("TANGGAP_REDIS_PREFIX", "tanggap")},
        }
    }
elif env_str("TANGGAP_LIVE_HUB"):
    # Set by `tanggap serve` for the processes it starts: events cross them through its hub.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "tanggap.live.hub.HubChannelLayer",
            "CONFIG": {"path": env_str("TANGGAP_LIVE_HUB")},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

TASKS = {
    "default": {
        "BACKEND": (
            "django.tasks.backends.immediate.ImmediateBackend"
            if env_bool("TANGGAP_TASKS_IMMEDIATE", False)
            else "django_tasks_db.DatabaseBackend"
        ),
        "QUEUES": ["default"],
    }
}

# Accounts and login (docs/security.md, "Accounts and login"). Django's whole validator set runs
# wherever a password is set: `tanggap user add/password`, the members and account pages.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": env_int("TANGGAP_PASSWORD_MIN_LENGTH", 12, minimum=8)}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes counts failed logins per (username, address) in the database, so every process
# sees the same count; the address is REMOTE_ADDR as ClientAddressMiddleware left it (proxies).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("TANGGAP_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("TANGGAP_LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "tanggap.web.login.client_address"
AXES_LOCKOUT_CALLABLE = "tanggap.web.login.lockout_response"
AXES_RESET_ON_SUCCESS = True
# Successful logins are already on the user (last_login) and failures in AccessAttempt; axes'
# own access log would grow forever.
AXES_DISABLE_ACCESS_LOG = True
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password", "code", "csrfmiddlewaretoken"]
AXES_VERBOSE = False
# Second factor: TOTP (any authenticator app) for admins and supervisors, with recovery codes.
OTP_TOTP_ISSUER = env_str("TANGGAP_TOTP_ISSUER", "Tanggap")
# How long the second step of a login may wait for its code after the password was right.
TANGGAP_LOGIN_STEP_SECONDS = 300
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Makassar")  # Balikpapan keeps WITA; stored times are UTC.
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Transport and browser (docs/configuration.md, "HTTPS"; docs/security.md) ------------------
# One switch for a desk served over HTTPS behind a TLS proxy: secure cookies, HSTS, a redirect of
# plain HTTP, and the proxy's X-Forwarded-Proto trusted to say a request came over HTTPS (the
# proxy must set it on every request and strip it from clients').
TANGGAP_HTTPS = env_bool("TANGGAP_HTTPS", False)
SESSION_COOKIE_SECURE = TANGGAP_HTTPS or env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
if TANGGAP_HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # A load balancer's health probe talks plain HTTP to the desk directly.
    SECURE_REDIRECT_EXEMPT = [r"^api/v1/health$"]
    SECURE_HSTS_SECONDS = env_int("TANGGAP_HSTS_SECONDS", 60 * 60 * 24 * 365, minimum=0)
    # Off by default: a city's other hosts under the desk's name may not all speak HTTPS yet,
    # and the preload list is a promise for the whole domain that the city makes, not the desk.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("TANGGAP_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("TANGGAP_HSTS_PRELOAD", False)
    if SECURE_HSTS_PRELOAD and not SECURE_HSTS_INCLUDE_SUBDOMAINS:
        raise ImproperlyConfigured(
            "TANGGAP_HSTS_PRELOAD=true needs TANGGAP_HSTS_INCLUDE_SUBDOMAINS=true (browsers' "
            "preload lists require it)")
    # Those two are deliberate, documented choices; `check --deploy` would warn about them.
    SILENCED_SYSTEM_CHECKS = [
        *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
        *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
    ]
# Scripts and styles only from the desk's own static files: no inline script, handler or style
# runs, so an HTML injection cannot become script. 'self' in connect-src covers the desk's own
# ws:/wss: origin (CSP Level 3).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
# The map of a citizen's location on the case page (Leaflet, served by the desk): tiles from this
# server, a URL template with {z}, {x} and {y}; its origin joins the CSP's img-src. Empty: no
# map, the coordinates only (a desk without internet access, or a city's own tile server).
TANGGAP_MAP_TILES = env_str("TANGGAP_MAP_TILES", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
TANGGAP_MAP_ATTRIBUTION = env_str("TANGGAP_MAP_ATTRIBUTION", "© OpenStreetMap contributors")
if TANGGAP_MAP_TILES:
    SECURE_CSP["img-src"] = [CSP.SELF, map_tiles_origin(TANGGAP_MAP_TILES)]
# --- end transport and browser ----------------------------------------------------------------

# Desk behaviour.
# An open inbox socket re-checks its login (session, active user, membership) before forwarding an
# event when its last check is older than this; a logout closes the user's sockets at once.
TANGGAP_LIVE_RECHECK_SECONDS = env_int("TANGGAP_LIVE_RECHECK_SECONDS", 30, minimum=0)
TANGGAP_CLAIM_LEASE_MINUTES = env_int("TANGGAP_CLAIM_LEASE_MINUTES", 15, minimum=1)
TANGGAP_MAX_MESSAGE_CHARS = 10_000
TANGGAP_API_PAGE_SIZE = env_int("TANGGAP_API_PAGE_SIZE", 50, minimum=1)
# Fernet keys for channel credentials at rest, newest first (rotation: `tanggap keys`); unset,
# a key derived from SECRET_KEY. Checked here so a malformed key stops the start, not a send.
TANGGAP_CREDENTIALS_KEYS = env_fernet_keys("TANGGAP_CREDENTIALS_KEY")
TANGGAP_SIMULATOR_INTERVAL = env_int("TANGGAP_SIMULATOR_INTERVAL", 20, minimum=0)
# A model written by `tanggap train`; unset (or unreadable) means cold-start triage. A workspace
# whose desk has trained its own model (below) uses that one instead.
TANGGAP_LANGUAGE_MODEL = env_str("TANGGAP_LANGUAGE_MODEL")
# The desk's own model (cases/learning.py): a workspace's corrections retrain it in the background
# after this many new labels, and at the latest every TANGGAP_RETRAIN_INTERVAL_SECONDS while any
# label is new; each process looks for a newer model at most every TANGGAP_MODEL_CHECK_SECONDS.
TANGGAP_RETRAIN_AFTER_LABELS = env_int("TANGGAP_RETRAIN_AFTER_LABELS", 20, minimum=1)
TANGGAP_RETRAIN_INTERVAL_SECONDS = env_int("TANGGAP_RETRAIN_INTERVAL_SECONDS", 6 * 3600,
                                           minimum=60)
TANGGAP_MODEL_CHECK_SECONDS = env_int("TANGGAP_MODEL_CHECK_SECONDS", 30, minimum=0)
# Citizen portal (/lapor/): where photos are stored.
TANGGAP_UPLOAD_DIR = Path(env_str("TANGGAP_UPLOAD_DIR", str(DATA_DIR / "uploads")))
# Personal data (UU PDP; docs/security.md, "Personal data"): months a closed case keeps the
# citizen's personal data, for workspaces that chose no period of their own (0: until an erasure);
# days a processed webhook keeps its raw body (0: for ever).
TANGGAP_RETENTION_MONTHS = env_int("TANGGAP_RETENTION_MONTHS", 24, minimum=0)
TANGGAP_WEBHOOK_BODY_DAYS = env_int("TANGGAP_WEBHOOK_BODY_DAYS", 30, minimum=0)
# The reverse proxies whose X-Forwarded-For is believed: a count or their addresses; unset, the
# header is ignored, since clients can forge it (tanggap/conf/proxies.py).
TANGGAP_TRUSTED_PROXIES = parse_trusted_proxies(env_str("TANGGAP_TRUSTED_PROXIES"))

# Referrals (tanggap/referrals, docs/referrals.md). Time limits in working days, SP4N-LAPOR!'s
# defaults (a body may override them); the liaison link's life; e-mail to bodies goes through
# Django's mail framework: the console by default, SMTP when EMAIL_HOST is set.
TANGGAP_REFERRAL_ACKNOWLEDGE_DAYS = env_int("TANGGAP_REFERRAL_ACKNOWLEDGE_DAYS", 3, minimum=1)
TANGGAP_REFERRAL_FOLLOW_UP_DAYS = env_int("TANGGAP_REFERRAL_FOLLOW_UP_DAYS", 5, minimum=1)
TANGGAP_LIAISON_LINK_DAYS = env_int("TANGGAP_LIAISON_LINK_DAYS", 30, minimum=1)
TANGGAP_REFERRAL_EMAIL_ATTEMPTS = env_int("TANGGAP_REFERRAL_EMAIL_ATTEMPTS", 5, minimum=1)
# How often the periodic job `referrals.remind` looks for late referrals (and retries e-mails).
TANGGAP_REFERRAL_REMIND_INTERVAL_SECONDS = env_int("TANGGAP_REFERRAL_REMIND_INTERVAL_SECONDS",
                                                   300, minimum=30)
# The desk's address as bodies reach it, for the links in e-mails.
TANGGAP_PUBLIC_URL = env_str("TANGGAP_PUBLIC_URL", "http://127.0.0.1:8000")
_EMAIL_HOST = env_str("EMAIL_HOST")
MAILERS = {"default": {
    "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "OPTIONS": {"host": _EMAIL_HOST, "port": env_int("EMAIL_PORT", 587, minimum=1),
                "username": env_str("EMAIL_HOST_USER"),
                "password": env_str("EMAIL_HOST_PASSWORD"),
                "use_tls": env_bool("EMAIL_USE_TLS", True),
                "timeout": env_int("EMAIL_TIMEOUT", 15, minimum=1)},
} if _EMAIL_HOST else {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "tanggap@localhost")
if not _EMAIL_HOST:
    # Without EMAIL_HOST, e-mails to bodies go to the log (a deliberate default: the desk still
    # shows each liaison link to paste into WhatsApp); `check --deploy` would call that an error.
    SILENCED_SYSTEM_CHECKS = [*globals().get("SILENCED_SYSTEM_CHECKS", []), "mail.E001"]
# Alerts on members' phones (tanggap.alerts, docs/operations.md). Web Push endpoints are pushed
# to only on these push services' hosts (and their subdomains), so a browser cannot make the desk
# call an address of its choosing.
TANGGAP_PUSH_HOSTS = env_list("TANGGAP_PUSH_HOSTS", [
    "fcm.googleapis.com", "updates.push.services.mozilla.com", "push.apple.com",
    "notify.windows.com"])
# Who the push services may contact about the desk's pushes (RFC 8292): a mailto: or https: URL.
TANGGAP_VAPID_SUBJECT = env_str("TANGGAP_VAPID_SUBJECT", "mailto:tanggap@localhost")
# Roster and SLA periodic checks (tanggap.roster, tanggap.sla).
TANGGAP_ROSTER_CHECK_SECONDS = env_int("TANGGAP_ROSTER_CHECK_SECONDS", 60, minimum=5)
TANGGAP_SLA_CHECK_SECONDS = env_int("TANGGAP_SLA_CHECK_SECONDS", 30, minimum=5)

# Citizens' data and the keys, checked at every start: open to other users of the machine (an old
# install, a restored backup), they are tightened with a notice, or the start is refused.
for _change in files.secure_paths([
    DATA_DIR, TANGGAP_UPLOAD_DIR, KEYS_DIR, KEYS_DIR / "secret_key",
    *(files.sqlite_files(DATABASES["default"]["NAME"])
      if _embedded else []),
]):
    files.notice(_change)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"refusals": {"()": "tanggap.conf.logging.RefusalsWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                             "filters": ["refusals"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}


if TESTING and _embedded:
    # A file, not :memory:, so the race tests' separate processes share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}

# --- Connectors (issue 4): platform APIs and webhooks; owned by tanggap/connectors --------------
# Versions, windows and limits change on the platforms' schedule, so they live here, not in code.
# Documented in docs/configuration.md and docs/platforms.md.
META_APP_SECRET = env_str("META_APP_SECRET")
# Instagram-Login apps have their own "Instagram app secret"; which one signs their webhooks is
# unconfirmed, so a signature made with either is accepted.
META_INSTAGRAM_APP_SECRET = env_str("META_INSTAGRAM_APP_SECRET")
META_VERIFY_TOKEN = env_str("META_VERIFY_TOKEN")
META_GRAPH_BASE_URL = env_str("META_GRAPH_BASE_URL", "https://graph.facebook.com").rstrip("/")
META_GRAPH_VERSION = env_str("META_GRAPH_VERSION", "v26.0")
INSTAGRAM_GRAPH_BASE_URL = env_str(
    "INSTAGRAM_GRAPH_BASE_URL", "https://graph.instagram.com").rstrip("/")
X_API_BASE_URL = env_str("X_API_BASE_URL", "https://api.x.com").rstrip("/")
CONNECTORS_HTTP_TIMEOUT_SECONDS = env_int("CONNECTORS_HTTP_TIMEOUT_SECONDS", 15, minimum=1)
CONNECTORS_MAX_ATTEMPTS = env_int("CONNECTORS_MAX_ATTEMPTS", 4, minimum=1)
CONNECTORS_MAX_RETRY_WAIT_SECONDS = env_int("CONNECTORS_MAX_RETRY_WAIT_SECONDS", 60, minimum=0)
# After the last attempt of a send that may have reached the platform, how long to wait before
# looking for it (the platform may list a post a little after it answers).
CONNECTORS_SETTLE_AFTER_SECONDS = env_int("CONNECTORS_SETTLE_AFTER_SECONDS", 30, minimum=0)
MESSAGING_WINDOW_HOURS = env_int("MESSAGING_WINDOW_HOURS", 24, minimum=1)
HUMAN_AGENT_WINDOW_DAYS = env_int("HUMAN_AGENT_WINDOW_DAYS", 7, minimum=1)
WHATSAPP_WINDOW_HOURS = env_int("WHATSAPP_WINDOW_HOURS", 24, minimum=1)
X_POLL_INTERVAL_SECONDS = env_int("X_POLL_INTERVAL_SECONDS", 120, minimum=15)
# A stored webhook whose processing raised this many times is not tried again: its events go to
# the dead letters of their channels (a bad event alone never counts: it fails by itself).
CONNECTORS_WEBHOOK_MAX_ATTEMPTS = env_int("CONNECTORS_WEBHOOK_MAX_ATTEMPTS", 5, minimum=1)
# How many stored webhooks one drain task processes before it queues its successor.
CONNECTORS_DRAIN_BATCH = env_int("CONNECTORS_DRAIN_BATCH", 500, minimum=1)
# How many drains parse one source's stored webhooks at once when at least
# CONNECTORS_DRAIN_FANOUT_AT wait (PostgreSQL only: SQLite has one writer at a time).
CONNECTORS_DRAIN_TASKS = env_int(
    "CONNECTORS_DRAIN_TASKS",
    1 if _embedded else 4, minimum=1)
CONNECTORS_DRAIN_FANOUT_AT = env_int("CONNECTORS_DRAIN_FANOUT_AT", 200, minimum=1)
# While more webhooks a second than this arrive, parsing pauses CONNECTORS_DRAIN_YIELD_SECONDS
# between batches so acknowledging them keeps the CPU (0 turns it off). On by default only for
# the embedded SQLite, where the drain and the acknowledgements share one machine's cores and
# one write lock; at scale the workers have machines of their own, and pausing there only made
# a burst reach the inbox later (2 s per 50 webhooks: 25 a second however many workers).
CONNECTORS_DRAIN_YIELD_RATE = env_int(
    "CONNECTORS_DRAIN_YIELD_RATE",
    100 if _embedded else 0, minimum=0)
CONNECTORS_DRAIN_YIELD_SECONDS = env_int("CONNECTORS_DRAIN_YIELD_MS", 2000, minimum=1) / 1000
# `tanggap sweep`: work older than this and still not done counts as stalled and is queued again;
# with --loop, how often to look.
CONNECTORS_SWEEP_AFTER_SECONDS = env_int("CONNECTORS_SWEEP_AFTER_SECONDS", 120, minimum=10)
CONNECTORS_SWEEP_INTERVAL_SECONDS = env_int("CONNECTORS_SWEEP_INTERVAL_SECONDS", 60, minimum=5)
# After X refused Direct Messages for an account (tier, scope), how long before asking again.
X_DM_RECHECK_HOURS = env_int("X_DM_RECHECK_HOURS", 24, minimum=1)
# The X developer app that issued channels' OAuth 2.0 tokens, to renew them (a channel may carry
# its own pair instead, for a city that owns its app). The secret only for confidential apps.
X_CLIENT_ID = env_str("X_CLIENT_ID")
X_CLIENT_SECRET = env_str("X_CLIENT_SECRET")
# Renew an X access token when it expires within this many seconds (it lasts 2 hours).
X_TOKEN_REFRESH_MARGIN_SECONDS = env_int("X_TOKEN_REFRESH_MARGIN_SECONDS", 300, minimum=0)
# --- end connectors -------------------------------------------------------------------------

# --- Reports, transparency, Open311, outgoing webhooks (issue 11); docs/reports.md ------------
# Readers of the audit trail (tanggap.audit.feed): events per transaction, and how long an id
# skipped by a reader is looked for again (a transaction still in flight on PostgreSQL).
TANGGAP_AUDIT_FEED_BATCH = env_int("TANGGAP_AUDIT_FEED_BATCH", 500, minimum=1)
TANGGAP_AUDIT_FEED_GAP_SECONDS = env_int("TANGGAP_AUDIT_FEED_GAP_SECONDS", 600, minimum=1)
# How often the periodic runner brings the roll-ups up to date (a report is at most this old,
# plus a batch: opening a report also catches up).
TANGGAP_REPORTS_INTERVAL_SECONDS = env_int("TANGGAP_REPORTS_INTERVAL_SECONDS", 5, minimum=1)
# Outgoing webhooks: how often new case events are turned into deliveries, and how many failed
# attempts of one delivery (30 s, 1, 2, 4 ... min apart, at most an hour) switch its endpoint off.
TANGGAP_HOOKS_INTERVAL_SECONDS = env_int("TANGGAP_HOOKS_INTERVAL_SECONDS", 5, minimum=1)
TANGGAP_HOOKS_MAX_ATTEMPTS = env_int("TANGGAP_HOOKS_MAX_ATTEMPTS", 8, minimum=1)
# --- end reports ------------------------------------------------------------------------------
