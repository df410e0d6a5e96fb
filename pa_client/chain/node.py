"""The embedded local chain: an Anvil process whose state is kept in the data folder.

Anvil loads `<data_dir>/node/state.json` at start, saves it every few seconds and again when it
receives SIGTERM, so the ledger survives `pa node stop` / `pa node start`. The process runs
detached (its own session) so that it outlives the command that started it; `node.json` records
its pid and port for the next command.

A save can be cut by a crash, or catch the accounts a block ahead of the blocks (node_state.py), and
Anvil loads the latter without a word. So the state file is checked before each start; the keeper
(node_keeper.py, a small process beside Anvil) copies each save that checks out into a ring of
snapshots (`node/snapshots/`), as do `start` and `stop`; and a start on a file that does not check
out sets it aside (`state.json.rejected`) and starts from the newest snapshot that does, saying so.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import shutil
import signal
import socket
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pa_client.chain import node_state
from pa_client.chain.transport import ONCE, RequestRefusedError, Transport
from pa_client.errors import ChainError, NodeError
from pa_client.settings import Settings

__all__ = [
    "DEV_MNEMONIC",
    "EmbeddedNode",
    "NodeStatus",
    "free_port",
    "local_rpc",
    "rpc_url_for",
]

log = logging.getLogger(__name__)

# Anvil's default mnemonic, passed explicitly so the development accounts never change.
DEV_MNEMONIC = "test test test test test test test test test test test junk"

START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
_POLL = 0.05


@dataclass(frozen=True)
class NodeStatus:
    """What `pa node status` shows. Chain fields are None when the node is down or silent."""

    running: bool
    pid: int | None
    port: int | None
    rpc_url: str | None
    chain_id: int | None
    block_number: int | None
    state_file: Path
    state_size: int | None
    """Size of the state file in bytes; None when there is none yet."""
    log_file: Path
    persists: bool = True
    """Whether the running node keeps its chain in the state file (as it was started: PA_NODE_PERSIST)."""
    snapshots: tuple[int, ...] = ()
    """The blocks of the consistent snapshots kept of the state file, newest first."""


class EmbeddedNode:
    """Start, stop and inspect the Anvil node of one data folder."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.dir = settings.node_dir
        self.state_file = self.dir / "state.json"
        self.log_file = self.dir / "anvil.log"
        self.info_file = self.dir / "node.json"
        self.config_file = self.dir / "anvil-config.json"
        self.snapshot_dir = self.dir / "snapshots"
        self.rejected_file = self.dir / "state.json.rejected"
        self.keeper_log = self.dir / "keeper.log"

    # -- public API -------------------------------------------------------------------------------

    def start(self, genesis_time: int | None = None) -> NodeStatus:
        """Start the node unless it is already running; return its status once it answers.

        `genesis_time` (Unix seconds) dates a new chain's first block, and its clock runs on from there
        (the demo records a past season in its own time); a chain loaded from its state keeps its own."""
        with self._lock():
            info = self._live_info(cleanup=True)
            if info is not None:
                log.info("node already running at %s (pid %s)", _url(info["port"]), info["pid"])
                wanted = self.settings.node_port
                if wanted is not None and wanted != info["port"]:
                    log.warning(
                        "the node already runs on port %s, not %s; stop it first to change port",
                        info["port"],
                        wanted,
                    )
                return self.status()
            binary = self._binary()
            port = self.settings.node_port or free_port()
            if not _port_is_free(port):
                raise _port_in_use(port)
            if self.settings.node_persist:
                self._prepare_state_file()
            pid, log_offset = self._spawn(binary, port, genesis_time)
            self._write_info(pid, port, binary)
            try:
                self._wait_ready(pid, port, log_offset)
            except BaseException:
                _terminate(pid, timeout=2.0)
                self.info_file.unlink(missing_ok=True)
                raise
            if self.settings.node_persist:
                self._write_info(pid, port, binary, keeper=self._spawn_keeper(pid))
        status = self.status()
        log.info("node started at %s (pid %s)", status.rpc_url, status.pid)
        self._warn_on_gas_limit(port)
        return status

    def stop(self, timeout: float = STOP_TIMEOUT) -> bool:
        """Stop the node, letting Anvil save its state; False when it was not running."""
        with self._lock():
            info = self._live_info(cleanup=True)
            if info is None:
                return False
            pid = int(info["pid"])
            log.info("stopping node (pid %s)", pid)
            self._end_keeper(info.get("keeper"))
            if not _terminate(pid, timeout=timeout):
                log.warning(
                    "the node did not stop within %.0f s and was killed; changes made since its "
                    "last periodic save (every %s s) are lost",
                    timeout,
                    self.settings.node_state_interval,
                )
            if info.get("persist", True):
                self._snapshot_last_save()
            self.info_file.unlink(missing_ok=True)
            return True

    def status(self) -> NodeStatus:
        """The node's process and chain state; never starts it."""
        info = self._live_info(cleanup=False)
        size = self.state_file.stat().st_size if self.state_file.exists() else None
        kept = tuple(block for block, _ in node_state.snapshots(self.snapshot_dir))
        if info is None:
            return NodeStatus(
                running=False,
                pid=None,
                port=None,
                rpc_url=None,
                chain_id=None,
                block_number=None,
                state_file=self.state_file,
                state_size=size,
                log_file=self.log_file,
                snapshots=kept,
            )
        url = _url(info["port"])
        chain_id: int | None = None
        block: int | None = None
        try:
            chain_id = int(local_rpc(url, "eth_chainId"), 16)
            block = int(local_rpc(url, "eth_blockNumber"), 16)
        except NodeError as exc:
            log.debug("node process alive but not answering: %s", exc)
        return NodeStatus(
            running=True,
            pid=int(info["pid"]),
            port=int(info["port"]),
            rpc_url=url,
            chain_id=chain_id,
            block_number=block,
            state_file=self.state_file,
            state_size=size,
            log_file=self.log_file,
            persists=bool(info.get("persist", True)),
            snapshots=kept,
        )

    def running_url(self) -> str | None:
        """The RPC URL of the node running now (its node.json), or None; never starts it."""
        info = self._live_info(cleanup=False)
        return None if info is None else _url(info["port"])

    def ensure_running(self, genesis_time: int | None = None) -> str:
        """The node's RPC URL, starting the node first if needed (`start`'s `genesis_time`)."""
        info = self._live_info(cleanup=False)
        if info is not None:
            return _url(info["port"])
        url = self.start(genesis_time).rpc_url
        assert url is not None  # start() either answers with a URL or raises
        return url

    # -- internals --------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        # Two commands starting the node on demand at once must not launch two Anvils on one state.
        self.dir.mkdir(parents=True, exist_ok=True)
        with (self.dir / "lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _live_info(self, *, cleanup: bool) -> dict[str, Any] | None:
        """node.json if its process is our running Anvil; a stale file is removed if `cleanup`."""
        try:
            info = json.loads(self.info_file.read_text(encoding="utf-8"))
            pid, port = int(info["pid"]), int(info["port"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable %s: %s", self.info_file, exc)
            if cleanup:
                self.info_file.unlink(missing_ok=True)
            return None
        if _alive(pid) and self._is_our_anvil(pid):
            return {**info, "pid": pid, "port": port}
        log.info("node.json is stale (process %s is gone); the node is not running", pid)
        if cleanup:
            self._end_keeper(info.get("keeper"))
            self.info_file.unlink(missing_ok=True)
        return None

    def _is_our_anvil(self, pid: int) -> bool:
        # Guards against a reused pid: never signal a process that is not this folder's Anvil.
        try:
            raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        except FileNotFoundError:
            return not Path("/proc/self").exists()  # no procfs (macOS): trust the pid
        except OSError:
            return True
        args = raw.split(b"\0")  # a node started with or without PA_NODE_PERSIST is ours alike
        return str(self.state_file).encode() in args or str(self.config_file).encode() in args

    def _binary(self) -> Path:
        path = self.settings.anvil_path
        found: str | None
        if len(path.parts) == 1 and not path.exists():
            found = shutil.which(str(path))
        else:
            found = str(path) if path.is_file() and os.access(path, os.X_OK) else None
        if found is None:
            raise NodeError(
                f"anvil not found at '{path}': run `make setup` (or `npm ci`) in the project, "
                "or set PA_ANVIL to the anvil binary"
            )
        return Path(found).absolute()

    def _prepare_state_file(self) -> None:
        """Checks the state file before Anvil loads it. One whose accounts match its blocks is kept in
        the ring of snapshots; one that is damaged, or whose accounts do not match its blocks, is set
        aside and the newest consistent snapshot takes its place, with one warning saying which."""
        if not self.state_file.exists():
            return
        genesis = None
        try:
            check = node_state.check_state_file(self.state_file)
        except node_state.StateLayoutError as exc:
            # Another Anvil version: better to start unchecked than to roll back a good chain.
            log.warning(
                "node state file %s is not laid out as this client knows (%s): it is loaded unchecked and "
                "no snapshot of it is kept",
                self.state_file,
                exc,
            )
            return
        except node_state.StateDamagedError as exc:
            problem, best = f"is damaged ({exc})", None
        except OSError as exc:
            raise NodeError(f"cannot read node state file {self.state_file}: {exc.strerror or exc}") from None
        else:
            if check.consistent:
                self._keep(check, drop_newer=True)
                return
            problem, best, genesis = (
                f"does not match its blocks ({check.problems[0]})",
                check.block,
                check.genesis,
            )
        self._restore_snapshot(problem, best, genesis)

    def _restore_snapshot(self, problem: str, best: int | None, genesis: str | None) -> None:
        """Sets the state file aside and puts the newest consistent snapshot of its chain in its place."""
        legacy = self.state_file.with_name(self.state_file.name + ".bak")  # kept by earlier versions
        candidates = [path for _, path in node_state.snapshots(self.snapshot_dir)]
        for path in [*candidates, *([legacy] if legacy.exists() else [])]:
            try:
                check = node_state.check_state_file(path)
            except (node_state.StateDamagedError, node_state.StateLayoutError, OSError) as exc:
                log.info("snapshot %s is not usable: %s", path, exc)
                check = None
            usable = check is not None and check.consistent and genesis in (None, check.genesis)
            if check is None or not usable:
                if path != legacy:
                    path.unlink(missing_ok=True)  # never to be tried again
                continue
            temporary = self.state_file.with_name(self.state_file.name + ".tmp")
            try:
                shutil.copyfile(path, temporary)
                self.state_file.replace(self.rejected_file)
                temporary.replace(self.state_file)
            except OSError as exc:
                raise NodeError(
                    f"node state file {self.state_file} {problem}, and its snapshot {path} cannot be put in "
                    f"its place: {exc.strerror or exc}"
                ) from None
            gone = (
                f"; blocks {check.block + 1:,} to {best:,} are gone"
                if best is not None and best > check.block
                else ""
            )
            log.warning(
                "node state file %s %s: started from snapshot %s (block %s)%s; the file is kept as %s; "
                "run the submissions again to record what the chain lacks",
                self.state_file,
                problem,
                path,
                f"{check.block:,}",
                gone,
                self.rejected_file,
            )
            return
        raise NodeError(
            f"node state file {self.state_file} {problem} and no consistent snapshot of it is kept in "
            f"{self.snapshot_dir}; move it away to start an empty chain"
        )

    def _snapshot_last_save(self) -> None:
        """After Anvil's save on SIGTERM: keeps it in the ring if it checks out (the node is down, so it is
        checked in place)."""
        try:
            check = node_state.check_state_file(self.state_file)
        except (node_state.StateDamagedError, node_state.StateLayoutError, OSError) as exc:
            log.info("the last save of the node is not kept as a snapshot: %s", exc)
            return
        if not check.consistent:
            # The next start will set it aside; say so now, while the cause (a busy node) is fresh.
            log.warning(
                "the node's last save does not match its blocks (%s); the next start goes back to the "
                "newest consistent snapshot",
                check.problems[0],
            )
            return
        self._keep(check)

    def _keep(self, check: node_state.StateCheck, *, drop_newer: bool = False) -> None:
        try:
            node_state.keep_snapshot(self.state_file, self.snapshot_dir, checked=check, drop_newer=drop_newer)
        except OSError as exc:  # a full disk must not stop the node; the ring just lacks this save
            log.warning("no snapshot kept of the node's state (%s)", exc.strerror or exc)

    def _spawn_keeper(self, anvil_pid: int) -> int | None:
        """Launches the keeper (node_keeper.py) beside Anvil, detached like it; None if it cannot run
        (the node then works as before, without snapshots of its periodic saves)."""
        argv = [sys.executable, "-m", "pa_client.chain.node_keeper", str(self.dir), str(anvil_pid)]
        try:
            return _spawn_detached(sys.executable, argv, self.keeper_log)
        except OSError as exc:
            log.warning("the node's keeper cannot run (%s): its periodic saves are not snapshotted", exc)
            return None

    def _end_keeper(self, pid: Any) -> None:
        """Stops the keeper of a node that stopped or died, and reaps it when it is our child: the state
        it would look at is now `start`'s or `stop`'s to judge."""
        if not isinstance(pid, int):
            return
        child = _parent_of(pid) == os.getpid()
        if self._is_our_keeper(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        elif not child or _process_state(pid) != "Z":
            return  # gone, or not ours to touch (a reused pid)
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            if child:
                try:
                    if os.waitpid(pid, os.WNOHANG)[0] == pid:
                        return
                except ChildProcessError:
                    return
            elif not self._is_our_keeper(pid):
                return
            time.sleep(_POLL / 5)

    def _is_our_keeper(self, pid: int) -> bool:
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except FileNotFoundError:
            return not Path("/proc/self").exists() and _exists(pid)
        except OSError:
            return False
        return b"pa_client.chain.node_keeper" in args and str(self.dir).encode() in args

    def _argv(self, binary: Path, port: int, genesis_time: int | None = None) -> list[str]:
        s = self.settings
        argv = [
            str(binary),
            "--host", "127.0.0.1",
            "--port", str(port),
            "--chain-id", str(s.chain_id),
            "--gas-limit", str(s.block_gas_limit),
            "--accounts", "10",
            "--mnemonic", DEV_MNEMONIC,
            "--color", "never",
            # Submission simulates a whole file in one eth_simulateV1 request (tens of MB for
            # 10 000 entries); Anvil's default 2 MB body limit would split it.
            "--no-request-size-limit",
        ]  # fmt: skip
        if s.node_persist:
            argv += ["--state", str(self.state_file), "--state-interval", str(s.node_state_interval)]
        else:
            # Anvil's own summary (accounts, chain id); its path also marks the process as this
            # folder's node (_is_our_anvil), as the state file's does otherwise.
            argv += ["--config-out", str(self.config_file)]
        if s.node_history:
            argv.append("--preserve-historical-states")
        else:
            # Anvil otherwise keeps hundreds of historical states in memory: about 30 KB per record
            # (7.8 GB at 250 000 records); 16 states, 14 KB; none, 8 KB. Calls at blocks older than
            # the states kept fail (an audit --at-block that far back then says so).
            # (`--prune-history 0` stops Anvil mining; the bare flag keeps none.)
            argv += ["--prune-history", *([str(s.node_recent_states)] if s.node_recent_states else [])]
        if genesis_time is not None and not (s.node_persist and self.state_file.exists()):
            argv += ["--timestamp", str(genesis_time)]
        return argv

    def _spawn(self, binary: Path, port: int, genesis_time: int | None = None) -> tuple[int, int]:
        """Launch Anvil detached; return its pid and where this run's output starts in the log."""
        argv = self._argv(binary, port, genesis_time)
        log.debug("launching %s", " ".join(argv))
        with self.log_file.open("ab") as handle:
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            handle.write(f"--- {stamp} pa node start: port {port}\n".encode())
            offset = handle.tell()
        try:
            pid = _spawn_detached(str(binary), argv, self.log_file)
        except OSError as exc:
            raise NodeError(f"cannot run anvil at '{binary}': {exc.strerror or exc}") from None
        return pid, offset

    def _write_info(self, pid: int, port: int, binary: Path, keeper: int | None = None) -> None:
        info = {
            "pid": pid,
            "keeper": keeper,
            "port": port,
            "chain_id": self.settings.chain_id,
            "state_file": str(self.state_file),
            "anvil": str(binary),
            "persist": self.settings.node_persist,
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        tmp = self.info_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        tmp.replace(self.info_file)

    def _wait_ready(self, pid: int, port: int, log_offset: int) -> None:
        url = _url(port)
        started = time.monotonic()
        deadline = started + START_TIMEOUT
        while True:
            exit_code = _exit_code(pid)
            if exit_code is not None:
                tail = self._log_tail(log_offset)
                if "address already in use" in tail.lower():
                    raise _port_in_use(port)
                raise NodeError(
                    f"anvil stopped while starting (exit code {exit_code}): {tail or 'no output'}"
                    f" (log: {self.log_file})"
                )
            # Probe only once Anvil says it listens: before that, whatever else holds the port
            # could answer (or hang). Probe anyway after a while in case that line changes.
            listening = f"Listening on 127.0.0.1:{port}" in self._log_tail(log_offset, lines=50)
            if listening or time.monotonic() - started > 3.0:
                with contextlib.suppress(NodeError):
                    local_rpc(url, "eth_chainId", timeout=1.0)
                    if _exit_code(pid) is None:
                        return
            if time.monotonic() > deadline:
                tail = self._log_tail(log_offset)
                raise NodeError(
                    f"anvil did not answer on {url} within {START_TIMEOUT:.0f} s"
                    f" ({tail or 'no output'}; log: {self.log_file})"
                )
            time.sleep(_POLL)

    def _log_tail(self, offset: int, lines: int = 3) -> str:
        """The last lines this run wrote to the log, joined on one line."""
        try:
            with self.log_file.open("rb") as handle:
                handle.seek(offset)
                text = handle.read().decode("utf-8", "replace")
        except OSError:
            return ""
        kept = [line.strip() for line in text.splitlines() if line.strip()]
        return " | ".join(kept[-lines:])

    def _warn_on_gas_limit(self, port: int) -> None:
        try:
            block = local_rpc(_url(port), "eth_getBlockByNumber", ["latest", False])
            gas_limit = int(block["gasLimit"], 16)
        except (NodeError, KeyError, TypeError, ValueError):
            return
        if gas_limit != self.settings.block_gas_limit:
            # Anvil restores the block environment from the state file over --gas-limit.
            log.warning(
                "the node's block gas limit is %s, not the configured %s: it is fixed when the "
                "state file is first created",
                f"{gas_limit:,}",
                f"{self.settings.block_gas_limit:,}",
            )


def rpc_url_for(settings: Settings) -> str:
    """The configured RPC URL, else the embedded node's (started on demand)."""
    if settings.rpc_url is not None:
        return settings.rpc_url
    return EmbeddedNode(settings).ensure_running()


def _spawn_detached(program: str, argv: list[str], log_file: Path) -> int:
    """Starts `argv` in a session of its own (detached from the terminal's signals), stdin from
    /dev/null, stdout and stderr appended to `log_file`; its pid. posix_spawn rather than Popen: no
    Popen object outlives the call to warn "subprocess is still running"."""
    out = os.open(log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    try:
        return os.posix_spawn(
            program,
            argv,
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, null, 0),
                (os.POSIX_SPAWN_DUP2, out, 1),
                (os.POSIX_SPAWN_DUP2, out, 2),
            ],
            setsid=True,
        )
    finally:
        os.close(out)
        os.close(null)


def local_rpc(url: str, method: str, params: Sequence[Any] = (), timeout: float = 3.0) -> Any:
    """One JSON-RPC call to a local node, tried once (a caller polling a starting node decides when to
    ask again), through the client's transport without web3 (quick to import), proxies bypassed."""
    transport = Transport(url, timeout=timeout, retry=ONCE, trust_env=False)
    try:
        return transport.request(method, params, what=method)
    except RequestRefusedError as exc:
        raise NodeError(f"{url} refused {exc}") from None
    except ChainError as exc:
        raise NodeError(f"no answer from {url} to {exc}") from None
    finally:
        transport.close()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR as servers set it: TIME_WAIT leftovers of a previous node must not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise NodeError(f"cannot use port {port}: {exc.strerror or exc}") from None
    return True


def _port_in_use(port: int) -> NodeError:
    return NodeError(f"port {port} is in use by another process; choose another with --port or PA_NODE_PORT")


def _url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def _exit_code(pid: int) -> int | None:
    """The exit code if the process has ended, else None (reaps it when it is our child)."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        # Not our child (started by an earlier command): it can only be observed, not reaped.
        return None if _exists(pid) else -1
    if done == pid:
        return os.waitstatus_to_exitcode(status)
    return None


def _stat_fields(pid: int) -> list[str]:
    """/proc/PID/stat after the command name: the state, then the parent's pid, …; [] without it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return []


def _process_state(pid: int) -> str | None:
    fields = _stat_fields(pid)
    return fields[0] if fields else None


def _parent_of(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[1]) if len(fields) > 1 else None


def _alive(pid: int) -> bool:
    return _exit_code(pid) is None


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, belongs to another user
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    # A zombie whose parent has not reaped it yet has finished all the same.
    return stat.rpartition(")")[2].split()[0] != "Z"


def _terminate(pid: int, timeout: float) -> bool:
    """SIGTERM (Anvil saves its state), then SIGKILL after `timeout`; True if it stopped in time."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(_POLL)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    kill_deadline = time.monotonic() + 5.0
    while _alive(pid) and time.monotonic() < kill_deadline:
        time.sleep(_POLL)
    return False
