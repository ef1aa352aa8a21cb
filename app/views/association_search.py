"""The association's search across every business and site: 保適証 and 記録簿 by plate
(登録番号・車両番号) and 車台番号, for the support desk on the phone with a shop.

Association roles only (ROLE_PERMISSIONS below); shop users never hold its permission, and
it shows no row to anyone else. The match is found first through the indexes (a plate's serial
or a whole plate: the b-tree indexes of migration 0009; part of a plate or a 車台番号: the
trigram indexes), at most ``MATCH_CAP`` ids and dates per table in one scan; then only the
newest ``SHOWN`` rows are loaded: the work is bounded whatever the table size.
"""
from flask import request
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import select

from app.extensions import db
from app.models.certificate import Certificate
from app.models.record import RECORD_KINDS, RECORD_STATUSES, Record
from app.domain import plates
from app.models.tenancy import Business, Site
from app.services.certificates import drafts, labels

MIN_LENGTH = plates.MIN_PARTIAL  # trigram search needs three characters
MATCH_CAP = 5000
SHOWN = 100


def _terms(args):
    plate = (args.get("plate") or "").strip()
    chassis = drafts.normalise_chassis(args.get("chassis") or "")
    return plate, chassis


def _matches(model, plate, chassis):
    """Rows of ``model`` matching every given term, newest inspection first, with names.

    One index scan finds at most MATCH_CAP + 1 matches with their dates; only the newest
    SHOWN of them are then loaded with their site and business."""
    matched = select(model.id, model.inspection_date)
    if plate:
        matched = matched.where(model.plate_matches(plate))
    if chassis:
        matched = matched.where(model.chassis_number.contains(chassis, autoescape=True))
    found = db.session.execute(matched.limit(MATCH_CAP + 1)).all()
    newest = [row.id for row in sorted(found, key=lambda r: (r.inspection_date, r.id), reverse=True)[:SHOWN]]
    rows = db.session.execute(
        select(model, Site.name, Business.name)
        .join(Site, Site.id == model.site_id)
        .join(Business, Business.id == model.business_id)
        .where(model.id.in_(newest))
        .order_by(model.inspection_date.desc(), model.id.desc())).all() if newest else []
    return rows, len(found)


class AssociationSearchView(BaseView):
    route_base = "/association/search"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        plate, chassis = _terms(request.args)
        errors, certificates, records = [], None, None
        counts = {}
        if plate or chassis:
            if plates.search_kind(plate) == "too_short" or 0 < len(chassis) < MIN_LENGTH:
                errors.append(f"登録番号は一連指定番号(例: 12-34)か{MIN_LENGTH}文字以上、"
                              f"車台番号は{MIN_LENGTH}文字以上(例: 下7桁)で検索してください。")
            else:
                certificates, counts["certificates"] = _matches(Certificate, plate, chassis)
                records, counts["records"] = _matches(Record, plate, chassis)
        return self.render_template(
            "association_search/search.html", plate=plate, chassis=chassis, errors=errors,
            certificates=certificates, records=records, counts=counts, cap=MATCH_CAP,
            shown=SHOWN, status_labels=labels.STATUS_LABELS, record_kinds=RECORD_KINDS,
            record_statuses=RECORD_STATUSES, title="保適証・記録簿の検索(全事業者)")


ROLE_PERMISSIONS = {
    "association_admin": {"AssociationSearchView": ("can_index",)},
    "association_staff": {"AssociationSearchView": ("can_index",)},
}
ROLE_MENUS = {
    "association_admin": ("AssociationSearch", "Association"),
    "association_staff": ("AssociationSearch", "Association"),
}


def register(appbuilder):
    appbuilder.add_view(AssociationSearchView, "AssociationSearch", label="保適証・記録簿の検索",
                        icon="fa-search", category="Association", category_label="協会管理",
                        category_icon="fa-landmark")
