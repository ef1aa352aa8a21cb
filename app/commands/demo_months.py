"""Two complete months of use for the demo businesses (part of `flask demo-data`), so that right
after `make run` the association can close last month, open the invoices and produce the debit
file.

For each of the two months before the current one (Japan time) and each demo site: 保適証 that
reached 連携済, each with its billable event, and, where the records menu is on, 記録簿 entered,
signed and output through the records services, which bill each one once. The clock
(``app.config["CLOCK"]``) is set to each moment as it happens, so every row, audit entry and
billable event carries its day in that month.

The 保適証 are written as rows rather than through the wizard: the wizard certifies with AIRAS,
which `flask demo-data` does not start, and refuses an inspection more than 14 days old. Their
billable events still go through app/services/billable.py (one per certificate, enforced by the
database), at the moment each certificate was linked.
"""
from __future__ import annotations

import datetime as dt
import random
import uuid
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import select

from app.commands.scale_data import CAR_WEIGHTS, CARS, FAMILY, GIVEN, INSURERS, PARTS
from app.domain.business_days import is_bank_business_day
from app.models.certificate import Certificate, Vehicle
from app.models.tenancy import ChiefMechanic, Inspector, Site
from app.security.models import KeizokuUser
from app.services import records as record_services
from app.services.billable import record_billable_event
from app.services.billing import month_days, previous_month
from app.tenancy import tenant_of
from app.timeutil import JST, today

MONTHS = 2
# (business name, site name) → (保適証, 記録簿) in a month, before a little variation.
VOLUMES = {
    ("株式会社さくらモータース", "本社工場"): (16, 5),
    ("株式会社さくらモータース", "世田谷工場"): (9, 0),
    ("株式会社さくらモータース", "練馬工場"): (7, 0),
    ("有限会社みどり自動車", "名古屋工場"): (12, 4),
}
PLATE_AREAS = {"30": ("品川", "練馬", "世田谷", "多摩"), "50": ("名古屋", "尾張小牧")}
PRIVATE_KANA = "さすせそたちつてとなにぬねのはひふほまみむめもやゆよらりるろ"
BUSINESS_KANA = "あいうえかきくけこを"
CAR_CHOICES = [(car, weight) for car, weight in zip(CARS, CAR_WEIGHTS) if car[4] != "small_motorcycle"]
# (use, body) → the 記録簿 form and its designated and periodic intervals.
FORMS = {("private", "passenger"): ("beppyo6", 24, 12), ("business", "truck"): ("beppyo3", 12, 3),
         ("private", "truck"): ("beppyo5", 12, 6), ("business", "passenger"): ("beppyo3", 12, 3)}


def demo_months(on: dt.date, count: int = MONTHS) -> list[tuple[int, int]]:
    """The ``count`` complete months before the month of ``on``, oldest first."""
    months, year, month = [], on.year, on.month
    for _ in range(count):
        year, month = previous_month(year, month)
        months.append((year, month))
    return months[::-1]


@contextmanager
def clock_at(moment: dt.datetime):
    """Every service stamps ``moment`` (Japan time) while the block runs."""
    config = current_app.config
    previous = config.get("CLOCK")
    config["CLOCK"] = lambda: moment
    try:
        yield
    finally:
        config["CLOCK"] = previous


def _utc_naive(moment):
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _person(rng):
    return f"{rng.choice(FAMILY)[0]} {rng.choice(GIVEN)[0]}"


def _working_days(year, month, rng, count):
    first, last = month_days(year, month)
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    days = [d for d in days if is_bank_business_day(d) or d.weekday() == 5]  # shops open Saturdays
    return sorted(rng.choice(days) for _ in range(count))


def _plate(rng, site, car):
    area = rng.choice(PLATE_AREAS.get(site.district_code, ("品川",)))
    business = car[5] == "business"
    if car[4] == "kei":
        klass = "480" if business else rng.choice(("580", "581", "583"))
    else:
        klass = "100" if business else rng.choice(("300", "330", "331", "500", "502", "530"))
    kana = rng.choice(BUSINESS_KANA if business else PRIVATE_KANA)
    number = rng.randint(1, 9999)
    serial = f"{number // 100}-{number % 100:02d}" if number >= 1000 else f"{number}"
    return f"{area} {klass} {kana} {serial}"


class DemoMonths:
    """Writes the months; one instance per `flask demo-data` run."""

    def __init__(self, session, seed=20261126):
        self.session = session
        self.seed = seed
        self.serial = 0

    def load(self, on: dt.date | None = None) -> dict:
        counts = {"certificates": 0, "records": 0}
        sites = self.session.scalars(select(Site).order_by(Site.id)).all()
        for year, month in demo_months(on or today()):
            for site in sites:
                volume = VOLUMES.get((site.business.name, site.name))
                if volume is None:
                    continue
                rng = random.Random(f"{self.seed}-{year}-{month}-{site.id}")
                made = self.site_month(site, year, month, rng, volume)
                counts["certificates"] += made[0]
                counts["records"] += made[1]
        return counts

    # -- one site, one month --------------------------------------------------------------

    def site_month(self, site, year, month, rng, volume):
        certificates_wanted, records_wanted = volume
        inspector = self.session.scalars(select(Inspector).where(
            Inspector.site_id == site.id, Inspector.active.is_(True)).order_by(Inspector.id)).first()
        certified_by = self._user(site, "inspector") or self._user(site, "site_manager")
        certificates = [self.certificate(site, inspector, certified_by, day, rng)
                        for day in _working_days(year, month, rng,
                                                 certificates_wanted + rng.randint(-2, 3))]
        self.session.commit()
        records = 0
        if site.records_enabled and records_wanted:
            signer = self._user(site, "inspector")
            chief = self.session.scalars(select(ChiefMechanic).where(
                ChiefMechanic.site_id == site.id).order_by(ChiefMechanic.id)).first()
            if chief is not None and chief.user_id is None and signer is not None:
                chief.user_id = signer.id  # the 整備主任者 signs only as themself: here, their login
            wanted = records_wanted + rng.randint(-1, 2)
            designated = certificates[: (wanted * 2) // 3]
            for certificate, vehicle in designated:
                self.designated_record(site, signer, inspector, chief, certificate, vehicle, rng)
            for day in _working_days(year, month, rng, wanted - len(designated)):
                self.periodic_record(site, signer, chief, day, rng)
            records = wanted
        return len(certificates), records

    def _user(self, site, role):
        """The first login of ``role`` at ``site``."""
        users = self.session.scalars(select(KeizokuUser).where(
            KeizokuUser.business_id == site.business_id).order_by(KeizokuUser.id))
        return next((u for u in users if role in u.role_names and site in u.sites), None)

    # -- 保適証 ----------------------------------------------------------------------------

    def certificate(self, site, inspector, certified_by, day, rng):
        """A 保適証 as it stands once AIRAS linked it, and its billable event."""
        car = rng.choices([c for c, _ in CAR_CHOICES], weights=[w for _, w in CAR_CHOICES])[0]
        name, model, chassis_prefix, _engine, kind, use, _body, weight = car
        self.serial += 1
        chassis = f"{chassis_prefix}-{rng.randint(1, 899)}{self.serial:04d}"  # unique per business
        plate = _plate(rng, site, car)
        owner = _person(rng)
        address = f"{site.address.split('区')[0]}区" if "区" in (site.address or "") else site.address
        odometer = rng.randint(8_000, 140_000)
        years = 1 if use == "business" else 2
        inspected = dt.datetime.combine(day, dt.time(rng.randint(9, 16), rng.randint(0, 59)), JST)
        linked = inspected + dt.timedelta(minutes=rng.randint(8, 40))
        expiry = dt.date(day.year + years, day.month, 28 if day.month == 2 else day.day)
        valid_until = day + dt.timedelta(days=14)
        hybrid = site.ainas_status == "hybrid_only"
        weight_tax = {"registered": 24_600 if years == 2 else 16_400, "kei": 6_600}[kind]
        fee = 1_600 if kind != "kei" else 1_400
        issue_number = f"{day:%y}{site.id:05d}{self.serial:05d}"
        with clock_at(linked):
            vehicle = Vehicle(business_id=site.business_id, site_id=site.id, chassis_number=chassis,
                              vehicle_kind=kind, registration_number=plate, model=model,
                              first_registration=f"{day.year - rng.randint(3, 12)}-{rng.randint(1, 12):02d}",
                              last_odometer_km=odometer, last_inspection_date=day)
            self.session.add(vehicle)
            self.session.flush()
            policy = {"certificate_number": f"{rng.choice('ABCDEFGHJK')}{rng.randint(10**9, 10**10 - 1)}",
                      "insurer_name": rng.choice(INSURERS),
                      "start_date": (day - dt.timedelta(days=3)).isoformat(),
                      "end_date": (expiry + dt.timedelta(days=30)).isoformat(), "electronic": True}
            certificate = Certificate(
                business_id=site.business_id, site_id=site.id, vehicle_id=vehicle.id,
                inspector_id=inspector.id, certified_by_id=certified_by.id if certified_by else None,
                status="linked" if hybrid else rng.choice(("completed", "completed", "reported")),
                application_type="hybrid" if hybrid else "oss", vehicle_kind=kind,
                chassis_number=chassis, registration_number=plate, model=model,
                inspection_date=day, issue_date=day, odometer_km=odometer, validity_years=years,
                new_expiry_date=expiry, certificate_valid_until=valid_until,
                last_application_date=valid_until, weight_tax_yen=weight_tax,
                inspection_fee_yen=fee,
                details={"vehicle": {"registration_number": plate, "vehicle_kind": kind,
                                     "chassis_number": chassis, "model": model, "car_name": name,
                                     "owner_name": owner, "owner_address": address,
                                     "vehicle_weight_kg": weight},
                         "inspection": {"inspection_date": day.isoformat(),
                                        "inspector_id": inspector.id, "odometer_km": odometer,
                                        "validity_years": years, "use": use,
                                        "application_type": "hybrid" if hybrid else "oss"},
                         "insurance": {"policies": [policy]},
                         "checks": {"weight_tax_yen": weight_tax, "inspection_fee_yen": fee}},
                payload={"site_code": site.airas_shop_code, "inspector_code": inspector.inspector_code,
                         "chassis_number": chassis, "inspection_date": day.isoformat(),
                         "issue_date": day.isoformat(), "odometer_km": odometer,
                         "compulsory_insurance": [policy],
                         "user_of_vehicle": {"name": owner, "address": address}},
                idempotency_key=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                airas_id=f"A{self.serial:011d}", issue_number=issue_number,
                airas_status="作成済", attempts=1, next_attempt_at=None,
                sent_at=_utc_naive(linked - dt.timedelta(minutes=2)), linked_at=_utc_naive(linked))
            self.session.add(certificate)
            self.session.flush()
            record_billable_event(self.session, kind="certificate", object_id=certificate.id,
                                  business_id=site.business_id, site_id=site.id,
                                  occurred_at=certificate.linked_at)
        return certificate, (owner, address, car)

    # -- 記録簿 ----------------------------------------------------------------------------

    def designated_record(self, site, user, inspector, chief, certificate, vehicle, rng):
        owner, address, car = vehicle
        form, interval, _ = FORMS[(car[5], car[6])]
        day = certificate.inspection_date
        start = dt.datetime.combine(day, dt.time(9, 0), JST)
        self._record(site, user, start, rng, dict(
            site_id=site.id, kind="designated", form=form, interval_months=interval,
            certificate_id=certificate.id, car_name=car[0], engine_model=car[3],
            customer_name=owner, customer_address=address),
            {"certificate_number": certificate.issue_number},
            signatures=(("inspector", inspector.id), ("chief_mechanic", chief.id)))

    def periodic_record(self, site, user, chief, day, rng):
        car = rng.choices([c for c, _ in CAR_CHOICES], weights=[w for _, w in CAR_CHOICES])[0]
        form, _, interval = FORMS[(car[5], car[6])]
        self.serial += 1
        start = dt.datetime.combine(day, dt.time(rng.randint(9, 14), 0), JST)
        self._record(site, user, start, rng, dict(
            kind="periodic", form=form, interval_months=interval, inspection_date=day,
            site_id=site.id, registration_number=_plate(rng, site, car),
            chassis_number=f"{car[2]}-{rng.randint(1, 899)}{self.serial:04d}",
            model_code=car[1], car_name=car[0], engine_model=car[3],
            first_registration=f"{day.year - rng.randint(2, 10)}-{rng.randint(1, 12):02d}",
            customer_name=_person(rng), customer_address=site.address),
            {"odometer_km": str(rng.randint(5_000, 120_000))},
            signatures=(("chief_mechanic", chief.id),))

    def _record(self, site, user, start, rng, fields, details, signatures):
        """Entered on the inspection day, signed, and output (billed) an hour or two later."""
        session, tenant = self.session, tenant_of(user)
        with clock_at(start):
            record = record_services.create_record(session, tenant, **fields)
            for device in record_services.record_form(record).devices:
                record_services.mark_device_good(session, tenant, record.id, device.code)
            parts = rng.sample(PARTS, rng.randint(0, 2))
            if parts:
                record_services.add_replaced_parts(session, tenant, record.id, [
                    {"name": n, "quantity": q, "unit": u} for n, q, u in parts])
            record_services.update_details(session, tenant, record.id, {
                **details, "completion_date": start.date().isoformat(),
                "work_summary": "点検整備一式" + ("・部品交換" if parts else "")})
        with clock_at(start + dt.timedelta(minutes=rng.randint(60, 150))):
            for signature, signer_id in signatures:
                record_services.sign_record(session, tenant, user, record.id,
                                            signature=signature, signer_id=signer_id)
            session.commit()
        with clock_at(start + dt.timedelta(minutes=rng.randint(160, 300))):
            record_services.mark_first_output(session, record.id)  # bills it, commits
        return record
