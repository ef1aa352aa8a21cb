"""Scale data for `flask demo-data --scale small|full`: the service's size, generated.

``full`` is the association at peak (docs/shared users-and-market §4): 5,180 sites in 1,130
businesses and two years of 保適証 (about 7 million) and 記録簿 (about 7 million), with their
vehicles, inspectors, chief mechanics, one manager login per business and the billable events
of every linked certificate and output record. ``small`` is the same shape at 50 sites and
about 100,000 rows, quick enough for tests and for SQLite.

Loading is in batches of sites, each batch one transaction: COPY (psycopg ``cursor.copy``) on
PostgreSQL, ``executemany`` elsewhere. Rows per second are printed after every batch.

On PostgreSQL at full scale the loader, for its own session only:
  - drops the secondary indexes and unique constraints of ``vehicle``, ``certificate``,
    ``record`` and ``billable_event`` (primary keys stay) and recreates them from their saved
    definitions after the load (also after a failure), which rebuilds them in one sort each
    instead of 7 million random inserts; the recreated unique constraints check the data;
  - sets ``session_replication_role = replica`` when it is a superuser, so the foreign-key
    triggers do not fire row by row; every foreign key of the loaded tables is then checked
    with one anti-join each and the command fails if any row points nowhere;
  - sets ``synchronous_commit = off`` and a larger ``maintenance_work_mem``; ends with ANALYZE.
No table, column or migration-owned object is dropped for good; audit rows are not written for
generated rows (the audit log records what people did, and nobody did this).
"""
import datetime as dt
import json
import random
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import func, inspect, select, text

from app.domain import plates
from app.domain.corporate_number import check_digit
from app.domain.inspection_forms import applicable_checks, encode_results, validate_result
from app.extensions import db
from app.timeutil import today

BULK_TABLES = ("vehicle", "certificate", "record", "billable_event")


@dataclass(frozen=True)
class Scale:
    name: str
    businesses: int
    sites: int
    certificates: int
    records: int
    batch_sites: int
    days: int = 730
    drop_indexes: bool = False


SCALES = {
    "small": Scale("small", businesses=14, sites=50, certificates=50_000, records=50_000,
                   batch_sites=10),
    "full": Scale("full", businesses=1130, sites=5180, certificates=7_000_000,
                  records=7_000_000, batch_sites=40, drop_indexes=True),
}

SCALE_PASSWORD = "Demo-Pass-2026"
MAX_SITES_PER_BUSINESS = 120  # the README's demo password; scale logins are demo logins

# ---------------------------------------------------------------------------------------------
# Pools of realistic values

FAMILY = [("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"), ("伊藤", "イトウ"),
          ("渡辺", "ワタナベ"), ("山本", "ヤマモト"), ("中村", "ナカムラ"), ("小林", "コバヤシ"), ("加藤", "カトウ"),
          ("吉田", "ヨシダ"), ("山田", "ヤマダ"), ("佐々木", "ササキ"), ("山口", "ヤマグチ"), ("松本", "マツモト"),
          ("井上", "イノウエ"), ("木村", "キムラ"), ("林", "ハヤシ"), ("斎藤", "サイトウ"), ("清水", "シミズ"),
          ("山崎", "ヤマザキ"), ("森", "モリ"), ("池田", "イケダ"), ("橋本", "ハシモト"), ("阿部", "アベ"),
          ("石川", "イシカワ"), ("前田", "マエダ"), ("藤田", "フジタ"), ("小川", "オガワ"), ("岡田", "オカダ")]
GIVEN = [("太郎", "タロウ"), ("一郎", "イチロウ"), ("健", "ケン"), ("誠", "マコト"), ("翔太", "ショウタ"),
         ("大輔", "ダイスケ"), ("拓也", "タクヤ"), ("直樹", "ナオキ"), ("浩", "ヒロシ"), ("修", "オサム"),
         ("花子", "ハナコ"), ("恵", "メグミ"), ("由美", "ユミ"), ("陽子", "ヨウコ"), ("美咲", "ミサキ"),
         ("さくら", "サクラ"), ("真由美", "マユミ"), ("裕子", "ユウコ"), ("和也", "カズヤ"), ("隆", "タカシ")]
BUSINESS_CORE = [("中央", "チュウオウ"), ("東海", "トウカイ"), ("富士", "フジ"), ("さくら", "サクラ"),
                 ("北斗", "ホクト"), ("旭", "アサヒ"), ("若葉", "ワカバ"), ("日の出", "ヒノデ"), ("大和", "ヤマト"),
                 ("三和", "サンワ"), ("昭和", "ショウワ"), ("平和", "ヘイワ"), ("協和", "キョウワ"), ("丸和", "マルワ"),
                 ("光", "ヒカリ"), ("青葉", "アオバ"), ("緑", "ミドリ"), ("朝日", "アサヒ"), ("山陽", "サンヨウ"),
                 ("城北", "ジョウホク"), ("港南", "コウナン"), ("西部", "セイブ"), ("南部", "ナンブ"), ("新星", "シンセイ")]
BUSINESS_KIND = [("自動車", "ジドウシャ"), ("モータース", "モータース"), ("オート", "オート"),
                 ("自動車整備", "ジドウシャセイビ"), ("自動車工業", "ジドウシャコウギョウ"),
                 ("カーサービス", "カーサービス"), ("自動車販売", "ジドウシャハンバイ")]
LEGAL = [("株式会社", "カブシキガイシャ", "ｶ)", True, "prefix"), ("有限会社", "ユウゲンガイシャ", "ﾕ)", True, "prefix"),
         ("株式会社", "カブシキガイシャ", "(ｶ", True, "suffix"), ("", "", "", False, "none")]
# Prefecture, its cities and wards, 運輸支局 code, the plate place names in use there.
REGIONS = [
    ("東京都", ["品川区", "世田谷区", "練馬区", "足立区", "八王子市", "町田市", "江戸川区", "大田区"], "30",
     ["品川", "練馬", "足立", "八王子", "多摩", "世田谷", "江東"], "03"),
    ("神奈川県", ["横浜市港北区", "川崎市中原区", "相模原市中央区", "藤沢市", "厚木市"], "31",
     ["横浜", "川崎", "相模", "湘南"], "045"),
    ("埼玉県", ["さいたま市大宮区", "川越市", "所沢市", "越谷市", "熊谷市"], "33",
     ["大宮", "所沢", "春日部", "熊谷", "川越"], "048"),
    ("千葉県", ["千葉市中央区", "船橋市", "柏市", "市原市", "成田市"], "34",
     ["千葉", "習志野", "野田", "袖ヶ浦", "成田"], "043"),
    ("愛知県", ["名古屋市中区", "豊田市", "岡崎市", "一宮市", "豊橋市"], "50",
     ["名古屋", "尾張小牧", "三河", "豊田", "豊橋", "岡崎"], "052"),
    ("大阪府", ["大阪市北区", "堺市堺区", "東大阪市", "豊中市", "枚方市"], "60",
     ["大阪", "なにわ", "和泉", "堺"], "06"),
    ("福岡県", ["福岡市博多区", "北九州市小倉北区", "久留米市", "飯塚市"], "70",
     ["福岡", "北九州", "久留米", "筑豊"], "092"),
    ("北海道", ["札幌市中央区", "旭川市", "函館市", "釧路市", "帯広市"], "10",
     ["札幌", "旭川", "函館", "釧路", "帯広"], "011"),
    ("宮城県", ["仙台市青葉区", "石巻市", "大崎市"], "20", ["宮城", "仙台"], "022"),
    ("広島県", ["広島市中区", "福山市", "呉市"], "65", ["広島", "福山"], "082"),
]
CHOME = ["1-2-3", "2-4-6", "3-1-15", "4-8-2", "5-10-1", "1-22-7", "6-3-9", "2-17-4", "7-5-11", "3-30-2"]
# (車名, 型式, 車台番号 prefix, 原動機の型式, vehicle kind, use, body, weight kg)
CARS = [
    ("トヨタ プリウス", "DAA-ZVW30", "ZVW30", "2ZR", "registered", "private", "passenger", 1350),
    ("トヨタ アクア", "DAA-NHP10", "NHP10", "1NZ", "registered", "private", "passenger", 1080),
    ("トヨタ カローラフィールダー", "DBA-NZE161G", "NZE161", "1NZ", "registered", "private", "passenger", 1130),
    ("トヨタ ヴォクシー", "DBA-ZRR80W", "ZRR80", "3ZR", "registered", "private", "passenger", 1570),
    ("トヨタ ハイエース", "CBF-TRH200V", "TRH200", "1TR", "registered", "business", "truck", 1900),
    ("ホンダ フィット", "DAA-GP5", "GP5", "LEB", "registered", "private", "passenger", 1130),
    ("ホンダ フリード", "DBA-GB3", "GB3", "L15A", "registered", "private", "passenger", 1310),
    ("日産 ノート", "DAA-HE12", "HE12", "HR12", "registered", "private", "passenger", 1220),
    ("日産 セレナ", "DAA-GFC27", "GFC27", "MR20", "registered", "private", "passenger", 1650),
    ("マツダ デミオ", "LDA-DJ5FS", "DJ5FS", "S5", "registered", "private", "passenger", 1130),
    ("スバル インプレッサ", "DBA-GP7", "GP7", "FB20", "registered", "private", "passenger", 1320),
    ("スズキ スイフト", "DBA-ZC72S", "ZC72S", "K12B", "registered", "private", "passenger", 1000),
    ("いすゞ エルフ", "TKG-NJR85A", "NJR85", "4JJ1", "registered", "business", "truck", 2400),
    ("ホンダ N-BOX", "DBA-JF1", "JF1", "S07A", "kei", "private", "passenger", 950),
    ("スズキ ワゴンR", "DBA-MH34S", "MH34S", "R06A", "kei", "private", "passenger", 820),
    ("ダイハツ タント", "DBA-LA600S", "LA600S", "KF", "kei", "private", "passenger", 930),
    ("ダイハツ ムーヴ", "DBA-LA150S", "LA150S", "KF", "kei", "private", "passenger", 820),
    ("日産 デイズ", "DBA-B21W", "B21W", "3B20", "kei", "private", "passenger", 830),
    ("スズキ エブリイ", "HBD-DA17V", "DA17V", "R06A", "kei", "business", "truck", 890),
    ("ダイハツ ハイゼットトラック", "EBD-S500P", "S500P", "KF", "kei", "private", "truck", 730),
    ("ヤマハ セロー250", "JBK-DG17J", "DG17J", "G3J9E", "small_motorcycle", "private", "passenger", 130),
]
CAR_WEIGHTS = [9, 8, 5, 6, 3, 7, 4, 6, 5, 3, 3, 3, 2, 9, 7, 7, 5, 4, 4, 3, 1]
PLATE_KANA_PRIVATE = "さすせそたちつてとなにぬねのはひふほまみむめもやゆよらりるろ"
PLATE_KANA_BUSINESS = "あいうえかきくけこを"
INSURERS = ["東京海上日動火災保険", "損害保険ジャパン", "三井住友海上火災保険", "あいおいニッセイ同和損害保険",
            "共栄火災海上保険", "全労済"]
PARTS = [("エンジンオイル", "3.5", "L"), ("オイルフィルタ", "1", "個"), ("ワイパーゴム", "2", "本"),
         ("ブレーキフルード", "0.5", "L"), ("エアクリーナエレメント", "1", "個"), ("LLC", "2", "L"),
         ("ブレーキパッド", "1", "組"), ("スパークプラグ", "4", "本"), ("バッテリー", "1", "個")]
# Status of a certificate well after its inspection: mostly linked and beyond.
SETTLED_STATUSES = (["completed"] * 78 + ["linked"] * 10 + ["reported"] * 7 + ["rejected"] * 2
                    + ["deleted"] * 2 + ["failed"] * 1)
LINKED = {"linked", "reported", "completed"}
FORM_FOR = {  # (use, body) → (form, designated interval, periodic interval)
    ("private", "passenger"): ("beppyo6", 24, 12),
    ("business", "truck"): ("beppyo3", 12, 3),
    ("private", "truck"): ("beppyo5", 12, 6),
}


def _pick(rng, pool):
    return pool[rng.randrange(len(pool))]


def _person(rng):
    family, given = _pick(rng, FAMILY), _pick(rng, GIVEN)
    return f"{family[0]} {given[0]}", f"{family[1]} {given[1]}"


def _corporate_number(business_id):
    base12 = f"{(business_id * 7919 + 600_000_000_000) % 10**12:012d}"
    return f"{check_digit(base12)}{base12}"


def _day_pool(end, days):
    """The days of the period and how busy each is (weekdays, quiet Sundays, March peak)."""
    pool, weights = [], []
    for n in range(days):
        day = end - dt.timedelta(days=n)
        weight = {5: 0.6, 6: 0.1}.get(day.weekday(), 1.0)
        if day.month == 3:
            weight *= 1.6
        if (day.month, day.day) >= (12, 29) or (day.month, day.day) <= (1, 3):
            weight *= 0.05
        pool.append(day)
        weights.append(weight)
    cumulative, total = [], 0.0
    for w in weights:
        total += w
        cumulative.append(total)
    return pool, cumulative


class ResultPool:
    """Encoded check results per (form, interval, form version): all good, with the usual work."""

    def __init__(self, rng):
        self.rng = rng
        self.cache = {}

    def get(self, form, interval, on_date):
        key = (form, interval, on_date.year, on_date.month)
        variants = self.cache.get(key)
        if variants is None:
            checks = applicable_checks(form, interval, on_date)
            variants = self.cache[key] = [self._variant(checks) for _ in range(24)]
        return _pick(self.rng, variants)

    def _variant(self, checks):
        rng, results = self.rng, {}
        for check in checks:
            roll = rng.random()
            if roll < 0.04:
                symbols = ["×"]
            elif roll < 0.08:
                symbols = ["A", "✓"]
            elif roll < 0.11:
                symbols = ["T", "✓"]
            elif roll < 0.13:
                symbols = ["C", "✓"]
            elif roll < 0.15 and check.skippable:
                symbols = [check.skip_symbol or "P"]
            elif roll < 0.17:
                symbols = ["/"]
            else:
                symbols = ["✓"]
            try:
                validate_result(check, symbols)
            except ValueError:
                symbols = ["✓"]
            results[check.id] = symbols
        return encode_results(results)


# ---------------------------------------------------------------------------------------------
# Writing rows


class Writer:
    """COPY on PostgreSQL, executemany elsewhere; counts rows and prints rows per second."""

    def __init__(self, echo):
        self.echo = echo
        self.engine = db.engine
        self.postgres = self.engine.dialect.name == "postgresql"
        self.tables = {}
        self.json_columns = {}
        self.counts = {}
        self.started = time.perf_counter()

    def _table(self, name):
        if name not in self.tables:
            from flask_appbuilder import Model

            table = Model.metadata.tables[name]
            self.tables[name] = table
            self.json_columns[name] = {c.name for c in table.columns
                                       if c.type.__class__.__name__ == "JSON"}
        return self.tables[name]

    def write(self, conn, name, columns, rows):
        if not rows:
            return
        table = self._table(name)
        if not conn.in_transaction():
            conn.begin()
        if self.postgres:
            jsons = [i for i, c in enumerate(columns) if c in self.json_columns[name]]
            cursor = conn.connection.driver_connection.cursor()
            with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                if jsons:
                    for row in rows:
                        row = list(row)
                        for i in jsons:
                            if row[i] is not None:
                                row[i] = json.dumps(row[i], ensure_ascii=False)
                        copy.write_row(row)
                else:
                    for row in rows:
                        copy.write_row(row)
        else:
            conn.execute(table.insert(), [dict(zip(columns, row)) for row in rows])
        self.counts[name] = self.counts.get(name, 0) + len(rows)

    @property
    def total(self):
        return sum(self.counts.values())

    def report(self, label):
        elapsed = time.perf_counter() - self.started
        self.echo(f"{label}: {self.total:,} 行 / {elapsed:,.1f} 秒 = {self.total / elapsed:,.0f} 行/秒 "
                  f"(保適証 {self.counts.get('certificate', 0):,}、記録簿 {self.counts.get('record', 0):,})")


def _next_ids(conn, names):
    ids = {}
    for name in names:
        ids[name] = (conn.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {name}")).scalar() or 0) + 1
    return ids


# ---------------------------------------------------------------------------------------------
# PostgreSQL bulk-load preparation


def _save_and_drop_indexes(conn, tables):
    """Drop secondary indexes and unique constraints of ``tables``; return how to recreate them."""
    saved = []
    rows = conn.execute(text(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
        "FROM pg_constraint c WHERE c.contype = 'u' AND c.conrelid::regclass::text = ANY(:t)"),
        {"t": list(tables)}).all()
    for table, name, definition in rows:
        saved.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    rows = conn.execute(text(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid::regclass::text = ANY(:t) AND NOT i.indisprimary AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"),
        {"t": list(tables)}).all()
    for name, definition in rows:
        saved.append(definition)
        conn.execute(text(f"DROP INDEX {name}"))
    return saved


def _recreate(engine, saved, echo):
    with engine.connect() as conn:
        conn.execute(text("SET maintenance_work_mem = '512MB'"))
        conn.execute(text("SET max_parallel_maintenance_workers = 2"))
        for statement in saved:
            started = time.perf_counter()
            conn.execute(text(statement))
            conn.commit()
            echo(f"  索引を作成しました ({time.perf_counter() - started:,.1f} 秒): {statement[:110]}")


def _check_foreign_keys(conn, tables):
    """One anti-join per foreign key of the loaded tables: no row may point nowhere."""
    insp = inspect(conn)
    for table in tables:
        for fk in insp.get_foreign_keys(table):
            local, remote = fk["constrained_columns"], fk["referred_columns"]
            cond = " AND ".join(f"r.{rc} = t.{lc}" for lc, rc in zip(local, remote))
            notnull = " AND ".join(f"t.{lc} IS NOT NULL" for lc in local)
            orphans = conn.execute(text(
                f"SELECT count(*) FROM {table} t WHERE {notnull} AND NOT EXISTS "
                f"(SELECT 1 FROM {fk['referred_table']} r WHERE {cond})")).scalar()
            if orphans:
                raise RuntimeError(f"{table}.{','.join(local)}: {orphans} rows point nowhere")


# ---------------------------------------------------------------------------------------------
# The generator


class Generator:
    def __init__(self, scale, seed, writer, end_date):
        self.scale = scale
        self.rng = random.Random(seed)
        self.writer = writer
        self.end = end_date
        self.days, self.day_weights = _day_pool(end_date, scale.days)
        self.results = ResultPool(random.Random(seed + 1))
        self.now = dt.datetime.combine(end_date, dt.time(9, 0))

    # -- tenants ---------------------------------------------------------------------------
    def tenants(self, conn, ids):
        """Businesses, sites, inspectors, chief mechanics and one manager login per business."""
        rng, scale, now = self.rng, self.scale, self.now
        from app.services.accounts import _hash

        password = _hash(SCALE_PASSWORD)
        role_id = conn.execute(text("SELECT id FROM ab_role WHERE name = 'site_manager'")).scalar()
        if role_id is None:
            raise RuntimeError("site_manager role missing: run `flask roles sync` first")
        business_ids = list(range(ids["business"], ids["business"] + scale.businesses))
        # Most businesses run one site; dealers and chains run many (every business gets one).
        # The largest chains run about a hundred sites (MAX_SITES_PER_BUSINESS).
        owners = list(business_ids)
        weights = [rng.paretovariate(1.3) for _ in business_ids]
        per_business = dict.fromkeys(business_ids, 1)
        cap = max(MAX_SITES_PER_BUSINESS, -(-scale.sites // scale.businesses))
        while len(owners) < scale.sites:
            owner = rng.choices(business_ids, weights=weights)[0]
            if per_business[owner] < cap:
                per_business[owner] += 1
                owners.append(owner)
        owners.sort()
        businesses, sites, inspectors, chiefs, users, user_roles, user_sites = [], [], [], [], [], [], []
        site_id, inspector_id, chief_id = ids["site"], ids["inspector"], ids["chief_mechanic"]
        user_id, user_role_id = ids["ab_user"], ids["ab_user_role"]
        self.sites = []
        by_business = {}
        for owner in owners:
            by_business.setdefault(owner, []).append(owner)
        for b in business_ids:
            region = _pick(rng, REGIONS)
            core, kind = _pick(rng, BUSINESS_CORE), _pick(rng, BUSINESS_KIND)
            legal, legal_kana, holder, corporate, where = _pick(rng, LEGAL)
            if where == "none":
                family = _pick(rng, FAMILY)
                name, kana = f"{family[0]}{kind[0]}", f"{family[1]}{kind[1]}"
            elif where == "prefix":
                name, kana = f"{legal}{core[0]}{kind[0]}", f"{legal_kana}{core[1]}{kind[1]}"
            else:
                name, kana = f"{core[0]}{kind[0]}{legal}", f"{core[1]}{kind[1]}{legal_kana}"
            city = _pick(rng, region[1])
            contact, _ = _person(rng)
            address = f"{region[0]}{city}{_pick(rng, CHOME)}"
            businesses.append((b, name, kana, _corporate_number(b) if corporate else None,
                               f"{rng.randint(100, 999)}-{rng.randint(0, 9999):04d}", address,
                               f"{region[4]}-{rng.randint(100, 9999):04d}-{rng.randint(0, 9999):04d}",
                               contact, f"office{b}@example.jp", "0001", f"{rng.randint(1, 999):03d}",
                               "1", f"{rng.randint(0, 9999999):07d}", f"{holder}ｾｲﾋﾞ{b}"[:30], True, now, now))
            own_sites = []
            for n in range(len(by_business[b])):
                s_region = region if rng.random() < 0.85 else _pick(rng, REGIONS)
                s_city = _pick(rng, s_region[1])
                records_enabled = rng.random() < 0.85
                hybrid_only = rng.random() < 0.08
                site = dict(id=site_id, business_id=b, region=s_region, records=records_enabled,
                            hybrid=hybrid_only, weight=rng.lognormvariate(0, 0.6), inspectors=[],
                            chiefs=[])
                sites.append((site_id, b, "本社工場" if n == 0 else f"{s_city.split('市')[0].split('区')[0]}工場",
                              f"{rng.randint(100, 999)}-{rng.randint(0, 9999):04d}",
                              f"{s_region[0]}{s_city}{_pick(rng, CHOME)}",
                              f"{s_region[4]}-{rng.randint(100, 9999):04d}-{rng.randint(0, 9999):04d}",
                              f"認第{site_id:05d}号", f"{site_id:05d}", s_region[2], True,
                              "hybrid_only" if hybrid_only else "registered",
                              rng.random() < 0.05, records_enabled, True, now, now))
                for k in range(rng.choice((1, 1, 2, 2, 3))):
                    person = _person(rng)
                    inspectors.append((inspector_id, b, site_id, person[0], person[1],
                                       f"{(site_id * 7 + k) % 10**8:08d}", True, now, now))
                    site["inspectors"].append((inspector_id, f"{(site_id * 7 + k) % 10**8:08d}"))
                    inspector_id += 1
                person = _person(rng)
                chiefs.append((chief_id, b, site_id, person[0], person[1], True, now, now))
                site["chiefs"].append(chief_id)
                chief_id += 1
                own_sites.append(site)
                self.sites.append(site)
                site_id += 1
            users.append((user_id, "整備", "管理者", f"scale{b:05d}-manager", password, True,
                          f"scale{b:05d}-manager@example.jp", 0, 0, now, now, b, False, password, now))
            user_roles.append((user_role_id, user_id, role_id))
            user_sites.extend((user_id, s["id"]) for s in own_sites)
            user_id += 1
            user_role_id += 1
        w = self.writer
        w.write(conn, "business", ("id", "name", "name_kana", "corporate_number", "postal_code",
                                   "address", "phone", "contact_name", "contact_email", "bank_code",
                                   "branch_code", "account_type", "account_number",
                                   "account_holder_kana", "active", "created_at", "updated_at"),
                businesses)
        w.write(conn, "site", ("id", "business_id", "name", "postal_code", "address", "phone",
                               "certification_number", "designation_number", "district_code",
                               "airas_registered", "ainas_status", "billed_separately",
                               "records_enabled", "active", "created_at", "updated_at"), sites)
        w.write(conn, "inspector", ("id", "business_id", "site_id", "name", "name_kana",
                                    "inspector_code", "active", "created_at", "updated_at"), inspectors)
        w.write(conn, "chief_mechanic", ("id", "business_id", "site_id", "name", "name_kana",
                                         "active", "created_at", "updated_at"), chiefs)
        w.write(conn, "ab_user", ("id", "first_name", "last_name", "username", "password", "active",
                                  "email", "login_count", "fail_login_count", "created_on",
                                  "changed_on", "business_id", "must_change_password",
                                  "initial_password_hash", "password_changed_at"), users)
        w.write(conn, "ab_user_role", ("id", "user_id", "role_id"), user_roles)
        w.write(conn, "user_site", ("user_id", "site_id"), user_sites)
        return business_ids

    # -- per-site volumes ------------------------------------------------------------------
    def volumes(self):
        scale = self.scale
        total_w = sum(s["weight"] for s in self.sites)
        enabled_w = sum(s["weight"] for s in self.sites if s["records"]) or 1.0
        for s in self.sites:
            s["certificates"] = max(1, round(scale.certificates * s["weight"] / total_w))
            s["records"] = round(scale.records * s["weight"] / enabled_w) if s["records"] else 0

    # -- one batch of sites ----------------------------------------------------------------
    def site_rows(self, site, ids, out):
        rng = self.rng
        region, b, sid = site["region"], site["business_id"], site["id"]
        n_cert = site["certificates"]
        # About one vehicle in seven comes back within the two years (yearly inspections).
        n_vehicles = max(1, round(n_cert / 1.15))
        days = rng.choices(self.days, cum_weights=self.day_weights, k=n_cert)
        days.sort()
        vehicles = []
        for _ in range(n_vehicles):
            car_index = rng.choices(range(len(CARS)), weights=CAR_WEIGHTS)[0]
            car = CARS[car_index]
            vid = ids["vehicle"]
            ids["vehicle"] += 1
            serial = 1_000_000 + vid % 9_000_000
            chassis = f"{car[2]}-{serial:07d}"
            if car[4] == "small_motorcycle":
                plate_class, kana = str(rng.randint(1, 9)), _pick(rng, PLATE_KANA_PRIVATE)
            elif car[4] == "kei":
                plate_class = rng.choice(("580", "581", "583", "480", "481"))
                kana = _pick(rng, PLATE_KANA_BUSINESS if car[5] == "business" else PLATE_KANA_PRIVATE)
            else:
                plate_class = rng.choice(("300", "330", "331", "500", "502", "530", "100", "400", "800"))
                kana = _pick(rng, PLATE_KANA_BUSINESS if car[5] == "business" else PLATE_KANA_PRIVATE)
            number = rng.randint(1, 9999)
            serial_text = f"{number // 100}-{number % 100:02d}" if number >= 1000 else f"・{number:>3}".replace(" ", "・")
            plate = {"plate_area": _pick(rng, region[3]), "plate_class": plate_class,
                     "plate_kana": kana, "plate_serial": serial_text}
            first = self.end.replace(day=1) - dt.timedelta(days=rng.randint(365, 365 * 15))
            owner = _person(rng)[0] if rng.random() < 0.75 else (
                f"株式会社{_pick(rng, BUSINESS_CORE)[0]}{rng.choice(('商事', '運輸', '建設', '物産', '工務店'))}")
            address = f"{region[0]}{_pick(rng, region[1])}{_pick(rng, CHOME)}"
            plate_text = " ".join(plate.values())
            vehicles.append(dict(id=vid, car=car, chassis=chassis, plate=plate, plate_text=plate_text,
                                 plate_keys=_plate_keys(plate_text), first=first.strftime("%Y-%m"),
                                 owner=owner, address=address,
                                 odometer=rng.randint(3_000, 120_000)))
        # Each certificate takes a vehicle; the returning ones a year after their first visit.
        assignment = [vehicles[i % n_vehicles] for i in range(n_cert)]
        rng.shuffle(assignment)
        cert_ids = []
        last_seen = {}
        for day, vehicle in zip(days, assignment):
            car = vehicle["car"]
            cid = ids["certificate"]
            ids["certificate"] += 1
            inspector_id, inspector_code = _pick(rng, site["inspectors"])
            age = (self.end - day).days
            if age > 20:
                status = _pick(rng, SETTLED_STATUSES)
            elif age > 2:
                status = rng.choice(("linked", "linked", "linked", "reported", "completed", "rejected"))
            else:
                status = rng.choice(("linked", "linked", "linked", "sent", "queued", "failed"))
            application = "hybrid" if site["hybrid"] or rng.random() < 0.12 else "oss"
            years = 1 if car[5] == "business" else 2
            issue = day + dt.timedelta(days=rng.choice((0, 0, 0, 1, 2)))
            expiry = day + dt.timedelta(days=365 * years + rng.randint(0, 25))
            valid_until = day + dt.timedelta(days=14)
            odometer = vehicle["odometer"] + rng.randint(0, 800)
            last_seen[vehicle["id"]] = (day, odometer)
            issued_at = dt.datetime.combine(issue, dt.time(rng.randint(0, 8), rng.randint(0, 59)))
            linked = status in LINKED
            policy = {"certificate_number": f"{_pick(rng, 'ABCDEFGHJK')}{rng.randint(10**9, 10**10 - 1)}",
                      "insurer_name": _pick(rng, INSURERS), "start_date": (day - dt.timedelta(days=3)).isoformat(),
                      "end_date": (expiry + dt.timedelta(days=30)).isoformat(), "electronic": rng.random() < 0.7}
            weight_tax = {"registered": 24_600 if years == 2 else 16_400, "kei": 6_600,
                          "small_motorcycle": 3_800}[car[4]]
            fee = 1_600 if car[4] != "kei" else 1_400
            payload = {
                "application_type": application, "site_code": f"{region[2]}-{sid:05d}",
                "inspector_code": inspector_code,
                "vehicle_kind": "motorcycle" if car[4] == "small_motorcycle" else car[4],
                "registration_number": vehicle["plate"], "chassis_number": vehicle["chassis"],
                "inspection_date": day.isoformat(), "issue_date": issue.isoformat(),
                "odometer_km": odometer, "compulsory_insurance": [policy],
                "user_of_vehicle": {"name": vehicle["owner"], "address": vehicle["address"]},
                "new_expiry_date": expiry.isoformat(), "certificate_valid_until": valid_until.isoformat(),
                "last_application_date": valid_until.isoformat(),
            }
            details = {"vehicle": {**vehicle["plate"], "vehicle_kind": car[4],
                                   "chassis_number": vehicle["chassis"], "model": car[1],
                                   "first_registration": vehicle["first"], "owner_name": vehicle["owner"],
                                   "owner_address": vehicle["address"]},
                       "inspection": {"inspection_date": day.isoformat(), "inspector_id": inspector_id,
                                      "odometer_km": odometer, "validity_years": years, "use": car[5],
                                      "body": car[6], "vehicle_weight_kg": car[7],
                                      "application_type": application},
                       "checks": {"weight_tax_yen": weight_tax, "inspection_fee_yen": fee}}
            sent = status != "queued"
            out["certificate"].append((
                cid, b, sid, vehicle["id"], inspector_id, status, application, car[4],
                vehicle["chassis"], vehicle["plate_text"], car[1], day, issue, odometer, years,
                expiry, valid_until, valid_until, weight_tax, fee, details, payload,
                str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                f"A{cid:011d}" if sent else None, f"{issue:%y}{sid:05d}{cid % 100000:05d}" if linked else None,
                {"linked": "作成済", "reported": "報告済", "completed": "申請完"}.get(status),
                "E102" if status in ("rejected", "failed") else None,
                "車台番号が自動車検査証の記載と一致しません。" if status == "rejected" else (
                    "AIRASに接続できませんでした。" if status == "failed" else None),
                1 if sent else 0,
                dt.datetime.combine(day, dt.time(23, 0)) if status in ("queued", "sent") else None,
                issued_at if sent else None,
                issued_at + dt.timedelta(minutes=rng.randint(1, 30)) if linked else None,
                issued_at, issued_at + dt.timedelta(minutes=40), *vehicle["plate_keys"]))
            if linked:
                out["billable_event"].append((ids["billable_event"], b, sid, "certificate", cid,
                                              issued_at + dt.timedelta(minutes=5)))
                ids["billable_event"] += 1
            cert_ids.append((cid, day, vehicle, inspector_id, status, issue))
        for vehicle in vehicles:
            seen = last_seen.get(vehicle["id"])
            car = vehicle["car"]
            out["vehicle"].append((vehicle["id"], b, sid, vehicle["chassis"], car[4], vehicle["plate_text"],
                                   car[1], vehicle["first"], seen[1] if seen else vehicle["odometer"],
                                   seen[0] if seen else None, self.now, self.now))
        if not site["records"]:
            return
        n_records = site["records"]
        usable = [c for c in cert_ids if c[4] not in ("rejected", "deleted", "failed")
                  and c[2]["car"][4] != "small_motorcycle"]
        rng.shuffle(usable)
        designated = usable[:min(len(usable), round(n_records * 0.78))]
        periodic_days = rng.choices(self.days, cum_weights=self.day_weights,
                                    k=max(0, n_records - len(designated)))
        chief_ids = site["chiefs"]
        for index in range(len(designated) + len(periodic_days)):
            if index < len(designated):
                cid, day, vehicle, inspector_id, _status, issue = designated[index]
                kind, certificate_id, number = "designated", cid, f"{sid:05d}-{cid % 1_000_000:06d}"
            else:
                day = periodic_days[index - len(designated)]
                # Half the periodic inspections are of the site's own customers' cars.
                if designated and rng.random() < 0.5:
                    vehicle = designated[rng.randrange(len(designated))][2]
                else:
                    vehicle = self._walk_in(rng, region)
                inspector_id, kind, certificate_id, number = None, "periodic", None, None
            car = vehicle["car"]
            if car[4] == "small_motorcycle":
                car = CARS[0]
            form, designated_interval, periodic_interval = FORM_FOR.get((car[5], car[6]), FORM_FOR[("private", "passenger")])
            interval = designated_interval if kind == "designated" else periodic_interval
            rid = ids["record"]
            ids["record"] += 1
            age = (self.end - day).days
            status = "output" if age > 3 or rng.random() < 0.6 else rng.choice(("draft", "signed"))
            signed_at = dt.datetime.combine(day, dt.time(rng.randint(1, 9), rng.randint(0, 59)))
            output_at = signed_at + dt.timedelta(minutes=rng.randint(5, 90)) if status == "output" else None
            wheel = {w: rng.choice((3.5, 4.0, 4.5, 5.0, 5.5, 6.0)) for w in ("FL", "FR", "RL", "RR")}
            parts = [dict(zip(("name", "quantity", "unit"), p)) for p in rng.sample(PARTS, rng.randint(0, 3))]
            out["record"].append((
                rid, b, sid, kind, form, interval, certificate_id, vehicle["plate_text"], vehicle["chassis"],
                car[1], car[0], car[3], vehicle["first"], vehicle["owner"], vehicle["address"], day,
                vehicle["odometer"] + rng.randint(0, 800),
                self.results.get(form, interval, day) if status != "draft" or rng.random() < 0.5 else "",
                {"tread_depth_mm": wheel}, {}, parts, None, day if status != "draft" else None, number,
                inspector_id if kind == "designated" and status != "draft" else None,
                signed_at if kind == "designated" and status != "draft" else None,
                _pick(rng, chief_ids) if status != "draft" else None,
                signed_at if status != "draft" else None, status, 1, None, True, output_at,
                signed_at - dt.timedelta(hours=1), output_at or signed_at, *vehicle["plate_keys"]))
            if status == "output":
                out["billable_event"].append((ids["billable_event"], b, sid, "record", rid, output_at))
                ids["billable_event"] += 1

    def _walk_in(self, rng, region):
        car = CARS[rng.choices(range(len(CARS) - 1), weights=CAR_WEIGHTS[:-1])[0]]
        serial = 1_000_000 + rng.randint(0, 8_999_999)
        plate_class = "580" if car[4] == "kei" else "500"
        number = rng.randint(1000, 9999)
        plate = [_pick(rng, region[3]), plate_class, _pick(rng, PLATE_KANA_PRIVATE),
                 f"{number // 100}-{number % 100:02d}"]
        return dict(car=car, chassis=f"{car[2]}-{serial:07d}", plate_text=" ".join(plate),
                    plate_keys=_plate_keys(" ".join(plate)),
                    first=(self.end - dt.timedelta(days=rng.randint(400, 4000))).strftime("%Y-%m"),
                    owner=_person(rng)[0], address=f"{region[0]}{_pick(rng, region[1])}{_pick(rng, CHOME)}",
                    odometer=rng.randint(3_000, 120_000))


def _plate_keys(plate_text):
    """plate_key and plate_serial as the models keep them (app/models/base.py PlateSearchMixin)."""
    return plates.plate_key(plate_text), plates.plate_serial(plate_text)


CERTIFICATE_COLUMNS = (
    "id", "business_id", "site_id", "vehicle_id", "inspector_id", "status", "application_type",
    "vehicle_kind", "chassis_number", "registration_number", "model", "inspection_date", "issue_date",
    "odometer_km", "validity_years", "new_expiry_date", "certificate_valid_until",
    "last_application_date", "weight_tax_yen", "inspection_fee_yen", "details", "payload",
    "idempotency_key", "airas_id", "issue_number", "airas_status", "reason_code", "reason", "attempts",
    "next_attempt_at", "sent_at", "linked_at", "created_at", "updated_at", "plate_key", "plate_serial")
VEHICLE_COLUMNS = ("id", "business_id", "site_id", "chassis_number", "vehicle_kind",
                   "registration_number", "model", "first_registration", "last_odometer_km",
                   "last_inspection_date", "created_at", "updated_at")
RECORD_COLUMNS = (
    "id", "business_id", "site_id", "kind", "form", "interval_months", "certificate_id",
    "registration_number", "chassis_number", "model_code", "car_name", "engine_model",
    "first_registration", "customer_name", "customer_address", "inspection_date", "odometer_km",
    "results", "measurements", "tester_values", "replaced_parts", "work_summary", "completion_date",
    "certificate_number", "inspector_id", "inspector_signed_at", "chief_mechanic_id",
    "chief_mechanic_signed_at", "status", "version", "previous_version_id", "is_current", "output_at",
    "created_at", "updated_at", "plate_key", "plate_serial")
BILLABLE_COLUMNS = ("id", "business_id", "site_id", "kind", "object_id", "occurred_at")
ID_TABLES = ("business", "site", "inspector", "chief_mechanic", "ab_user", "ab_user_role",
             "vehicle", "certificate", "record", "billable_event")


def _reset_sequences(conn):
    for name in ID_TABLES:
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                          f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"))


def load_scale_data(scale, *, seed=20261126, echo=print, end_date=None):
    """Generate ``scale`` into the app's database; returns the rows written per table."""
    engine = db.engine
    db.session.remove()
    writer = Writer(echo)
    end = end_date or today()
    gen = Generator(scale, seed, writer, end)
    postgres = writer.postgres
    saved = []
    echo(f"規模データ({scale.name}): {scale.businesses:,} 事業者、{scale.sites:,} 事業場、"
         f"{end - dt.timedelta(days=scale.days - 1)} 〜 {end}")
    with engine.connect() as conn:
        if postgres:
            conn.execute(text("SET synchronous_commit = off"))
            if conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar():
                conn.execute(text("SET session_replication_role = replica"))
        ids = _next_ids(conn, ID_TABLES)
        gen.tenants(conn, ids)
        conn.commit()
        gen.volumes()
        writer.report("事業者・事業場・検査員・ログイン")
        if postgres and scale.drop_indexes:
            saved = _save_and_drop_indexes(conn, BULK_TABLES)
            conn.commit()
            echo(f"読み込みの間、{len(saved)} 個の索引・一意制約を外します(読み込み後に作り直します)。")
        try:
            sites = gen.sites
            for start in range(0, len(sites), scale.batch_sites):
                out = {"vehicle": [], "certificate": [], "record": [], "billable_event": []}
                for site in sites[start:start + scale.batch_sites]:
                    gen.site_rows(site, ids, out)
                writer.write(conn, "vehicle", VEHICLE_COLUMNS, out["vehicle"])
                writer.write(conn, "certificate", CERTIFICATE_COLUMNS, out["certificate"])
                writer.write(conn, "record", RECORD_COLUMNS, out["record"])
                writer.write(conn, "billable_event", BILLABLE_COLUMNS, out["billable_event"])
                conn.commit()
                done = min(start + scale.batch_sites, len(sites))
                writer.report(f"{done:,}/{len(sites):,} 事業場")
        finally:
            if saved:
                conn.rollback()
                _recreate(engine, saved, echo)
        if postgres:
            conn.execute(text("SET session_replication_role = origin"))
            _reset_sequences(conn)
            conn.commit()
            started = time.perf_counter()
            _check_foreign_keys(conn, BULK_TABLES + ("inspector", "chief_mechanic", "site", "user_site"))
            echo(f"外部キーを確認しました ({time.perf_counter() - started:,.1f} 秒)。")
    if postgres:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for name in ID_TABLES + ("user_site",):
                conn.execute(text(f"ANALYZE {name}"))
    writer.report("完了")
    echo(f"ログイン: scale<事業者ID 5桁>-manager(例: scale{gen.sites[0]['business_id']:05d}-manager)、"
         f"パスワード {SCALE_PASSWORD}")
    return dict(writer.counts)


def scale_summary(session):
    from app.models.certificate import Certificate
    from app.models.record import Record

    return {"certificates": session.scalar(select(func.count(Certificate.id))),
            "records": session.scalar(select(func.count(Record.id)))}
