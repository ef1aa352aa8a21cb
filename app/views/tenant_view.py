"""Shop-facing Flask-AppBuilder views go through this mixin, and only through it.

It closes the gaps FAB leaves (FAB-NOTES.md, "Tenant isolation"): list/show/edit/delete
are scoped by a base filter built from app.tenancy; relationship dropdowns list only the
tenant's rows; actions re-load every pk through the scope; the tenant columns never appear
in a form; a new row gets the tenant in pre_add; an edit that would move a row to another
tenant is refused.
"""
from flask import abort
from flask_appbuilder.models.filters import BaseFilter

from app.tenancy import current_tenant, tenant_criteria
from app.views.base import KeizokuModelView


class TenantFilter(BaseFilter):
    """Limits any query on ``self.model`` to the current tenant (the column is ignored)."""

    name = "tenant"

    def apply(self, query, value):
        return query.filter(tenant_criteria(self.model, current_tenant()))


def tenant_filter_spec():
    return [["id", TenantFilter, lambda: None]]


TENANT_COLUMNS = ("business", "business_id")


class TenantModelView(KeizokuModelView):
    """Base class for every shop-facing CRUD view."""

    base_filters = tenant_filter_spec()
    # Relationship fields filled in by __init_subclass__: every related model is scoped too.
    tenant_rel_fields = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        rel = {name: tenant_filter_spec() for name in cls.tenant_rel_fields}
        cls.add_form_query_rel_fields = dict(rel)
        cls.edit_form_query_rel_fields = dict(rel)
        cls.search_form_query_rel_fields = dict(rel)
        for attr in ("add_columns", "edit_columns", "search_columns"):
            cols = getattr(cls, attr, None)
            if cols and any(c in TENANT_COLUMNS for c in cols):
                raise TypeError(f"{cls.__name__}.{attr} must not expose the tenant column")

    def _guard_pk(self, pk):
        self._owned(pk)

    def _owned(self, pk):
        item = self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters)
        if item is None:
            abort(404)
        return item

    def action(self, name, pk):
        self._check_action(name)
        self._owned(pk)
        return super().action(name, pk)

    def action_post(self):
        from flask import request

        self._check_action(request.form.get("action", ""))
        for pk in request.form.getlist("rowid"):
            self._owned(pk)
        return super().action_post()

    def pre_add(self, item):
        tenant = current_tenant()
        if tenant.is_empty:
            abort(403)
        item.business_id = tenant.business_id
        if hasattr(item, "site_id") and getattr(item, "__tenant_scope__", "") == "site":
            site = getattr(item, "site", None)
            site_id = site.id if site is not None else item.site_id
            if not tenant.owns_site(site_id):
                abort(403)

    def pre_update(self, item):
        tenant = current_tenant()
        if item.business_id != tenant.business_id:
            abort(403)
        if getattr(item, "__tenant_scope__", "") == "site":
            site = getattr(item, "site", None)
            site_id = site.id if site is not None else item.site_id
            if not tenant.owns_site(site_id):
                abort(403)

    def pre_delete(self, item):
        self.pre_update(item)
