"""SQLAlchemy models, one module per aggregate. Importing this package registers them all
(every module in the package is imported, so a new aggregate needs no edit here)."""
import importlib
import pkgutil

from app.models.audit import AuditLog  # noqa: F401
from app.models.billing import BillableEvent  # noqa: F401
from app.models.tenancy import Business, ChiefMechanic, Inspector, Site  # noqa: F401
from app.security.models import KeizokuUser, user_site  # noqa: F401

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
