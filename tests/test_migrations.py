"""The schema is built by the migrations alone, and they agree with the models."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_appbuilder import Model


def test_models_and_migrations_agree(app):
    from app.extensions import db

    with app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Model.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_fab_tables_come_from_migrations(app):
    from sqlalchemy import inspect

    from app.extensions import db

    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    assert {"ab_user", "ab_role", "ab_permission_view", "business", "site", "audit_log",
            "alembic_version"} <= tables
    assert app.config["FAB_CREATE_DB"] is False
