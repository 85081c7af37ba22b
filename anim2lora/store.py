"""Per-frame analysis results, cached in one SQLite file beside the frames.

Key: (content, analyzer, settings digest).  ``content`` identifies what was analysed (a frame
file's sha256, or ``video:<sha>:<index>`` for a decoded frame), so a threshold changed downstream
reuses every measurement instead of decoding or running a model again.
"""

import json
import os
import sqlite3
import threading
import time
from typing import Dict, Iterable, Mapping, Optional

from .errors import BadInputError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS analysis (
    content  TEXT NOT NULL,
    analyzer TEXT NOT NULL,
    settings TEXT NOT NULL,
    value    TEXT NOT NULL,
    created  REAL NOT NULL,
    PRIMARY KEY (content, analyzer, settings)
)
"""
_BATCH = 500  # SQLite caps the number of host parameters per statement


class AnalysisStore:
    """Thread-safe; one connection per thread, WAL so readers never block the writer."""

    def __init__(self, path: os.PathLike):
        self.path = os.fspath(path)
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        self._local = threading.local()
        try:
            with self._conn() as conn:
                conn.execute(_SCHEMA)
        except sqlite3.DatabaseError as e:    # random bytes, a truncated copy, another program's database
            self.close()
            raise BadInputError(f"{self.path}: not a readable analysis cache ({e}).",
                                hint="Delete it: it is only a cache, and the next run builds it again.") from None

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def get_many(self, analyzer: str, settings: str, contents: Iterable[str]) -> Dict[str, object]:
        keys = list(dict.fromkeys(contents))
        found: Dict[str, object] = {}
        conn = self._conn()
        for start in range(0, len(keys), _BATCH):
            chunk = keys[start:start + _BATCH]
            rows = conn.execute(
                f"SELECT content, value FROM analysis WHERE analyzer=? AND settings=? "
                f"AND content IN ({','.join('?' * len(chunk))})", [analyzer, settings, *chunk])
            found.update((content, json.loads(value)) for content, value in rows)
        return found

    def get(self, analyzer: str, settings: str, content: str, default=None):
        return self.get_many(analyzer, settings, [content]).get(content, default)

    def put_many(self, analyzer: str, settings: str, values: Mapping[str, object]) -> None:
        now = time.time()
        with self._conn() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO analysis VALUES (?, ?, ?, ?, ?)",
                [(c, analyzer, settings, json.dumps(v, separators=(",", ":")), now)
                 for c, v in values.items()])

    def put(self, analyzer: str, settings: str, content: str, value) -> None:
        self.put_many(analyzer, settings, {content: value})

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class CachedAnalysis:
    """One analyzer's results under one settings key, as a stage uses them: looked up per content
    (or all at once with ``prefetch``), and each new result stored the moment it is found, so a
    cancelled run keeps every one it finished.  Content ``""`` (a picture whose sha256 is not
    known) is never looked up nor stored.  ``ran`` counts the results found afresh."""

    def __init__(self, path: os.PathLike, analyzer: str, key: str):
        self.store = AnalysisStore(path)
        self.analyzer, self.key = analyzer, key
        self.ran = 0
        self._prefetched: Optional[Dict[str, object]] = None

    def prefetch(self, contents: Iterable[str]) -> None:
        """Read the results of ``contents`` in one query; later look-ups read nothing else."""
        self._prefetched = self.store.get_many(self.analyzer, self.key, [c for c in contents if c])

    def cached(self, content: str):
        """The stored result for ``content``, or None."""
        if not content:
            return None
        if self._prefetched is not None:
            return self._prefetched.get(content)
        return self.store.get(self.analyzer, self.key, content)

    def found(self, content: str, value) -> None:
        """A result the analyzer has just produced for ``content``."""
        self.ran += 1
        if content:
            self.store.put(self.analyzer, self.key, content, value)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "CachedAnalysis":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
