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

What it does not promise: surviving a power cut mid-publish (files are not fsynced; a
process killed at any moment leaves the previous tree current and a half-built one under a
temporary name that the next publish removes).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from escrutinio.domain.errors import StoreError

CURRENT = "current"
TREES = "trees"
BUILDING = ".building-"


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
        if self.final.exists():  # the same head published before but not current: replace it
            shutil.rmtree(self.final)
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
        others = [p.name for p in root.iterdir() if p.name != TREES and not p.name.startswith(f".{CURRENT}-")]
        if others:
            raise StoreError(
                f"{root}: holds files escrutinio did not publish ({others[0]}, ...): publish into an empty directory"
            )
    return None


def prune(root: Path, keep: int) -> list[str]:
    """Remove all but the ``keep`` most recently made trees (the current one always stays) and any tree a
    killed publish left half-built. Returns the names removed."""
    trees = root / TREES
    current = os.readlink(root / CURRENT) if (root / CURRENT).is_symlink() else ""
    # Oldest made first (a directory's time is that of its last entry, the manifest): names sort
    # by head, and another store published into DIR may have a shorter log.
    finished = sorted((p for p in trees.iterdir() if not p.name.startswith(BUILDING)), key=lambda p: p.stat().st_mtime_ns)
    stale = [p for p in trees.iterdir() if p.name.startswith(BUILDING) and not p.name.endswith(f"-{os.getpid()}")]
    old = [p for p in finished[: max(0, len(finished) - max(keep, 1))] if Path(current).name != p.name]
    for path in old:  # gone whole: renamed away at once, then deleted out of any reader's sight
        hidden = trees / f"{BUILDING}pruned-{path.name}-{os.getpid()}"
        os.rename(path, hidden)
        shutil.rmtree(hidden, ignore_errors=True)
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
    return [p.name for p in old]
