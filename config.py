"""Settings, every one read from the environment (12-factor); one class per environment."""
import os
from datetime import timedelta

from app.settings import SAMPLES as OPERATOR_SAMPLES

BASE_DIR = os.path.abspath(os.path.dirname(__file__))


def _env_bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _database_url():
    url = os.environ.get("DATABASE_URL") or "sqlite:///" + os.path.join(
        BASE_DIR, "instance", "keizoku.db"
    )
    # psycopg 3 is the PostgreSQL driver; accept the plain URL form operators write.
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    elif url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    return url


class Config:
    TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Tokyo")
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-change-me")
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # Flask-AppBuilder: migrations own the schema; permissions are synced by a command.
    FAB_CREATE_DB = False
    FAB_UPDATE_PERMS = _env_bool("FAB_UPDATE_PERMS", False)
    FAB_SECURITY_MANAGER_CLASS = "app.security.manager.KeizokuSecurityManager"
    FAB_ADD_SECURITY_VIEWS = True  # our manager registers only the login view
    FAB_ADD_SECURITY_API = False  # no REST login: nothing to brute-force there
    FAB_API_SWAGGER_UI = False
    FAB_INDEX_VIEW = "app.views.home.KeizokuIndexView"
    FAB_BASE_TEMPLATE = "keizoku/base.html"
    FAB_PASSWORD_COMPLEXITY_ENABLED = True
    FAB_PASSWORD_COMPLEXITY_VALIDATOR = "app.security.passwords.validate_complexity"
    AUTH_TYPE = 1  # AUTH_DB
    AUTH_USER_REGISTRATION = False
    AUTH_ROLE_ADMIN = "association_admin"
    AUTH_ROLE_PUBLIC = "Public"
    AUTH_RATE_LIMITED = _env_bool("AUTH_RATE_LIMITED", True)
    AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "20 per minute")
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True

    # Account rules.
    LOCKOUT_THRESHOLD = int(os.environ.get("LOCKOUT_THRESHOLD", "10"))
    LOCKOUT_MINUTES = int(os.environ.get("LOCKOUT_MINUTES", "15"))

    # Sessions and cookies: idle timeout, no remember-me, cookies not readable by scripts.
    PERMANENT_SESSION_LIFETIME = timedelta(
        minutes=int(os.environ.get("IDLE_TIMEOUT_MINUTES", "30"))
    )
    SESSION_REFRESH_EACH_REQUEST = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    SESSION_COOKIE_NAME = "keizoku_session"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)
    WTF_CSRF_ENABLED = True
    # Tablets sit on a form for a long time; drafts are saved server-side anyway.
    WTF_CSRF_TIME_LIMIT = int(os.environ.get("WTF_CSRF_TIME_LIMIT", str(12 * 3600)))

    # Japanese UI: FAB prepends its own catalog; ours comes after it and so overrides it.
    BABEL_DEFAULT_LOCALE = "ja"
    BABEL_DEFAULT_TIMEZONE = "Asia/Tokyo"
    LANGUAGES = {"ja": {"flag": "jp", "name": "日本語"}}
    BABEL_TRANSLATION_DIRECTORIES = os.path.join(BASE_DIR, "translations")

    # Operating hours for shop users (Japan time): closed 0:00-1:00 daily and 12/29-1/3.
    MAINTENANCE_DAILY_START = os.environ.get("MAINTENANCE_DAILY_START", "00:00")
    MAINTENANCE_DAILY_END = os.environ.get("MAINTENANCE_DAILY_END", "01:00")
    HOLIDAY_CLOSURE_START = os.environ.get("HOLIDAY_CLOSURE_START", "12-29")
    HOLIDAY_CLOSURE_END = os.environ.get("HOLIDAY_CLOSURE_END", "01-03")

    # Mail (SMTP).
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "10"))

    # --- Operator settings: who the association is, its collection account, where the ----
    # service is reached. No defaults in production: app/settings.py checks them at the start
    # of gunicorn's run:app and of the scheduler, and `flask deploy-check` lists what is wrong.
    REQUIRE_OPERATOR_SETTINGS = True
    SERVICE_NAME = os.environ.get("SERVICE_NAME", "Keizoku")  # the guide, the FAQ, mails
    APP_NAME = SERVICE_NAME  # FAB's page titles
    ASSOCIATION_NAME = os.environ.get("ASSOCIATION_NAME")
    ASSOCIATION_ADDRESS = os.environ.get("ASSOCIATION_ADDRESS")
    ASSOCIATION_PHONE = os.environ.get("ASSOCIATION_PHONE")
    ASSOCIATION_CONTACT = os.environ.get("ASSOCIATION_CONTACT")  # the support desk, as shown
    ASSOCIATION_SUPPORT_EMAIL = os.environ.get("ASSOCIATION_SUPPORT_EMAIL")  # inquiries go there
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER")
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL")  # every absolute URL starts with it
    INVOICE_REGISTRATION_NUMBER = os.environ.get("INVOICE_REGISTRATION_NUMBER")
    DEBIT_CONSIGNOR_CODE = os.environ.get("DEBIT_CONSIGNOR_CODE")
    DEBIT_CONSIGNOR_NAME = os.environ.get("DEBIT_CONSIGNOR_NAME")
    DEBIT_BANK_CODE = os.environ.get("DEBIT_BANK_CODE")
    DEBIT_BRANCH_CODE = os.environ.get("DEBIT_BRANCH_CODE")
    DEBIT_ACCOUNT_TYPE = os.environ.get("DEBIT_ACCOUNT_TYPE")
    DEBIT_ACCOUNT_NUMBER = os.environ.get("DEBIT_ACCOUNT_NUMBER")

    # Outside systems (reached only through app/integrations clients).
    # Defaults point at the sandbox that `make run` starts (python -m app.integrations.sandbox).
    SANDBOX_PORT = int(os.environ.get("SANDBOX_PORT", "8765"))
    AIRAS_BASE_URL = os.environ.get("AIRAS_BASE_URL", f"http://127.0.0.1:{SANDBOX_PORT}/airas")
    AINAS_BASE_URL = os.environ.get("AINAS_BASE_URL", f"http://127.0.0.1:{SANDBOX_PORT}/ainas")
    MLIT_BASE_URL = os.environ.get("MLIT_BASE_URL", f"http://127.0.0.1:{SANDBOX_PORT}/mlit")
    MLIT_KEI_BASE_URL = os.environ.get("MLIT_KEI_BASE_URL", f"http://127.0.0.1:{SANDBOX_PORT}/kei")
    OUTSIDE_TIMEOUT_SECONDS = float(os.environ.get("OUTSIDE_TIMEOUT_SECONDS", "10"))

    # The token API for shop systems and its webhooks (app/api/, app/services/webhooks.py).
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "120 per minute")  # per token
    # Webhook targets on private, loopback or link-local addresses (and plain http) are refused
    # unless this is on: for tests and closed networks only.
    WEBHOOK_ALLOW_PRIVATE_TARGETS = _env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
    WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "5"))
    WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "12"))
    WEBHOOK_RETRY_BASE_SECONDS = float(os.environ.get("WEBHOOK_RETRY_BASE_SECONDS", "30"))

    # Scheduler (python -m scheduler): the active one beats this often; a standby takes over
    # from one whose last beat is older than SCHEDULER_STALE_SECONDS (docs/operations.md §4).
    SCHEDULER_HEARTBEAT_SECONDS = float(os.environ.get("SCHEDULER_HEARTBEAT_SECONDS", "5"))
    SCHEDULER_STALE_SECONDS = float(os.environ.get("SCHEDULER_STALE_SECONDS", "30"))

    # sec:
    # How many reverse proxies stand before the app (app/proxy.py): 0 ignores X-Forwarded-*,
    # 1 for the nginx of docs/operations.md.
    TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
    # Every request body at most this large (a Japanese 413 above it; app/input_guard.py).
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_MB", "10")) * 1024 * 1024
    # The public application form (no login), per client address.
    PUBLIC_FORM_RATE_LIMIT = os.environ.get("PUBLIC_FORM_RATE_LIMIT", "20 per hour")

    # docsother:
    # The official blank hybrid forms and corrected position files the association uploads
    # (app/services/hybrid_forms.py); default instance/hybrid_forms. Shared by every web instance.
    HYBRID_FORMS_DIR = os.environ.get("HYBRID_FORMS_DIR")

    # cintake:
    # Unconfirmed 保適証 drafts nobody touched for this many days are deleted by the scheduler
    # (scheduler/jobs/certificate_drafts.py); a correction draft of a pulled-back 保適証 is kept.
    CERTIFICATE_DRAFT_EXPIRY_DAYS = int(os.environ.get("CERTIFICATE_DRAFT_EXPIRY_DAYS", "30"))

    # cchecks: the e-JIBAI check and the 放置違反金 query (app/integrations/jibai.py, parking_fines.py).
    JIBAI_BASE_URL = os.environ.get("JIBAI_BASE_URL", f"http://127.0.0.1:{SANDBOX_PORT}/jibai")
    PARKING_FINES_BASE_URL = os.environ.get("PARKING_FINES_BASE_URL", f"http://127.0.0.1:{SANDBOX_PORT}/parking")

    # csignoff:
    # 承諾書 (services/certificates/consents.py): the largest scan a shop may upload, and how long
    # a consent is kept after it stops being valid (the records' 2 years, shop-workflow.md §5 [I]).
    CONSENT_MAX_UPLOAD_BYTES = int(os.environ.get("CONSENT_MAX_UPLOAD_BYTES", str(5 * 1024 * 1024)))
    CONSENT_RETENTION_YEARS = int(os.environ.get("CONSENT_RETENTION_YEARS", "2"))

    # cfollow:
    # A filing whose status has not moved for this many hours, counted on days the 運輸支局
    # works, is flagged on the shop's certificate list with who to ask (services/certificates/responsibility.py).
    CERTIFICATE_STALLED_WEEKDAY_HOURS = float(os.environ.get("CERTIFICATE_STALLED_WEEKDAY_HOURS", "24"))


def with_operator_samples(*, from_environment=True):
    """Development, the tests and the demo: the operator settings the environment does not set
    (tests: all of them) are the samples of app/settings.py, which production refuses."""
    def apply(cls):
        cls.REQUIRE_OPERATOR_SETTINGS = False
        for name, sample in OPERATOR_SAMPLES.items():
            setattr(cls, name, os.environ.get(name, sample) if from_environment else sample)
        return cls

    return apply


@with_operator_samples()
class DevelopmentConfig(Config):
    # `make run` serves plain http on localhost.
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE


@with_operator_samples(from_environment=False)
class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = _database_url() if os.environ.get("DATABASE_URL") else (
        "sqlite:///" + os.path.join(BASE_DIR, "instance", "test.db")
    )
    MAIL_SERVER = "127.0.0.1"
    FAB_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast hashes keep the suite quick
    RATELIMIT_STORAGE_URI = "memory://"
    AUTH_RATE_LIMIT = "10000 per minute"  # the rate-limit test lowers it
