"""The output folder: one build at a time, each case's files put in place together.

Three promises meet here:

- **One build at a time per output folder.** A build holds an exclusive
  ``flock`` on ``output/.mend-lock`` from before it reads the manifest until
  after it saves it, so two builds (two terminals, ``mend serve`` beside
  ``mend build``) never interleave their manifests. The operating system
  drops the lock when the process ends, however it ends. A second build
  waits a few seconds, then refuses.
- **A failed case keeps its last good output.** Each file of a case is
  written as it is rendered, to a temporary name beside its target
  (``.plan.html.<pid>.tmp``), so memory holds one file at a time, not a
  case's thousands of recaps. Only when the whole case rendered are the
  temporary files renamed into place; if a render or a write fails, they
  are deleted and every earlier file stays as it was. Each rename is atomic;
  the renames of one case together are not (a crash between two of them
  leaves some files new and some old, each of them whole).
- **No temporary file left behind.** A build that fails removes its own; a
  build that was killed leaves its pid in the lock file, and the next build
  (which then holds the lock, so no other build can be writing) removes
  every file of mend's temporary naming in the output folder.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .errors import BusyError, MendError, WriteError

try:
    import fcntl
except ImportError:  # Windows: no flock; builds there are not serialised
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".mend-lock"
#: How long a second build waits for the first before it refuses, in seconds.
LOCK_WAIT = 5.0
#: mend's temporary names: ``.<name>.<pid>.tmp`` (see :func:`temp_path`).
TEMP_RE = re.compile(r"^\..+\.[0-9]+\.tmp$")


def temp_path(target: Path) -> Path:
    """The temporary name a file is written under before it replaces ``target``."""
    return target.with_name(f".{target.name}.{os.getpid()}.tmp")


def shown(path: Path, root: Path) -> str:
    """A path as the user knows it: relative to the workspace when inside it."""
    try:
        return str(PurePosixPath(path.relative_to(root)))
    except ValueError:
        return str(path)


def write_new_file(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Create ``path`` (which must not exist) holding ``data``; on failure remove it.

    ``os.write`` rather than a buffered file, so that a short write on a
    full disk raises here and not later at close.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    os.close(fd)


def atomic_write(
    path: Path, data: bytes, *, durable: bool = False, mode: int | None = None
) -> None:
    """Write a file so that readers see the old bytes or the new, never half.

    The one way mend replaces a file (outputs, the manifest, a case file
    that ``mend log`` edits, a new workspace's files, a signed PDF, a key).
    The temporary file lives in the same folder, under mend's temporary
    name (so a killed run's leftover is recognised and swept), and
    ``os.replace`` is a rename on one file system, which POSIX makes
    atomic. It is created private, and given its final ``mode`` before the
    rename (default: the mode of the file it replaces, else 0644), so the
    file is never for a moment readable by more people than it should be.
    With ``durable`` the bytes reach the disk before the rename: worth its
    cost for a user's own files, not for outputs a build can remake.
    Raises ``OSError``; callers name the file in their own words.
    """
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o7777
        except OSError:
            mode = 0o644
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)  # this process's own leftover
    write_new_file(tmp, data, 0o600)
    try:
        if durable:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def sweep_temps(out: Path) -> list[Path]:
    """Remove every file of mend's temporary naming under ``out``.

    Only call this while holding the build lock: then no other mend build
    can be writing one of them.
    """
    removed = []
    for folder, _dirs, files in os.walk(out):
        for name in files:
            if TEMP_RE.match(name):
                path = Path(folder, name)
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed.append(path)
    return removed


class BuildLock:
    """An exclusive lock on an output folder, held for one build.

    The lock file holds the holder's pid while it is held and is emptied
    when it is released, so a lock file with a pid in it, found by the next
    build, says that a build was killed and may have left temporary files.
    """

    def __init__(
        self,
        out: Path,
        root: Path,
        *,
        wait: float = LOCK_WAIT,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        self.out, self.root, self.wait, self.on_wait = out, root, wait, on_wait
        self.path = out / LOCK_NAME
        self._fd: int | None = None

    def __enter__(self) -> BuildLock:
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            existed = self.path.exists()
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise WriteError.from_os_error(exc, self.path, shown(self.path, self.root)) from None
        try:
            self._acquire(fd)
            left = _read_holder(fd)
            if not existed or left:  # a first build here, or one that was killed
                sweep_temps(self.out)
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError as exc:
            os.close(fd)
            raise WriteError.from_os_error(exc, self.path, shown(self.path, self.root)) from None
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return self

    def _acquire(self, fd: int) -> None:
        if fcntl is None:
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        holder = _read_holder(fd)
        who = f"another mend build (pid {holder})" if holder.isdigit() else "another mend build"
        where = shown(self.out, self.root)
        if self.on_wait is not None:
            self.on_wait(f"waiting for {who} to finish writing {where}/ ...")
        deadline = time.monotonic() + self.wait
        while time.monotonic() < deadline:
            time.sleep(0.05)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                continue
        raise BusyError(
            f"{who} is still writing {where}/ after {self.wait:g} s; "
            "nothing was built, run the build again when it has finished"
        )

    def __exit__(self, *exc: object) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)  # released cleanly: nothing for the next build to sweep
        os.close(fd)  # closing the last descriptor releases the flock


def _read_holder(fd: int) -> str:
    """The pid a lock file holds: its holder's, or a killed build's; "" when clean."""
    os.lseek(fd, 0, os.SEEK_SET)
    return os.read(fd, 64).decode("ascii", "replace").strip()


@dataclass
class Staging:
    """The new files of one case: written under temporary names as they are
    rendered, renamed into place together by :meth:`commit`.

    Plain names only, so that a worker process can stage and hand the
    result to the main process, which commits under the build lock.
    """

    out: Path
    root: Path  # the workspace, for the names in messages
    staged: list[tuple[str, str]] = field(default_factory=list)  # (rel, temp path)
    unchanged: list[str] = field(default_factory=list)
    #: The folders this staging has resolved, each with its real path: a
    #: case's seven files live in two folders.
    folders: dict[str, str] = field(default_factory=dict, repr=False)

    def _real(self, target: Path) -> Path:
        """``target.resolve()``, resolving its folder once a staging.

        The real path of ``folder/name`` is the folder's real path and the
        name, unless the name is a symbolic link (or a dot name): then it is
        resolved whole, as before.
        """
        name = target.name
        if name in ("", ".", "..") or target.is_symlink():
            return target.resolve()
        folder = str(target.parent)
        real = self.folders.get(folder)
        if real is None:
            real = self.folders[folder] = str(target.parent.resolve())
        return Path(real, name)

    def add(self, rel: PurePosixPath, data: bytes) -> None:
        """Stage one file; a file whose bytes are already in place is left alone."""
        target = self.out / rel
        if not self._real(target).is_relative_to(self.out):  # ids are slugs; belt and braces
            raise MendError(f"refusing to write outside the output folder: {rel}")
        try:
            if (
                target.is_file()
                and target.stat().st_size == len(data)
                and target.read_bytes() == data
            ):
                self.unchanged.append(str(rel))
                return
        except OSError:
            pass
        tmp = temp_path(target)
        try:
            try:
                write_new_file(tmp, data)
            except (FileNotFoundError, NotADirectoryError):
                # The folder is not there (or not a folder): made here, or
                # failing as making it fails, once a folder, not once a file.
                target.parent.mkdir(parents=True, exist_ok=True)
                write_new_file(tmp, data)
        except OSError as exc:
            raise WriteError.from_os_error(exc, target, shown(target, self.root)) from None
        self.staged.append((str(rel), str(tmp)))

    def commit(self) -> list[str]:
        """Rename every staged file into place; the names written, in order."""
        done: list[str] = []
        for rel, tmp in self.staged:
            target = self.out / rel
            try:
                os.replace(tmp, target)
            except OSError as exc:
                self.staged = self.staged[len(done) :]
                self.discard()
                raise WriteError.from_os_error(exc, target, shown(target, self.root)) from None
            done.append(rel)
        self.staged = []
        return done

    def discard(self) -> None:
        """Delete every staged temporary file: the case keeps its old output."""
        for _rel, tmp in self.staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        self.staged = []
