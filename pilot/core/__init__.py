"""The floor every step stands on: the database, the audit chain, who may do what, the kill switch.

Tables owned: `schema_migrations` (store), `audit_events` (audit), `users` (access),
`settings` (kill switch state).

Public: `store.Store` (one connection per operation, `read()` / `write(body)`), `audit.record`,
`audit.verify`, `access.write_as` / `access.require` / `access.can`, `killswitch.engage` /
`release` / `check`, `errors.PilotError` and its kinds, `models` (records shared by every step),
`inert` (the one renderer of untrusted text). Imports nothing else from `pilot`.
"""
