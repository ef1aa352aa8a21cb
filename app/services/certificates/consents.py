"""承諾書 (shop-workflow.md §5): the vehicle user's consent to the electronic 保適証 and 自賠責.

The customer (or, for a company, any person in charge) signs with a finger on the tablet, or the
shop takes a scan of a signed or sealed paper one. One consent covers one vehicle or, as a bulk
承諾書, a list of a company's vehicles by 車台番号. The wizard asks ``valid_consent_for`` instead
of a tick box. A consent is valid from its signing for the months chosen (``VALIDITY_MONTHS``, a
shop's choice: the law sets no period [I]) and is kept ``CONSENT_RETENTION_YEARS`` (2) after it
stops being valid, like the records, then purged by the nightly job.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
import re
import unicodedata

from flask import current_app
from sqlalchemy import delete, select

from app import audit
from app.models.consent import Consent, ConsentVehicle
from app.models.tenancy import Site
from app.services.certificates.common import CertificateInputError
from app.tenancy import get_owned_or_404

audit.ACTION_LABELS.update({"consent_taken": "承諾書の受領", "consents_purged": "承諾書 保存期間経過による削除"})

VALIDITY_MONTHS = {"3": "3か月(今回の車検)", "12": "1年", "24": "2年"}
METHOD_LABELS = {"signature": "タブレットで署名", "scan": "署名済みの書面を取り込み"}
SCAN_TYPES = (("application/pdf", b"%PDF-"), ("image/jpeg", b"\xff\xd8\xff"), ("image/png", b"\x89PNG\r\n\x1a\n"))
SIGNATURE_MAX_BYTES = 1024 * 1024
MAX_VEHICLES = 500
CHASSIS_PATTERN = re.compile(r"[0-9A-Z][0-9A-Z-]{3,31}")
DATA_URL_PREFIX = "data:image/png;base64,"
NOT_FOUND = ("この車台番号({chassis})の有効な承諾書が見つかりません。OSS申請には使用者の承諾書が必要です。"
             "「承諾書」の画面で使用者に署名してもらうか、署名済みの承諾書を取り込んでから進んでください。")


def normalize_chassis(text):
    """A 車台番号 as the 車検証 prints it: half-width, upper case, hyphens as ASCII."""
    value = unicodedata.normalize("NFKC", text or "").strip().upper()
    return re.sub(r"[‐－―ー−]", "-", value)


def chassis_list(text):
    """The 車台番号 of a consent, one a line (or separated by commas/spaces), without repeats."""
    numbers = []
    for part in re.split(r"[\s,、]+", unicodedata.normalize("NFKC", text or "")):
        number = normalize_chassis(part)
        if number and number not in numbers:
            numbers.append(number)
    return numbers


def valid_consent_for(session, business_id, chassis_number, on_date):
    """The newest consent of the business that covers this 車台番号 on ``on_date``, or None."""
    return session.scalar(select(Consent).join(ConsentVehicle, ConsentVehicle.consent_id == Consent.id).where(
        ConsentVehicle.business_id == business_id, Consent.business_id == business_id,
        ConsentVehicle.chassis_number == normalize_chassis(chassis_number),
        Consent.signed_on <= on_date, Consent.valid_until >= on_date,
    ).order_by(Consent.signed_on.desc(), Consent.id.desc()).limit(1))


def _signature_png(data_url):
    """The PNG drawn on the canvas (a data URL), refused when it is not a PNG or nothing is drawn."""
    if not data_url.startswith(DATA_URL_PREFIX):
        raise CertificateInputError("署名の画像が読み取れませんでした。署名欄を消して、もう一度署名してください。")
    try:
        png = base64.b64decode(data_url[len(DATA_URL_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise CertificateInputError("署名の画像が読み取れませんでした。署名欄を消して、もう一度署名してください。") from None
    if len(png) > SIGNATURE_MAX_BYTES or not png.startswith(SCAN_TYPES[2][1]):
        raise CertificateInputError("署名の画像が読み取れませんでした。署名欄を消して、もう一度署名してください。")
    if not _has_ink(png):
        raise CertificateInputError("署名欄が空です。使用者(会社の場合は担当者)に指で署名してもらってください。")
    return png


def _has_ink(png):
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(png))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError):
        return False
    alpha = image.convert("RGBA").getchannel("A")
    return alpha.getbbox() is not None  # the canvas is transparent where nothing is drawn


def _scan(data, filename):
    limit = int(current_app.config.get("CONSENT_MAX_UPLOAD_BYTES", 5 * 1024 * 1024))
    if len(data) > limit:
        raise CertificateInputError(f"取り込むファイルが大きすぎます({limit // (1024 * 1024)}MBまで)。"
                                    "解像度を下げてスキャンし直してください。")
    for mimetype, magic in SCAN_TYPES:
        if data.startswith(magic):
            return mimetype
    raise CertificateInputError(f"「{filename}」は取り込めません。承諾書はPDFか画像(JPEGまたはPNG形式)のファイルで取り込んでください。")


def _add_months(day, months):
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def take_consent(session, tenant, user, form, *, signature=None, scan=None, today):
    """A new consent from the tablet's signature (a PNG data URL) or a scan ``(bytes, filename)``.

    All or nothing: every problem is reported together and nothing is saved. The caller commits.
    """
    problems = []

    def check(ok, message):
        if not ok:
            problems.append(message)

    try:
        site = get_owned_or_404(session, Site, form.get("site_id"), tenant)
    except Exception:  # noqa: BLE001 - 404 from the tenancy layer: a site of someone else, or none
        raise CertificateInputError("承諾書を受け取った事業場を選んでください。") from None
    customer = unicodedata.normalize("NFKC", form.get("customer_name") or "").strip()
    is_company = form.get("is_company") in ("y", "on", "1", "true")
    signer = unicodedata.normalize("NFKC", form.get("signer_name") or "").strip()
    title = unicodedata.normalize("NFKC", form.get("signer_title") or "").strip()
    check(bool(customer) and len(customer) <= 200, "使用者(会社名または氏名)を200文字以内で入力してください。")
    if is_company:
        check(bool(signer) and len(signer) <= 100,
              "会社の承諾書では、署名した担当者の氏名を入力してください(代表者でなくてもかまいません)。")
    else:
        signer = signer or customer
        check(len(signer) <= 100, "署名した人の氏名は100文字以内で入力してください。")
    check(len(title) <= 100, "担当者の役職は100文字以内で入力してください。")
    numbers = chassis_list(form.get("chassis_numbers"))
    check(bool(numbers), "承諾書の対象となる車両の車台番号を入力してください(一括の承諾書は1行に1台)。")
    check(len(numbers) <= MAX_VEHICLES, f"一つの承諾書に載せられる車両は{MAX_VEHICLES}台までです。分けて登録してください。")
    wrong = [n for n in numbers if not CHASSIS_PATTERN.fullmatch(n)]
    check(not wrong, "車台番号の形が正しくありません: " + "、".join(wrong[:5])
          + "。英数字とハイフンで、車検証のとおりに入力してください。")
    months = form.get("validity_months") or ""
    check(months in VALIDITY_MONTHS, "承諾書の有効期間を選んでください。")

    document = document_type = method = None
    drawn = (signature or "").strip()
    if drawn and scan:
        problems.append("タブレットでの署名と書面の取り込みのどちらか一方にしてください。")
    elif drawn:
        try:
            document, document_type, method = _signature_png(drawn), "image/png", "signature"
        except CertificateInputError as exc:
            problems.extend(exc.messages)
    elif scan:
        try:
            document_type, method = _scan(scan[0], scan[1]), "scan"
            document = scan[0]
        except CertificateInputError as exc:
            problems.extend(exc.messages)
    else:
        problems.append("署名欄に指で署名してもらうか、署名(記名押印)済みの承諾書のPDF・画像を取り込んでください。")
    if problems:
        raise CertificateInputError(problems)

    consent = Consent(business_id=site.business_id, site_id=site.id, customer_name=customer, is_company=is_company,
                      signer_name=signer, signer_title=title or None, method=method, document=document,
                      document_type=document_type, signed_on=today, valid_until=_add_months(today, int(months)),
                      taken_by_id=getattr(user, "id", None))
    consent.vehicles = [ConsentVehicle(business_id=site.business_id, site_id=site.id, chassis_number=n)
                        for n in numbers]
    session.add(consent)
    session.flush()
    audit.record(session, "consent_taken", entity=consent,
                 detail=f"{customer} {METHOD_LABELS[method]} {len(numbers)}台 {today.isoformat()}〜"
                        f"{consent.valid_until.isoformat()}")
    return consent


def retention_cutoff(today):
    """Consents that stopped being valid before this day are past their keeping period."""
    years = int(current_app.config.get("CONSENT_RETENTION_YEARS", 2))
    return _add_months(today, -12 * years)


def purge_expired_consents(session, today):
    """Delete consents kept past their period (and their vehicles). Commits; returns how many."""
    cutoff = retention_cutoff(today)
    ids = session.scalars(select(Consent.id).where(Consent.valid_until < cutoff)).all()
    if ids:
        session.execute(delete(ConsentVehicle).where(ConsentVehicle.consent_id.in_(ids)))
        session.execute(delete(Consent).where(Consent.id.in_(ids)))
        audit.record(session, "consents_purged", entity_type="Consent",
                     detail=f"{len(ids)}件(有効期限が{cutoff.isoformat()}より前)")
    session.commit()
    return len(ids)
