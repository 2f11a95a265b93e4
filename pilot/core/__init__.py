"""The floor every step stands on: the database, the audit chain, who may do what, the kill switch.

Tables owned: `schema_migrations` (store), `audit_events` and `audit_head` (audit),
`users` (access), `access_tokens` (tokens), `signin_guard` (signin), `web_sessions`
(web_sessions: the app's browser sessions), `settings` (kill switch state).

Public: `store.Store` (one connection per operation, `read()` / `write(body)`, bound to the
pilot key), `keys` (the key file, HMAC, owner-only files), `audit.record` / `record_as`,
`audit.verify`, `access.write_as` / `access.require` / `access.can`,
`tokens.authenticate_token` / `create_token` / `revoke_token`, `signin.authenticate` /
`unlock`, `sealing.adopt_key` / `rotate`, `killswitch.engage` / `release` / `check`,
`errors.PilotError` and its kinds, `models` (records shared by every step), `inert` (the one
renderer of untrusted text), `retry` (the one retry policy, on tenacity), `events` (reading the
audit log by action or object). Imports nothing else from `pilot`.
"""
