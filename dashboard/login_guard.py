"""The analyst login is throttled and logged.

After `SOLIDARITY_LOGIN_MAX_FAILURES` wrong logins (default 5) from one address within
`SOLIDARITY_LOGIN_WINDOW_S` seconds (default 900), that address is answered 429 with a
`Retry-After` until its oldest failure leaves the window — the right password included,
or a guesser would only need to keep going. Across all addresses, more than
`SOLIDARITY_LOGIN_MAX_FAILURES_ALL` failures (default 50) in the window close the login
for everyone until the window passes: a guesser rotating addresses is stopped too, at
the price of locking the analysts out for a quarter of an hour, which the log says.

Failures are counted in a small SQLite file shared by the gunicorn workers (a count
per worker would give a guesser one allowance per worker), `SOLIDARITY_LOGIN_DB`
(default: in the system's temporary folder, one per user). Every failure and every
lock-out is logged with the client address. Behind a reverse proxy the address is the
proxy's unless the proxy's headers are trusted (see docs/security.md).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    per_address: int = 5
    all_addresses: int = 50
    window_s: float = 900

    @classmethod
    def from_env(cls) -> Limits:
        return cls(int(os.environ.get("SOLIDARITY_LOGIN_MAX_FAILURES", cls.per_address)),
                   int(os.environ.get("SOLIDARITY_LOGIN_MAX_FAILURES_ALL", cls.all_addresses)),
                   float(os.environ.get("SOLIDARITY_LOGIN_WINDOW_S", cls.window_s)))


def default_store() -> Path:
    return Path(os.environ.get("SOLIDARITY_LOGIN_DB")
                or Path(tempfile.gettempdir()) / f"solidarity-logins-{os.getuid()}.sqlite")


class LoginGuard:
    def __init__(self, store: Path | None = None, limits: Limits | None = None, clock=time.time):
        self.store, self.limits, self.clock = store or default_store(), limits or Limits.from_env(), clock
        with self._db() as db:
            db.execute("create table if not exists failures (address text not null, at real not null)")
            db.execute("create index if not exists failures_at on failures (at)")

    def _db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.store, timeout=10, isolation_level=None)
        db.execute("pragma journal_mode=wal")
        return db

    def retry_after(self, address: str) -> int | None:
        """Seconds until this address may try again, or None if it may try now."""
        now = self.clock()
        since = now - self.limits.window_s
        db = self._db()
        try:
            db.execute("delete from failures where at < ?", (since,))
            mine = db.execute("select count(*), min(at) from failures where address = ?", (address,)).fetchone()
            every = db.execute("select count(*), min(at) from failures").fetchone()
        finally:
            db.close()
        waits = [first + self.limits.window_s - now for count, first, limit in
                 ((*mine, self.limits.per_address), (*every, self.limits.all_addresses)) if count >= limit]
        return max(1, int(max(waits)) + 1) if waits else None

    def failed(self, address: str) -> None:
        db = self._db()
        try:
            db.execute("insert into failures values (?, ?)", (address, self.clock()))
            count = db.execute("select count(*) from failures where address = ? and at >= ?",
                               (address, self.clock() - self.limits.window_s)).fetchone()[0]
        finally:
            db.close()
        log.warning("analyst login failed from %s (%d in the last %d s)", address, count, self.limits.window_s)
        if count == self.limits.per_address:
            log.error("analyst login locked for %s after %d failures", address, count)

    def succeeded(self, address: str) -> None:
        log.info("analyst login from %s", address)
