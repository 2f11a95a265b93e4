"""Small builders shared by tests: seeded databases and a free loopback port."""

from __future__ import annotations

import socket
from pathlib import Path

from pilot.core import access
from pilot.core.store import Store

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


POLICY = (
    "# Leave policy\n"
    "Employees receive 25 days of annual leave each year.\n"
    "Up to 8 days may be carried over to the next year.\n"
    "Contact hr@northwind.example or call 07700 900123 with questions.\n"
    "Sick pay lasts 12 weeks at full pay.\n"
)


def write_cases(path: Path, n: int = 20) -> Path:
    """A small, valid golden set: answerable leave questions and some unanswerable ones."""
    import json

    questions = [
        (
            "How many days of annual leave do employees receive?",
            "25 days",
            "Employees receive 25 days of annual leave each year.",
        ),
        (
            "How many days can be carried over?",
            "8 days",
            "Up to 8 days may be carried over to the next year.",
        ),
        (
            "How long does sick pay last at full pay?",
            "12 weeks",
            "Sick pay lasts 12 weeks at full pay.",
        ),
        ("What is the parking allowance for visitors?", None, None),
    ]
    lines = []
    for i in range(n):
        q, expected, evidence = questions[i % len(questions)]
        lines.append(
            json.dumps(
                {
                    "id": f"c-{i:03d}",
                    "question": f"{q} (me: jo.bloggs@example.com, 07700 900456) #{i}",
                    "sources": [{"id": "leave", "title": "Leave policy", "text": POLICY}],
                    "expected_answer": expected,
                    "answerable": expected is not None,
                    "evidence": [evidence] if evidence else [],
                    "tags": ["numeric"] if expected else ["unanswerable"],
                    "consequential": i % 4 == 2,
                }
            )
        )
    path.write_text("\n".join(lines) + "\n")
    return path
