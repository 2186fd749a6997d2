"""ao-mcp: the AcademyOcean API and its webhook events as an MCP server."""

__version__ = "0.1.0"
