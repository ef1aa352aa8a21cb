"""Record-feature rows per test tenant: the first site gets the records menu, a draft record,
a parts pattern with one item, a finished print batch and a tester profile (association data:
one per tenant key so the isolation test has an id to try)."""
from datetime import date
from decimal import Decimal

from app.models.record import PartsPattern, PartsPatternItem, PrintBatch, Record, TesterProfile
from app.models.tenancy import Site
from app.services.records import files_dir


def seed(session, key, ctx):
    business_id, site_id = ctx["business_id"], ctx["site_id"]
    session.get(Site, site_id).records_enabled = True
    record = Record(business_id=business_id, site_id=site_id, kind="designated", form="beppyo6",
                    interval_months=12, inspection_date=date(2026, 11, 20), results="",
                    registration_number=f"品川 500 {key} 12-34", chassis_number=f"SEED-{key}",
                    status="draft", version=1, is_current=True, measurements={},
                    tester_values={}, replaced_parts=[])
    pattern = PartsPattern(business_id=business_id, site_id=site_id, name=f"オイル交換 {key}")
    pattern.items.append(PartsPatternItem(business_id=business_id, site_id=site_id, position=0,
                                          name="エンジン・オイル", quantity=Decimal("4"), unit="L"))
    profile = TesterProfile(code=f"seed_{key}", maker=f"試験メーカー{key}", name="試験用の設定",
                            mapping={"code": f"seed_{key}", "maker_code": key.upper(),
                                     "delimiter": ",", "columns": []}, active=False)
    session.add_all([record, pattern, profile])
    session.flush()
    batch_file = files_dir() / "seed" / f"batch-{key}.pdf"  # a done batch has its file
    batch_file.parent.mkdir(parents=True, exist_ok=True)
    batch_file.write_bytes(b"%PDF-1.4 seed")
    batch = PrintBatch(business_id=business_id, site_id=site_id, copy="shop",
                       record_ids=[record.id], total_count=1, done_count=1, status="done",
                       file_path=f"seed/batch-{key}.pdf")
    session.add(batch)
    session.flush()
    return {"Record": record.id, "PartsPattern": pattern.id, "PrintBatch": batch.id,
            "TesterProfile": profile.id, "PartsPatternItem": pattern.items[0].id,
            "_markers": [record.registration_number, pattern.name]}
