"""create_app(): extensions, security, views, the tenancy, password and hours gates."""
import logging
import os

from flask import Flask

from app.extensions import appbuilder, csrf, db, migrate

log = logging.getLogger(__name__)

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


def build_app(config_object=None):
    flask_app = Flask(__name__, instance_relative_config=False)
    flask_app.config.from_object(config_object or os.environ.get("KEIZOKU_CONFIG", "config.Config"))
    os.makedirs(os.path.join(os.path.dirname(flask_app.root_path), "instance"), exist_ok=True)

    db.init_app(flask_app)
    migrate.init_app(flask_app, db, directory=MIGRATIONS_DIR)
    csrf.init_app(flask_app)

    from app import audit, models  # noqa: F401  (session events; every model registered)

    with flask_app.app_context():
        appbuilder.init_app(flask_app, db.session)
        from app.views import register_views

        register_views(appbuilder)

    from app.errors import register_error_handlers
    from app.gates import register_gates

    register_gates(flask_app)
    register_error_handlers(flask_app)

    from app import input_guard

    input_guard.register(flask_app)

    from app.proxy import trust_proxies

    trust_proxies(flask_app)

    @flask_app.context_processor
    def _banners():
        def keizoku_banners():
            """Maintenance windows, closures and outside systems reported down, for shops."""
            from flask import g

            from app.services.support import active_banners
            from app.timeutil import now

            user = g.get("user")
            if user is None or not user.is_authenticated or user.is_association:
                return []
            return active_banners(db.session, now())

        return {"keizoku_banners": keizoku_banners}

    from app.views.paging import page_args

    flask_app.jinja_env.globals["page_args"] = page_args  # keizoku/_pager.html

    from app.commands import register_commands

    register_commands(flask_app)
    return flask_app
