"""Writes of the workspaces room, one module per noun: `workspaces` (create), `members` (add,
change role, remove), `users` (deactivate, reactivate, passwords), `tokens` (API tokens),
`logins` (lockouts, second factors). Callers import the module of their noun's functions.

Each action owns its transaction, takes the acting user (None: the server's command line, shown
as "sistem") and `now`, and writes its audit events in the same transaction.
"""
