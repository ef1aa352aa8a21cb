"""`flask demo-data`: the demo tenants and logins listed in the README (only into an empty db)
with their last two complete months of use (app/commands/demo_months.py), and with
``--scale small|full`` the service's size on top of the tenants (app/commands/scale_data.py).
"""
import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from app.commands.roles import sync_roles
from app.domain.corporate_number import check_digit
from app.extensions import db
from app.models.tenancy import Business, ChiefMechanic, Inspector, Site
from app.security.models import KeizokuUser
from app.services.accounts import _hash
from app.timeutil import today

DEMO_PASSWORD = "Demo-Pass-2026"


def _corporate_number(base12):
    return f"{check_digit(base12)}{base12}"


DEMO_BUSINESSES = [
    {
        "key": "sakura",
        "business": dict(
            name="株式会社さくらモータース", name_kana="カブシキガイシャサクラモータース",
            corporate_number=_corporate_number("011001012345"), postal_code="150-0001",
            address="東京都渋谷区神宮前1-2-3", phone="03-1234-5678", contact_name="佐藤 花子",
            contact_email="office@sakura-motors.example.jp", bank_code="0001",
            branch_code="001", account_type="1", account_number="1234567",
            account_holder_kana="ｶ)ｻｸﾗﾓｰﾀｰｽ",
        ),
        "sites": [
            dict(name="本社工場", address="東京都渋谷区神宮前1-2-3", certification_number="東認第1234号",
                 designation_number="5678", district_code="30", airas_registered=True,
                 records_enabled=True),
            dict(name="世田谷工場", address="東京都世田谷区用賀4-5-6", certification_number="東認第2345号",
                 designation_number="6789", district_code="30", airas_registered=True,
                 records_enabled=False, billed_separately=True),
            dict(name="練馬工場", address="東京都練馬区豊玉北7-8-9", certification_number="東認第3456号",
                 designation_number="7890", district_code="30", airas_registered=True,
                 ainas_status="hybrid_only"),
        ],
        "inspectors": [(0, "山田 太郎", "ヤマダ タロウ", "00112345"), (1, "鈴木 一郎", "スズキ イチロウ", "00154321"),
                       (2, "高橋 健", "タカハシ ケン", "00167890")],
        "chiefs": [(0, "田中 誠", "タナカ マコト"), (1, "伊藤 学", "イトウ マナブ"), (2, "渡辺 隆", "ワタナベ タカシ")],
        "users": [
            ("sakura-manager", "佐藤", "花子", "site_manager", [0, 1, 2]),
            ("sakura-inspector", "山田", "太郎", "inspector", [0]),
            ("sakura-clerk", "中村", "恵", "clerk", [0, 1]),
        ],
    },
    {
        "key": "midori",
        "business": dict(
            name="有限会社みどり自動車", name_kana="ユウゲンガイシャミドリジドウシャ",
            corporate_number=_corporate_number("022002023456"), postal_code="460-0002",
            address="愛知県名古屋市中区丸の内2-3-4", phone="052-987-6543", contact_name="小林 誠",
            contact_email="info@midori-jidosha.example.jp", bank_code="0005",
            branch_code="251", account_type="1", account_number="7654321",
            account_holder_kana="ﾕ)ﾐﾄﾞﾘｼﾞﾄﾞｳｼﾔ",
        ),
        "sites": [
            dict(name="名古屋工場", address="愛知県名古屋市中区丸の内2-3-4", certification_number="中認第4567号",
                 designation_number="8901", district_code="50", airas_registered=True,
                 records_enabled=True),
        ],
        "inspectors": [(0, "加藤 剛", "カトウ ツヨシ", "00223456")],
        "chiefs": [(0, "吉田 修", "ヨシダ オサム")],
        "users": [
            ("midori-manager", "小林", "誠", "site_manager", [0]),
            ("midori-inspector", "加藤", "剛", "inspector", [0]),
            ("midori-clerk", "松本", "由美", "clerk", [0]),
        ],
    },
]

ASSOCIATION_USERS = [
    ("kyokai-admin", "協会", "管理者", "association_admin"),
    ("kyokai-staff", "協会", "サポート", "association_staff"),
]


def _user(username, last, first, role_name, business=None, sites=(), must_change=True):
    sm = current_app.appbuilder.sm
    user = KeizokuUser(
        username=username, last_name=last, first_name=first,
        email=f"{username}@example.jp", active=True, business=business, sites=list(sites),
        roles=[sm.find_role(role_name)], must_change_password=must_change,
    )
    user.password = _hash(DEMO_PASSWORD)
    user.initial_password_hash = user.password
    db.session.add(user)
    return user


def load_demo_data():
    sync_roles()
    for username, last, first, role in ASSOCIATION_USERS:
        _user(username, last, first, role, must_change=False)
    for spec in DEMO_BUSINESSES:
        business = Business(**spec["business"])
        db.session.add(business)
        sites = [Site(business=business, **s) for s in spec["sites"]]
        db.session.add_all(sites)
        db.session.flush()
        for idx, name, kana, code in spec["inspectors"]:
            db.session.add(Inspector(business_id=business.id, site=sites[idx], name=name,
                                     name_kana=kana, inspector_code=code))
        for idx, name, kana in spec["chiefs"]:
            db.session.add(ChiefMechanic(business_id=business.id, site=sites[idx], name=name,
                                         name_kana=kana))
        for username, last, first, role, site_idx in spec["users"]:
            _user(username, last, first, role, business, [sites[i] for i in site_idx])
    db.session.commit()


def database_is_empty():
    return not db.session.scalar(select(func.count(Business.id)))


@click.command("demo-data")
@click.option("--scale", type=click.Choice(["demo", "small", "full"]), default="demo",
              help="demo: 協会と2事業者(README記載のログイン) / small: 50事業場・約10万件 / "
                   "full: 1,130事業者・5,180事業場・2年分(保適証・記録簿 各約700万件)")
@click.option("--force", is_flag=True, default=False,
              help="データがあっても規模データを追加します(専用のデータベースでだけ使ってください)。")
@click.option("--seed", type=int, default=20261126, help="乱数の種(同じ種なら同じデータ)")
@with_appcontext
def demo_data_cli(scale, force, seed):
    """デモデータを空のデータベースに登録します。"""
    empty = database_is_empty()
    if scale == "demo":
        if not empty:
            click.echo("データが既にあるため、デモデータは登録しませんでした。")
            return
        load_demo_data()
        from app.commands.demo_months import DemoMonths, demo_months

        counts = DemoMonths(db.session).load()
        span = "・".join(f"{y}年{m}月" for y, m in demo_months(today()))
        click.echo(f"デモデータを登録しました(ご利用の実績 {span}: 保適証 {counts['certificates']}件、"
                   f"記録簿 {counts['records']}件)。")
        return
    if not empty and not force:
        raise click.ClickException(
            "データが既にあるため、規模データは登録しませんでした。空のデータベースで実行するか、"
            "規模データ専用のデータベースなら --force を付けてください。")
    from app.commands.scale_data import SCALES, load_scale_data

    if empty:
        load_demo_data()
        click.echo("デモデータを登録しました。")
    load_scale_data(SCALES[scale], seed=seed, echo=click.echo)
