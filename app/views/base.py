"""The base of every model view: FAB's action endpoints answer plainly.

FAB's ``action``/``action_post`` answer an unknown action or a missing permission with a
redirect and a flash; ours answer 404/403 so that a refused request looks refused.
"""
import datetime

from dateutil import parser as date_parser
from flask import abort, request
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.models.sqla import filters as sqla_filters
from flask_appbuilder.models.sqla.interface import SQLAInterface


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
    def _init_forms(self):
        super()._init_forms()
        for form in (self.add_form, self.edit_form):
            checkboxes_may_be_left_off(form)

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


def checkboxes_may_be_left_off(form):
    """A yes/no column is NOT NULL, so FAB gives its checkbox ``InputRequired``: an unticked box
    sends nothing, the form answers 「必須です」 and the browser will not even submit it (the
    ``required`` attribute). A checkbox always has a value (unticked is no), so drop that rule."""
    from wtforms import BooleanField
    from wtforms.fields.core import UnboundField
    from wtforms.validators import DataRequired, InputRequired

    for unbound in vars(form).values():
        if isinstance(unbound, UnboundField) and issubclass(unbound.field_class, BooleanField):
            unbound.kwargs["validators"] = [
                v for v in unbound.kwargs.get("validators") or ()
                if not isinstance(v, (InputRequired, DataRequired))]


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


# --- Searching stored UTC times in Japan time ------------------------------------------------


def japan_time_as_stored(value):
    """A date-time the association typed (Japan time) as the naive UTC the columns store;
    anything that is not a date-time is left for FAB to refuse."""
    from app.timeutil import JST

    if isinstance(value, str):
        try:
            value = date_parser.parse(value)
        except (ValueError, OverflowError):
            return value
    if not isinstance(value, datetime.datetime):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=JST)
    return value.astimezone(datetime.timezone.utc).replace(tzinfo=None)


def _japan_time_filter(base):
    class JapanTimeFilter(base):
        def apply(self, query, value):
            return super().apply(query, japan_time_as_stored(value))

    JapanTimeFilter.__name__ = f"JapanTime{base.__name__}"
    return JapanTimeFilter


class JapanTimeFilterConverter(sqla_filters.SQLAFilterConverter):
    conversion_table = tuple(
        (test, [_japan_time_filter(f) for f in filters] if test == "is_datetime" else filters)
        for test, filters in sqla_filters.SQLAFilterConverter.conversion_table)


class JapanTimeInterface(SQLAInterface):
    """A model whose DateTime columns (naive UTC) are searched by the Japan time people type,
    matching the Japan time display_value shows them in."""

    filter_converter_class = JapanTimeFilterConverter
