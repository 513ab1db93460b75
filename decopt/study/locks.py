"""A lock per run directory, so that processes writing the same study directory at the
same time never clear or replace each other's runs."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["RunLock"]


class RunLock:
    """An exclusive lock on one run directory of a study (a lock file beside it, held
    with ``fcntl.flock``), so that two processes writing the same study directory never
    clear or replace each other's runs: the run's action is decided again under the
    lock. Without fcntl (Windows) it is a no-op."""

    def __init__(self, study_dir: Path, dir_name: str, say=None):
        self.fd = None
        self.path = Path(study_dir) / f".{dir_name}.lock"
        try:
            import fcntl
        except ImportError:   # pragma: no cover - not POSIX
            return
        waited = False
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                if say is not None and not waited:
                    say(f"  {dir_name}: another process is writing this run; waiting for it")
                waited = True
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                except BaseException:
                    os.close(fd)
                    raise
            # the holder removes the file when it is done: a lock on a removed file is no
            # lock, so take it again on the file now at that path
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self.fd = fd
                return
            os.close(fd)

    @staticmethod
    def busy(d: Path) -> bool:
        """Whether another process holds the lock of run directory ``d`` now."""
        try:
            import fcntl
        except ImportError:   # pragma: no cover - not POSIX
            return False
        path = d.parent / f".{d.name}.lock"
        if not path.exists():
            return False
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        finally:
            os.close(fd)      # closing releases a lock taken here
        return False

    def release(self):
        """Remove the lock file, then unlock (a waiter then finds the file gone and locks
        a new one)."""
        if self.fd is not None:
            import fcntl
            try:
                self.path.unlink()
            except OSError:
                pass
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
