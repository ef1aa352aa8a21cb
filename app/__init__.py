"""Keizoku: back-office for designated maintenance shops and their association."""


def create_app(config_object=None):
    """Build the Flask application. Imported lazily so the pure domain package stays light."""
    from app.factory import build_app

    return build_app(config_object)
