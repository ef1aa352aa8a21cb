"""Our login user: FAB's ab_user extended with tenancy and account-safety columns."""
from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Table
from sqlalchemy.orm import relationship

user_site = Table(
    "user_site",
    Model.metadata,
    Column("user_id", Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", Integer, ForeignKey("site.id", ondelete="CASCADE"), primary_key=True),
)

ASSOCIATION_ROLES = ("association_admin", "association_staff")
SHOP_ROLES = ("site_manager", "inspector", "clerk")


class KeizokuUser(User):
    """Single-table extension of ab_user (FAB's extendsecurity pattern)."""

    __label__ = "利用者"
    __tenant_scope__ = "user"
    __audited__ = True
    __audit_exclude__ = ("password", "initial_password_hash", "last_login", "login_count",
                         "changed_on", "changed_by_fk", "session_version")

    business_id = Column(Integer, ForeignKey("business.id"), nullable=True, index=True)
    must_change_password = Column(Boolean, nullable=False, default=True)
    locked_until = Column(DateTime)  # UTC
    initial_password_hash = Column(String(256))
    password_changed_at = Column(DateTime)  # UTC
    # Every session carries the version it was opened with; a bump ends them all
    # (app/security/sessions.py).
    session_version = Column(Integer, nullable=False, default=0, server_default="0")

    business = relationship("Business")
    sites = relationship("Site", secondary=user_site, order_by="Site.id")

    @property
    def role_names(self):
        return {role.name for role in self.roles}

    @property
    def is_association(self):
        return bool(self.role_names & set(ASSOCIATION_ROLES))

    @property
    def display_name(self):
        return f"{self.last_name} {self.first_name}".strip()
