"""An embedded AcademyOcean: the API, OAuth and webhooks of a generated academy account.

A faithful local stand-in for the service (as stripe-mock or moto are for theirs):
the zero-config backend through ``httpx.ASGITransport(app=Sandbox().app)``, the
backend of the project's tests, and a server for benchmarks (``serve``).
"""

from __future__ import annotations

from ao_mcp.sandbox.config import SandboxConfig
from ao_mcp.sandbox.core import Sandbox, serve
from ao_mcp.sandbox.faults import Fault
from ao_mcp.sandbox.webhooks import sign

__all__ = ["Fault", "Sandbox", "SandboxConfig", "serve", "sign"]
