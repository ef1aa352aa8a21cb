"""Flask CLI commands (`flask <group> <command>`): every ``*_cli`` click command defined in
a module of this package is registered."""
import click

from app.plugins import modules_of


def register_commands(app):
    for module in modules_of(__name__):
        for name in dir(module):
            command = getattr(module, name)
            if name.endswith("_cli") and isinstance(command, click.Command):
                app.cli.add_command(command)
