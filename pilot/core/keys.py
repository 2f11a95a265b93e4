"""The pilot key: a secret kept outside the database that MACs (HMAC-SHA256) the audit chain.

Whoever can write the database file can recompute any plain hash in it, so hashes alone prove
order, not authorship. A MAC can only be made by someone who can read the key file, which lives
beside the database by default (`<db>.key`, mode 0600) or wherever `PILOT_KEY_FILE` points.

Connections opened by `Store` are bound to the key and to the token acting through them, so
`audit.record` can seal an event and name its token without every caller passing them along.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from pilot.core.errors import InputError

KEY_ENV = "PILOT_KEY_FILE"
HEADER = "pilot-key v1 "
PRIVATE = 0o600


@dataclass(frozen=True)
class PilotKey:
    secret: bytes
    path: Path

    @property
    def key_id(self) -> str:
        """A public fingerprint of the key: names it without revealing it."""
        return hashlib.sha256(b"pilot-key-id:" + self.secret).hexdigest()[:16]

    def mac(self, message: str) -> str:
        return hmac.new(self.secret, message.encode("utf-8"), hashlib.sha256).hexdigest()

    def check(self, message: str, mac: str | None) -> bool:
        return bool(mac) and hmac.compare_digest(self.mac(message), str(mac))


def key_path(db_path: Path) -> Path:
    """`PILOT_KEY_FILE` if set, else `<db>.key` beside the database."""
    configured = os.environ.get(KEY_ENV)
    if configured:
        return Path(configured).expanduser().resolve()
    return db_path.with_name(db_path.name + ".key")


def load(path: Path) -> PilotKey | None:
    """The key in `path`, or None when there is no such file."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the pilot key ({exc})") from None
    if not text.startswith(HEADER):
        raise InputError(f"{path}: line 1: not a pilot key (expected '{HEADER.strip()} <hex>')")
    try:
        secret = bytes.fromhex(text[len(HEADER) :])
    except ValueError:
        raise InputError(f"{path}: line 1: the key is not hexadecimal") from None
    if len(secret) < 32:
        raise InputError(f"{path}: line 1: the key is shorter than 32 bytes")
    return PilotKey(secret, path)


def write_private(path: Path, text: str, *, exclusive: bool) -> None:
    """Create `path` with mode 0600 from the start (never world-readable, not even briefly)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, PRIVATE)
    try:
        os.fchmod(fd, PRIVATE)
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def generate(path: Path) -> PilotKey:
    return PilotKey(secrets.token_bytes(32), path)


def create(path: Path) -> PilotKey:
    """Write a new key to `path`; refuses to overwrite one."""
    key = generate(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_private(path, HEADER + key.secret.hex() + "\n", exclusive=True)
    except FileExistsError:
        raise InputError(f"{path}: a pilot key already exists; rotate it instead") from None
    return key


def stage(key: PilotKey) -> Path:
    """Write `key` beside its file as `<key>.new` (rotation); `os.replace` it once committed."""
    staged = key.path.with_name(key.path.name + ".new")
    write_private(staged, HEADER + key.secret.hex() + "\n", exclusive=False)
    return staged


def tighten(*paths: Path) -> None:
    """Make existing files owner-only (the database, its WAL, the key, the kill sentinel)."""
    for path in paths:
        try:
            if path.stat().st_mode & 0o077:
                os.chmod(path, PRIVATE)
        except FileNotFoundError:
            continue


# --- what each open connection acts with ---------------------------------------------------


@dataclass
class Binding:
    key: PilotKey | None = None
    token_id: str | None = None
    new_head: tuple[int, str] | None = None  # written beside the key once the commit is done


# --- the head witness beside the key -----------------------------------------------------


def witness_path(key: PilotKey) -> Path:
    return key.path.with_name(key.path.name + ".head")


def read_witness(key: PilotKey) -> tuple[int, str] | None | str:
    """(seq, hash) of the newest event seen committed, as MAC'd beside the key; None when
    there is no witness file; a string describing the problem when it does not verify."""
    try:
        parts = witness_path(key).read_text(encoding="ascii").split()
    except FileNotFoundError:
        return None
    if len(parts) != 3 or not parts[0].isdigit():
        return f"{witness_path(key)}: not a head witness"
    if not key.check(f"witness:{parts[0]}:{parts[1]}", parts[2]):
        return f"{witness_path(key)}: its MAC does not match the key"
    return int(parts[0]), parts[1]


def write_witness(key: PilotKey, seq: int, digest: str, *, force: bool = False) -> None:
    """Record the newest committed event beside the key (never moving it backwards)."""
    current = read_witness(key)
    if not force and isinstance(current, tuple) and current[0] >= seq:
        return
    path = witness_path(key)
    staged = path.with_name(f"{path.name}.{os.getpid()}")
    mac = key.mac(f"witness:{seq}:{digest}")
    write_private(staged, f"{seq} {digest} {mac}\n", exclusive=False)
    os.replace(staged, path)


def note_head(con: object, seq: int, digest: str) -> None:
    _BOUND.setdefault(id(con), Binding()).new_head = (seq, digest)


def after_commit(con: object) -> None:
    """Called by the store once a transaction committed: move the witness to its new head."""
    binding = _BOUND.get(id(con))
    if binding and binding.key and binding.new_head:
        # the database is authoritative; a lagging witness is only an older anchor
        with contextlib.suppress(OSError):
            write_witness(binding.key, *binding.new_head)
        binding.new_head = None


_BOUND: dict[int, Binding] = {}


def bind(con: object, key: PilotKey | None) -> None:
    previous = _BOUND.get(id(con))
    _BOUND[id(con)] = Binding(key, new_head=previous.new_head if previous else None)


def unbind(con: object) -> None:
    _BOUND.pop(id(con), None)


def bound_key(con: object) -> PilotKey | None:
    binding = _BOUND.get(id(con))
    return binding.key if binding else None


def set_token(con: object, token_id: str | None) -> None:
    _BOUND.setdefault(id(con), Binding()).token_id = token_id


def bound_token(con: object) -> str | None:
    binding = _BOUND.get(id(con))
    return binding.token_id if binding else None
