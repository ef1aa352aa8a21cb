"""A small web server that plays AIRAS, AINAS and the weight-tax inquiries (outside-systems.md §5).

Run it with `python -m app.integrations.sandbox --port 8765`; tests use `start_sandbox_in_thread`.
Each system lives under its own prefix, which is the base URL its client gets:
`{base}/airas`, `{base}/ainas`, `{base}/mlit`, `{base}/kei`. The control API is under `{base}/_control/`.
"""

from app.integrations.sandbox.server import SandboxServer, create_sandbox_app, start_sandbox_in_thread
from app.integrations.sandbox.state import Sandbox

__all__ = ["Sandbox", "SandboxServer", "create_sandbox_app", "start_sandbox_in_thread"]
