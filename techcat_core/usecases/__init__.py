"""The actions every front end offers, each defined once: the CLI, the TUI, the language server and the MCP
server call these instead of restating the rules (an unknown agent, a future date, a missing output file).

Each function takes plain values and returns typed results; a refusal is a `UseCaseError` holding one
sentence that says what to do. Nothing here prints or imports a user interface.
"""
