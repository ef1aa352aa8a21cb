"""Flask CLI commands (`flask <group> <command>`)."""


def register_commands(app):
    from app.commands.demo_data import demo_data_cli
    from app.commands.roles import roles_cli

    app.cli.add_command(roles_cli)
    app.cli.add_command(demo_data_cli)
    try:
        from app.commands.vehicle_qr import vehicle_qr_cli
    except ImportError:  # written in parallel; removed once it lands
        vehicle_qr_cli = None
    if vehicle_qr_cli is not None:
        app.cli.add_command(vehicle_qr_cli)
