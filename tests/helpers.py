"""Small builders shared by tests: seeded databases and a free loopback port."""

from __future__ import annotations

import socket
from pathlib import Path

from pilot import access
from pilot.store import Store

USERS = {
    "ada": "admin",
    "priya": "lead",
    "marco": "evaluator",
    "sam": "auditor",
    "dana": "viewer",
}
PASSWORD = "correct horse battery"


def seeded_store(path: Path) -> Store:
    """A database with one user per role, all with PASSWORD."""
    store = Store(path)
    for name, role in USERS.items():
        access.add_user(store, "ada", name, role, password=PASSWORD)
    return store


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
