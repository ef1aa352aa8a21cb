"""Development entry point: `python run.py` serves the app; FLASK_APP=run.py for the CLI.

`make run` also starts the outside-system sandbox and the scheduler beside it.
"""
import os

from app import create_app

app = create_app(os.environ.get("KEIZOKU_CONFIG", "config.DevelopmentConfig"))

if __name__ == "__main__":
    port = int(os.environ.get("PORT", "5000"))
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=port, debug=False, use_reloader=False)
