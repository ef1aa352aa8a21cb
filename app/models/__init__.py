"""SQLAlchemy models, one module per aggregate. Importing this package registers them all."""
from app.models.audit import AuditLog  # noqa: F401
from app.models.tenancy import Business, ChiefMechanic, Inspector, Site  # noqa: F401
from app.security.models import KeizokuUser, user_site  # noqa: F401
