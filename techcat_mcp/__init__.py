"""The MCP server: coding agents read and write the .codex memory through TechCat."""
