"""A tree of static files, published whole: a reader never sees a mixed tree.

Layout of a publishing directory ``DIR``::

    DIR/current -> trees/00000098-41a8835e      (a relative symlink)
    DIR/trees/00000098-41a8835e/manifest.json   (one tree per publish, never changed once made)
    DIR/trees/00000097-1c0ffee5/...             (the previous ones, until pruned)

Why versioned directories and a symlink swapped with ``rename(2)``, rather than replacing each
file in place and writing the manifest last: with per-file replacement a reader that fetches
the national results and then a district's during a publish gets the new one and the old one,
figures of two different heads side by side, and nothing tells it so. Here every tree is built
apart (under a temporary name) and made visible by one atomic rename of the ``current`` link:
any path resolved through ``current`` belongs to exactly one published head. A reader that
fetches several files and must have them all from one head (a results page) reads the
manifest and then the files under the tree it names (``trees/<name>/...``), which never change
and stay for ``keep`` publishes after the swap.

Why this is cheap: a file that did not change is a hard link to the previous tree's copy
(same inode, no bytes written), so a publish costs what changed, not the size of the tree.
The manifest records, per file, the head at which it was last written.

Two publishers on one ``DIR`` (two ``publish --every`` started by mistake, a round by hand
beside a running loop) take turns: each holds an exclusive lock on ``DIR/.publish.lock``
(``flock(2)``, released by the kernel when the process ends, however it ends) from before it
reads the store until its tree is current and the old ones are pruned. Without it each pruned
the other's half-built tree as if a killed publish had left it, or removed the tree of the same
head the other had just made current. So a half-built tree that is not this process's own is
always a killed one's, and the tree ``current`` names is never removed.

What it does not promise: surviving a power cut mid-publish (files are not fsynced; a
process killed at any moment leaves the previous tree current and a half-built one under a
temporary name that the next publish removes).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from escrutinio.domain.errors import StoreError

CURRENT = "current"
TREES = "trees"
BUILDING = ".building-"
LOCK = ".publish.lock"
WAIT = 60.0
"""Seconds a publish waits for another one on the same ``DIR`` to end (a whole runoff takes a
few) before it gives up, naming ``DIR``."""
POLL = 0.05


@contextmanager
def publishing(root: Path, wait: float = WAIT) -> Iterator[None]:
    """Hold ``DIR``'s publishing lock (see the module's docstring), waiting up to ``wait`` seconds
    for another publisher to finish; refused in one line naming ``DIR`` past that."""
    import fcntl

    current_tree(root)  # a directory of other files is refused before a lock file is put in it
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
                    raise StoreError(
                        f"{root}: another `escrutinio publish` (pid {holder}) is publishing into this directory; "
                        "retry when it is done (two publishers on one directory take turns)"
                    ) from None
                time.sleep(POLL)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


class PublishedTree:
    """One new tree being built in ``root``, from the ``previous`` tree's files where unchanged."""

    def __init__(self, root: Path, name: str, previous: Path | None) -> None:
        self.root = root
        self.name = name
        self.previous = previous
        self.final = root / TREES / name
        self.building = root / TREES / f"{BUILDING}{name}-{os.getpid()}"
        self.written: list[str] = []
        self.linked = 0
        self._folders: set[str] = {""}
        if self.building.exists():
            shutil.rmtree(self.building)
        self.building.mkdir(parents=True)

    def write(self, path: str, data: bytes) -> None:
        """A file written anew (it changed, or there is nothing to keep it from)."""
        with open(self._target(path), "wb") as out:
            out.write(data)
        self.written.append(path)

    def keep(self, path: str) -> bool:
        """The previous tree's file, unchanged: linked, not rewritten. False when there is none."""
        if self.previous is None:
            return False
        source = os.path.join(self.previous, path)
        try:
            os.link(source, self._target(path))
        except FileNotFoundError:
            return False
        except OSError:  # a filesystem without hard links: copy (still not rendered again)
            if not os.path.isfile(source):
                return False
            shutil.copy2(source, self._target(path))
        self.linked += 1
        return True

    def _target(self, path: str) -> str:
        """Where ``path`` goes in the tree being built (its folder made once)."""
        folder, _, _name = path.rpartition("/")
        if folder not in self._folders:
            os.makedirs(os.path.join(self.building, folder), exist_ok=True)
            self._folders.add(folder)
        return os.path.join(self.building, path)

    def commit(self, keep: int) -> Path:
        """Make the tree visible: rename it into place, swap ``current`` to it, prune old trees."""
        if self.final.exists():  # the same head published before: replace it, unless it is current
            if _current_name(self.root) == self.name:  # never: a publish of the current head is "unchanged"
                self.abandon()
                raise StoreError(f"{self.final}: the current tree has this name; it is not replaced")
            _remove(self.root / TREES, self.final)
        os.rename(self.building, self.final)
        link = self.root / f".{CURRENT}-{os.getpid()}"
        if link.is_symlink() or link.exists():
            link.unlink()
        os.symlink(Path(TREES) / self.name, link)
        os.replace(link, self.root / CURRENT)
        prune(self.root, keep)
        return self.final

    def abandon(self) -> None:
        shutil.rmtree(self.building, ignore_errors=True)


def current_tree(root: Path) -> Path | None:
    """The tree ``DIR/current`` points at, or None before the first publish.

    A ``DIR`` holding anything else (a ``current`` that is not our link, files of its own) is
    refused: publishing prunes old trees, and must never delete what it did not write.
    """
    link = root / CURRENT
    if root.exists() and not root.is_dir():
        raise StoreError(f"{root}: not a directory")
    if link.is_symlink():
        target = root / os.readlink(link)
        return target if target.is_dir() else None
    if link.exists():
        raise StoreError(f"{link}: not a link made by `escrutinio publish`; refusing to replace it")
    if root.exists():
        others = [p.name for p in root.iterdir() if p.name not in (TREES, LOCK) and not p.name.startswith(f".{CURRENT}-")]
        if others:
            raise StoreError(
                f"{root}: holds files escrutinio did not publish ({others[0]}, ...): publish into an empty directory"
            )
    return None


def _current_name(root: Path) -> str:
    """The name of the tree ``DIR/current`` points at ("" before the first publish)."""
    link = root / CURRENT
    return Path(os.readlink(link)).name if link.is_symlink() else ""


def _remove(trees: Path, path: Path) -> None:
    """A tree gone whole: renamed away at once (out of any reader's sight), then deleted."""
    hidden = trees / f"{BUILDING}pruned-{path.name}-{os.getpid()}"
    os.rename(path, hidden)
    shutil.rmtree(hidden, ignore_errors=True)


def prune(root: Path, keep: int) -> list[str]:
    """Remove all but the ``keep`` most recently made trees (the current one always stays) and any tree a
    killed publish left half-built (called under ``DIR``'s lock: no other publisher is building
    one). Returns the names removed."""
    trees = root / TREES
    current = _current_name(root)
    # Oldest made first (a directory's time is that of its last entry, the manifest): names sort
    # by head, and another store published into DIR may have a shorter log.
    finished = sorted((p for p in trees.iterdir() if not p.name.startswith(BUILDING)), key=lambda p: p.stat().st_mtime_ns)
    stale = [p for p in trees.iterdir() if p.name.startswith(BUILDING) and not p.name.endswith(f"-{os.getpid()}")]
    old = [p for p in finished[: max(0, len(finished) - max(keep, 1))] if current != p.name]
    for path in old:
        _remove(trees, path)
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
    return [p.name for p in old]
