"""Discovery of feature modules, so a feature adds files rather than editing shared ones.

A module in ``app.views`` may define ``register(appbuilder)``, ``ROLE_PERMISSIONS`` and
``ROLE_MENUS``; a module in ``app.commands`` may define click commands named ``*_cli``.
"""
import importlib
import pkgutil


def modules_of(package_name):
    package = importlib.import_module(package_name)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        yield importlib.import_module(f"{package_name}.{info.name}")
