"""The base of every model view: FAB's action endpoints answer plainly.

FAB's ``action``/``action_post`` answer an unknown action or a missing permission with a
redirect and a flash; ours answer 404/403 so that a refused request looks refused.
"""
from flask import abort, request
from flask_appbuilder import ModelView, expose, has_access


class KeizokuModelView(ModelView):
    def _init_properties(self):
        super()._init_properties()
        columns = set(self.list_columns or []) | set(self.show_columns or [])
        for column in columns:
            given = self.formatters_columns.get(column)
            self.formatters_columns[column] = (
                (lambda v, f=given: display_value(f(v) if v is not None else None))
                if given else display_value
            )
    def _guard_pk(self, pk):
        """Tenant views refuse a row they do not own before anything else happens."""

    @expose("/delete/<pk>", methods=["GET", "POST"])
    @has_access
    def delete(self, pk):
        self._guard_pk(pk)
        if request.method != "POST":
            abort(405)  # deleting takes a POST with a CSRF token
        return super().delete(pk)
    def _check_action(self, name):
        if name not in self.actions:
            abort(404)
        if not self.appbuilder.sm.has_access(self.get_action_permission_name(name),
                                             self.class_permission_name):
            abort(403)

    def action(self, name, pk):
        self._check_action(name)
        return super().action(name, pk)

    def action_post(self):
        self._check_action(request.form.get("action", ""))
        return super().action_post()


def display_value(value):
    """How a plain value reads on screen: Japanese yes/no, blanks, Japan time."""
    import datetime

    from app.timeutil import JST

    if value is None:
        return ""
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:  # stored as UTC
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.astimezone(JST).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, (list, tuple, set)):
        return "、".join(str(v) for v in value)
    return value
