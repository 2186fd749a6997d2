"""``python -m ao_mcp``: the same as the ``ao-mcp`` command."""

import sys

from ao_mcp.cli import main

sys.exit(main())
