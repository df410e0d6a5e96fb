"""What the web server keeps between restarts, in one SQLite file of the data folder
(`DATA_DIR/web/web.sqlite3`): sign-in challenges, sessions, API tokens, webhooks, the alerts already
seen and the webhook outbox.

Secrets are stored hashed (SHA-256): a session id or a token is shown once, to its owner, and the
file alone gives neither. The file is shared by `pa serve` and the `pa serve token|webhook` commands
(WAL mode: one writer at a time, readers never blocked), so that a revoked token is refused at once.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pa_client.settings import make_private
from pa_client.web.access import session_live, token_usable

ALERTS_PER_DELIVERY = 100
"""A webhook's new alerts of one audit go in POSTs of at most this many (a submission of 10 000 entries
can raise 20 000 alerts: 200 POSTs per webhook, not 20 000)."""
MAX_CHALLENGES = 10_000
CHALLENGES_PER_ADDRESS = 5
CHALLENGES_PER_REQUESTER = 20

SCHEMA = """
CREATE TABLE IF NOT EXISTS challenges (
    nonce TEXT PRIMARY KEY, address TEXT NOT NULL, message TEXT NOT NULL, expires REAL NOT NULL,
    requester TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS challenges_requester ON challenges (requester, address);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY, address TEXT NOT NULL, created REAL NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,
    address TEXT NOT NULL, account_spec TEXT, password_env TEXT, created REAL NOT NULL,
    expires REAL, revoked REAL, last_used REAL);
CREATE TABLE IF NOT EXISTS webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, url TEXT NOT NULL, address TEXT,
    min_severity TEXT NOT NULL DEFAULT 'info', created REAL NOT NULL, removed REAL,
    secret TEXT NOT NULL DEFAULT '', allow_local INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS alerts_seen (
    key TEXT PRIMARY KEY, authorisation TEXT NOT NULL, severity TEXT NOT NULL, payload TEXT NOT NULL,
    first_seen REAL NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT, webhook_id INTEGER NOT NULL, alert_keys TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_attempt REAL NOT NULL, delivered REAL, last_error TEXT,
    abandoned REAL);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (delivered, next_attempt);
"""

TOKEN_PREFIX = "pat_"
WEBHOOK_SECRET_PREFIX = "whsec_"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _webhook_secret() -> str:
    return WEBHOOK_SECRET_PREFIX + secrets.token_urlsafe(32)


def store_path(data_dir: Path) -> Path:
    return data_dir / "web" / "web.sqlite3"


@dataclass(frozen=True)
class Token:
    id: int
    name: str
    address: str
    account_spec: str | None
    password_env: str | None
    created: float
    expires: float | None
    revoked: float | None
    last_used: float | None

    @property
    def can_sign(self) -> bool:
        return self.account_spec is not None

    def usable(self, now: float) -> bool:
        return token_usable(revoked_at=self.revoked, expires_at=self.expires, now=now)


@dataclass(frozen=True)
class Session:
    address: str
    created: float
    expires: float


@dataclass(frozen=True)
class Webhook:
    id: int
    url: str
    address: str | None
    min_severity: str
    created: float
    secret: str = field(repr=False, default="")
    """The key of the deliveries' signatures (HMAC-SHA256), shown to the operator when added."""
    allow_local: bool = False
    """Posted to even at a loopback or link-local address (a receiver on the server's own machine)."""


@dataclass(frozen=True)
class OutboxItem:
    """One delivery owed: a POST of some alerts (their stored payloads) to one webhook."""

    id: int
    webhook_id: int
    url: str
    alert_keys: tuple[str, ...]
    payloads: tuple[dict[str, Any], ...]
    attempts: int
    secret: str = field(repr=False, default="")
    allow_local: bool = False


class Store:
    """The server's SQLite file; safe to share between threads (one connection, one lock)."""

    def __init__(self, path: Path) -> None:
        make_private(path.parent)
        # The file holds sessions, token hashes and webhook secrets: its owner's only (SQLite gives
        # its -wal and -shm files the same mode).
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # an outbox row survives a power cut
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(challenges)")}
        if columns and "requester" not in columns:  # a file of an earlier version: challenges live 10 min
            self._db.execute("DROP TABLE challenges")
        for table, column, kind in (
            ("webhooks", "secret", "TEXT NOT NULL DEFAULT ''"),  # earlier webhooks get their secret below
            ("webhooks", "allow_local", "INTEGER NOT NULL DEFAULT 0"),
        ):
            present = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            if present and column not in present:  # a file of an earlier version
                self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        self._db.executescript(SCHEMA)
        self._migrate_outbox()
        for (hook_id,) in self._db.execute("SELECT id FROM webhooks WHERE secret = ''").fetchall():
            self._db.execute("UPDATE webhooks SET secret = ? WHERE id = ?", (_webhook_secret(), hook_id))

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> Store:
        return cls(store_path(data_dir))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return list(self._db.execute(sql, params).fetchall())

    # ------------------------------------------------------------ sign-in challenges

    def add_challenge(
        self, nonce: str, address: str, message: str, expires: float, requester: str = ""
    ) -> bool:
        """Keeps a challenge until it expires: False (and nothing kept) when MAX_CHALLENGES are
        pending. Anyone may ask for challenges, for any address, so each caller (`requester`, its IP
        address) keeps only its own newest: CHALLENGES_PER_ADDRESS per address and
        CHALLENGES_PER_REQUESTER in all. A caller's requests replace only its own challenges: asking
        for a victim's address again and again drops none of the victim's, and one caller cannot fill
        the store."""
        with self._tx() as db:
            db.execute("DELETE FROM challenges WHERE expires < ?", (time.time(),))
            (pending,) = db.execute("SELECT COUNT(*) FROM challenges").fetchone()
            (own,) = db.execute(
                "SELECT COUNT(*) FROM challenges WHERE requester = ?", (requester,)
            ).fetchone()
            if pending >= MAX_CHALLENGES and own < CHALLENGES_PER_REQUESTER:
                return False  # a flood from many callers; a caller at its own bound replaces its oldest
            db.execute(
                "INSERT INTO challenges (nonce, address, message, expires, requester) VALUES (?, ?, ?, ?, ?)",
                (nonce, address, message, expires, requester),
            )
            for where, params, keep in (
                ("requester = ? AND address = ?", (requester, address), CHALLENGES_PER_ADDRESS),
                ("requester = ?", (requester,), CHALLENGES_PER_REQUESTER),
            ):
                db.execute(
                    f"DELETE FROM challenges WHERE {where} AND nonce NOT IN (SELECT nonce FROM challenges"
                    f" WHERE {where} ORDER BY expires DESC, rowid DESC LIMIT ?)",
                    (*params, *params, keep),
                )
        return True

    def take_challenge(self, nonce: str, now: float) -> tuple[str, str] | None:
        """(address, message) of an unexpired challenge, removed: a nonce serves once."""
        with self._tx() as db:
            row = db.execute(
                "SELECT address, message, expires FROM challenges WHERE nonce = ?", (nonce,)
            ).fetchone()
            db.execute("DELETE FROM challenges WHERE nonce = ?", (nonce,))
        if row is None or row[2] <= now:
            return None
        return str(row[0]), str(row[1])

    # ------------------------------------------------------------ sessions

    def create_session(self, address: str, lifetime_seconds: float, now: float | None = None) -> str:
        """A new session for `address`; returns its id (the cookie value), stored hashed."""
        now = time.time() if now is None else now
        session_id = secrets.token_urlsafe(32)
        with self._tx() as db:
            db.execute("DELETE FROM sessions WHERE expires <= ?", (now,))
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?)",
                (digest(session_id), address, now, now + lifetime_seconds),
            )
        return session_id

    def session(self, session_id: str, now: float | None = None) -> Session | None:
        now = time.time() if now is None else now
        rows = self._rows(
            "SELECT address, created, expires FROM sessions WHERE id_hash = ?", (digest(session_id),)
        )
        if not rows or not session_live(float(rows[0][2]), now):
            return None
        return Session(str(rows[0][0]), float(rows[0][1]), float(rows[0][2]))

    def end_session(self, session_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM sessions WHERE id_hash = ?", (digest(session_id),))

    # ------------------------------------------------------------ API tokens

    def create_token(
        self,
        *,
        name: str,
        address: str,
        account_spec: str | None,
        password_env: str | None,
        expires: float | None,
        now: float | None = None,
    ) -> tuple[Token, str]:
        """A new token bound to `address`; returns it and its secret (shown once, stored hashed)."""
        now = time.time() if now is None else now
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO tokens (name, token_hash, address, account_spec, password_env, created, expires)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (name, digest(secret), address, account_spec, password_env, now, expires),
            )
            token_id = int(cursor.lastrowid or 0)
        token = self.token_by_id(token_id)
        assert token is not None
        return token, secret

    _TOKEN_COLUMNS = "id, name, address, account_spec, password_env, created, expires, revoked, last_used"

    @staticmethod
    def _token(row: tuple[Any, ...]) -> Token:
        return Token(
            int(row[0]), str(row[1]), str(row[2]), row[3], row[4], float(row[5]), row[6], row[7], row[8]
        )

    def token_by_id(self, token_id: int) -> Token | None:
        rows = self._rows(f"SELECT {self._TOKEN_COLUMNS} FROM tokens WHERE id = ?", (token_id,))
        return self._token(rows[0]) if rows else None

    def token_by_secret(self, secret: str, now: float | None = None) -> Token | None:
        """The usable token with this secret (None when unknown, revoked or expired)."""
        now = time.time() if now is None else now
        rows = self._rows(f"SELECT {self._TOKEN_COLUMNS} FROM tokens WHERE token_hash = ?", (digest(secret),))
        if not rows:
            return None
        token = self._token(rows[0])
        if not token.usable(now):
            return None
        if token.last_used is None or now - token.last_used > 60:
            with self._tx() as db:
                db.execute("UPDATE tokens SET last_used = ? WHERE id = ?", (now, token.id))
        return token

    def tokens(self) -> list[Token]:
        return [self._token(r) for r in self._rows(f"SELECT {self._TOKEN_COLUMNS} FROM tokens ORDER BY id")]

    def revoke_token(self, token_id: int, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE tokens SET revoked = ? WHERE id = ? AND revoked IS NULL", (now, token_id)
            )
            return cursor.rowcount > 0

    # ------------------------------------------------------------ webhooks

    def add_webhook(
        self, url: str, address: str | None, min_severity: str = "info", *, allow_local: bool = False
    ) -> Webhook:
        """Registers a webhook, or returns the same one already registered (`webhooks.check_url` says
        which URLs may be)."""
        wanted = (url, address, min_severity, allow_local)
        for hook in self.webhooks():
            if (hook.url, hook.address, hook.min_severity, hook.allow_local) == wanted:
                return hook
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO webhooks (url, address, min_severity, created, secret, allow_local)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (url, address, min_severity, time.time(), _webhook_secret(), int(allow_local)),
            )
            hook_id = int(cursor.lastrowid or 0)
        return next(h for h in self.webhooks() if h.id == hook_id)

    def webhooks(self) -> list[Webhook]:
        return [
            Webhook(int(r[0]), str(r[1]), r[2], str(r[3]), float(r[4]), str(r[5]), bool(r[6]))
            for r in self._rows(
                "SELECT id, url, address, min_severity, created, secret, allow_local FROM webhooks"
                " WHERE removed IS NULL ORDER BY id"
            )
        ]

    def remove_webhook(self, hook_id: int) -> bool:
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE webhooks SET removed = ? WHERE id = ? AND removed IS NULL", (time.time(), hook_id)
            )
            return cursor.rowcount > 0

    # ------------------------------------------------------------ alerts and the outbox

    def first_seen(self) -> dict[str, float]:
        """Every alert key seen, with when it was first seen."""
        return {str(r[0]): float(r[1]) for r in self._rows("SELECT key, first_seen FROM alerts_seen")}

    def record_new_alerts(
        self, alerts: Sequence[dict[str, Any]], deliveries: Sequence[tuple[int, str]], now: float
    ) -> None:
        """Marks alerts seen and queues their deliveries (webhook id, alert key) in one transaction:
        an alert is either new and queued, or already seen, even across a crash. An alert's payload is
        kept once (`alerts_seen`), whatever the number of webhooks; a webhook's new alerts are queued
        together, ALERTS_PER_DELIVERY to a POST."""
        new: set[str] = set()
        with self._tx() as db:
            for alert in alerts:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO alerts_seen VALUES (?, ?, ?, ?, ?)",
                    (
                        alert["key"],
                        alert["authorisation"],
                        alert["severity"],
                        json.dumps(alert, sort_keys=True),
                        now,
                    ),
                )
                if cursor.rowcount:
                    new.add(alert["key"])
            by_hook: dict[int, dict[str, None]] = {}  # insertion-ordered sets
            for hook_id, key in deliveries:
                if key in new:  # an alert seen already is never queued again
                    by_hook.setdefault(hook_id, {})[key] = None
            for hook_id, ordered in by_hook.items():
                keys = list(ordered)
                for start in range(0, len(keys), ALERTS_PER_DELIVERY):
                    db.execute(
                        "INSERT INTO deliveries (webhook_id, alert_keys, next_attempt) VALUES (?, ?, ?)",
                        (hook_id, json.dumps(keys[start : start + ALERTS_PER_DELIVERY]), now),
                    )

    def due_deliveries(self, now: float, limit: int = 20) -> list[OutboxItem]:
        rows = self._rows(
            "SELECT d.id, d.webhook_id, w.url, d.alert_keys, d.attempts, w.secret, w.allow_local"
            " FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id"
            " WHERE d.delivered IS NULL AND d.abandoned IS NULL AND w.removed IS NULL AND d.next_attempt <= ?"
            " ORDER BY d.next_attempt, d.id LIMIT ?",
            (now, limit),
        )
        items = []
        for row in rows:
            keys = tuple(str(key) for key in json.loads(row[3]))
            found = dict(
                self._rows(
                    f"SELECT key, payload FROM alerts_seen WHERE key IN ({', '.join('?' * len(keys))})", keys
                )
            )
            payloads = tuple(json.loads(found[key]) for key in keys if key in found)
            items.append(
                OutboxItem(
                    int(row[0]),
                    int(row[1]),
                    str(row[2]),
                    keys,
                    payloads,
                    int(row[4]),
                    str(row[5]),
                    bool(row[6]),
                )
            )
        return items

    def next_attempt_at(self) -> float | None:
        rows = self._rows(
            "SELECT MIN(d.next_attempt) FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id"
            " WHERE d.delivered IS NULL AND d.abandoned IS NULL AND w.removed IS NULL"
        )
        return None if not rows or rows[0][0] is None else float(rows[0][0])

    def delivered(self, item_id: int, now: float) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE deliveries SET delivered = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?",
                (now, item_id),
            )

    def failed(self, item_id: int, error: str, next_attempt: float) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE deliveries SET attempts = attempts + 1, last_error = ?, next_attempt = ? WHERE id = ?",
                (error[:500], next_attempt, item_id),
            )

    def abandon(self, item_id: int, error: str, now: float) -> None:
        """Gives a delivery up: its webhook's URL is one no try can succeed with."""
        with self._tx() as db:
            db.execute(
                "UPDATE deliveries SET attempts = attempts + 1, last_error = ?, abandoned = ? WHERE id = ?",
                (error[:500], now, item_id),
            )

    def outbox(self) -> list[dict[str, Any]]:
        """Every delivery, for `pa serve webhook list` and the tests (`alert_keys`: the alerts it
        carries)."""
        rows = self._rows(
            "SELECT id, webhook_id, alert_keys, attempts, next_attempt, delivered, last_error, abandoned"
            " FROM deliveries ORDER BY id"
        )
        names = (
            "id",
            "webhook_id",
            "alert_keys",
            "attempts",
            "next_attempt",
            "delivered",
            "last_error",
            "abandoned",
        )
        return [{**dict(zip(names, row, strict=True)), "alert_keys": json.loads(row[2])} for row in rows]

    def _migrate_outbox(self) -> None:
        """An earlier version's outbox (a row and a copy of the payload per webhook and alert) becomes
        deliveries of one alert each, as they stood."""
        tables = {str(r[0]) for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "outbox" not in tables:
            return
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(outbox)")}
        abandoned = "abandoned" if "abandoned" in columns else "NULL"
        with self._tx() as db:
            rows = db.execute(
                f"SELECT webhook_id, alert_key, attempts, next_attempt, delivered, last_error, {abandoned}"
                " FROM outbox ORDER BY id"
            ).fetchall()
            db.executemany(
                "INSERT INTO deliveries (webhook_id, alert_keys, attempts, next_attempt, delivered, last_error,"
                " abandoned) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(r[0], json.dumps([r[1]]), *r[2:]) for r in rows],
            )
            db.execute("DROP TABLE outbox")
