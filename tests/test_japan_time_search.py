"""Every list that can be searched by a date-time searches in Japan time: the columns store
naive UTC and the screens show Japan time, so a search by what the screen shows must go
through JapanTimeInterface (app/views/base.py)."""
from flask_appbuilder.baseviews import BaseCRUDView


def test_every_date_time_search_takes_japan_time(app):
    from app.extensions import appbuilder
    from app.views.base import JapanTimeInterface

    searched = []
    for view in appbuilder.baseviews:
        if not isinstance(view, BaseCRUDView):
            continue
        datamodel = view.datamodel
        for column in view.search_columns:
            if datamodel.is_datetime(column):
                searched.append(view.__class__.__name__)
                assert isinstance(datamodel, JapanTimeInterface), (
                    f"{view.__class__.__name__}.{column} is searched in UTC")
    assert searched  # the audit log and the notices at least
