"""The Claude Code and Codex CLIs on this server, run non-interactively under their own login.

The prompt travels on stdin, never in argv, where any user of the machine could read it
with `ps`. Each call runs in a fresh empty directory with the CLI's tools off (claude) or
read-only (codex), so text from visitors cannot steer an agent into this site's files.
"""

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, ClassVar

from engines.adapters.base import READY, Check, Completion, Engine, ReadinessState
from engines.adapters.prompted import PromptedEngine
from engines.errors import (
    EngineAuthFailed,
    EngineError,
    EngineNotReady,
    EngineOutputInvalid,
    EngineRateLimited,
    EngineTimeout,
)
from engines.schemas import DraftSchema

MAX_STDOUT_BYTES = 1_000_000
STDERR_TAIL_BYTES = 4_000
# Enough of a failure's last words to tell what went wrong, short of EngineError's cap.
FAILURE_TAIL_CHARS = 400
# After the CLI exits, how long its pipes may stay open (held by something it started).
PIPE_GRACE_S = 1.0
_READ_CHUNK = 65_536

# Matched against the end of a failed run's output, where the CLIs print their complaint.
_FAILURE_MARKERS: tuple[tuple[re.Pattern[str], type[EngineError]], ...] = (
    (
        re.compile(
            r"log ?in|unauthori[sz]ed|\b40[13]\b|authenticat|invalid api key|setup-token",
            re.IGNORECASE,
        ),
        EngineAuthFailed,
    ),
    (re.compile(r"rate.?limit|\b429\b|usage limit", re.IGNORECASE), EngineRateLimited),
)


def _failure(output: str) -> EngineError:
    tail = output.strip()[-FAILURE_TAIL_CHARS:] or "the CLI failed without saying why"
    for pattern, error_type in _FAILURE_MARKERS:
        if pattern.search(tail):
            return error_type(tail)
    return EngineError(tail)


def _home(env: Mapping[str, str]) -> Path:
    return Path(env.get("HOME") or os.path.expanduser("~"))


class _Capture(threading.Thread):
    """Drains one of the CLI's pipes so it never blocks writing, keeping at most `limit`
    bytes: the head for stdout (more than that is an invalid answer anyway), the tail for
    stderr (where the reason for a failure is)."""

    def __init__(self, pipe: IO[bytes], limit: int, *, keep_tail: bool) -> None:
        super().__init__(daemon=True)
        self.pipe = pipe
        self.limit = limit
        self.keep_tail = keep_tail
        self.data = bytearray()
        self.overflowed = False

    def run(self) -> None:
        with self.pipe:
            while chunk := os.read(self.pipe.fileno(), _READ_CHUNK):
                self.data += chunk
                excess = len(self.data) - self.limit
                if excess > 0:
                    self.overflowed = True
                    if self.keep_tail:
                        del self.data[:excess]
                    else:
                        del self.data[self.limit :]

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


def _feed(pipe: IO[bytes], data: bytes) -> None:
    try:
        with pipe:
            pipe.write(data)
    except OSError:
        pass  # the CLI exited or closed stdin early; its exit status tells why


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the CLI and whatever it started: it leads its own session, so its process group
    holds its children too."""
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@dataclass(frozen=True)
class _Run:
    returncode: int
    stdout: str
    stderr_tail: str


def _run(argv: list[str], stdin: str, *, env: Mapping[str, str], timeout: float) -> _Run:
    with tempfile.TemporaryDirectory(prefix="dreams-cli-") as workdir:
        try:
            process = subprocess.Popen(  # noqa: S603 - argv is ours; the prompt goes to stdin
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=workdir,
                env=dict(env),
                start_new_session=True,
            )
        except OSError as error:
            raise EngineError(f"the CLI could not be started: {error}") from None
        assert process.stdin and process.stdout and process.stderr
        stdout = _Capture(process.stdout, MAX_STDOUT_BYTES, keep_tail=False)
        stderr = _Capture(process.stderr, STDERR_TAIL_BYTES, keep_tail=True)
        feeder = threading.Thread(target=_feed, args=(process.stdin, stdin.encode()), daemon=True)
        for thread in (stdout, stderr, feeder):
            thread.start()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            raise EngineTimeout(
                f"no answer within {timeout:g} s; the CLI and its children were stopped"
            ) from None
        for reader in (stdout, stderr):
            reader.join(PIPE_GRACE_S)
        if stdout.is_alive() or stderr.is_alive():
            # Something the CLI started still holds its output open; it goes too.
            _kill_group(process)
            for reader in (stdout, stderr):
                reader.join(PIPE_GRACE_S)
    if stdout.overflowed:
        raise EngineOutputInvalid(f"the CLI wrote more than {MAX_STDOUT_BYTES} bytes")
    return _Run(process.returncode, stdout.text(), stderr.text())


class _CliAdapter(ABC):
    executable_name: ClassVar[str]
    install_hint: ClassVar[str]
    login_hint: ClassVar[str]

    @abstractmethod
    def logged_in(self, env: Mapping[str, str]) -> bool:
        """Whether the CLI has credentials: a key in the environment or its login file."""

    @abstractmethod
    def argv(self, executable: str, *, system: str, model: str) -> list[str]: ...

    def stdin(self, *, system: str, prompt: str) -> str:
        return prompt

    def completion(self, stdout: str) -> Completion:
        return Completion(stdout)

    def failure_text(self, stdout: str) -> str:
        """What a failed run said on stdout, for when it said nothing on stderr."""
        return stdout

    def _executable(self, env: Mapping[str, str]) -> str | None:
        return shutil.which(self.executable_name, path=env.get("PATH"))

    def check(self, env: Mapping[str, str]) -> Check:
        if self._executable(env) is None:
            return Check(ReadinessState.NOT_INSTALLED, self.install_hint)
        try:
            logged_in = self.logged_in(env)
        except OSError:  # an unreadable home directory is as good as no login
            logged_in = False
        return READY if logged_in else Check(ReadinessState.NEEDS_SETUP, self.login_hint)

    def engine(self, *, model: str, timeout: float, env: Mapping[str, str]) -> Engine:
        executable = self._executable(env)
        if executable is None:
            raise EngineNotReady(message=f"{EngineNotReady.default_message} {self.install_hint}")
        client = CliClient(cli=self, executable=executable, model=model, env=dict(env))
        return PromptedEngine(client=client, timeout=timeout)


@dataclass(frozen=True)
class CliClient:
    cli: _CliAdapter
    executable: str
    model: str
    # The server's environment, secrets included: the CLI may need them, logs may not.
    env: Mapping[str, str] = field(repr=False)

    def complete(
        self, *, system: str, prompt: str, schema: DraftSchema, timeout: float
    ) -> Completion:
        # The CLIs get no schema: the answer's shape travels in the prompt, and the
        # tolerant parser reads what comes back.
        run = _run(
            self.cli.argv(self.executable, system=system, model=self.model),
            self.cli.stdin(system=system, prompt=prompt),
            env=self.env,
            timeout=timeout,
        )
        if run.returncode != 0:
            raise _failure(run.stderr_tail.strip() or self.cli.failure_text(run.stdout))
        return self.cli.completion(run.stdout)


def _claude_result(stdout: str) -> dict | None:
    """The result object `claude -p --output-format json` prints, if that is what we got."""
    try:
        data = json.loads(stdout)
    except ValueError:
        return None
    if isinstance(data, list):  # with --verbose, older versions print every message
        data = next(
            (item for item in reversed(data) if isinstance(item, dict) and "result" in item),
            None,
        )
    if isinstance(data, dict) and isinstance(data.get("result"), str):
        return data
    return None


def _count(usage: object, key: str) -> int | None:
    value = usage.get(key) if isinstance(usage, dict) else None
    return value if isinstance(value, int) else None


class ClaudeCliAdapter(_CliAdapter):
    executable_name = "claude"
    install_hint = "Install the Claude Code CLI, then run `claude setup-token`."
    login_hint = (
        "Run `claude setup-token` on the server (or set CLAUDE_CODE_OAUTH_TOKEN), then reload."
    )

    def logged_in(self, env: Mapping[str, str]) -> bool:
        if env.get("CLAUDE_CODE_OAUTH_TOKEN") or env.get("ANTHROPIC_API_KEY"):
            return True
        config_dir = env.get("CLAUDE_CONFIG_DIR") or _home(env) / ".claude"
        return (Path(config_dir) / ".credentials.json").is_file()

    def argv(self, executable: str, *, system: str, model: str) -> list[str]:
        return [
            executable,
            "--print",
            "--output-format",
            "json",
            # Replaces Claude Code's coding-agent prompt, which would compete with ours.
            "--system-prompt",
            system,
            # No tools at all: the answer is text, and visitors' words must not run anything.
            "--tools",
            "",
            # Visitors' words are not kept in ~/.claude transcripts.
            "--no-session-persistence",
            *(["--model", model] if model else []),
        ]

    def completion(self, stdout: str) -> Completion:
        result = _claude_result(stdout)
        if result is None:
            return Completion(stdout)
        if result.get("is_error"):
            raise _failure(result["result"])
        usage = result.get("usage")
        return Completion(
            result["result"], _count(usage, "input_tokens"), _count(usage, "output_tokens")
        )

    def failure_text(self, stdout: str) -> str:
        result = _claude_result(stdout)
        return result["result"] if result else stdout


class CodexCliAdapter(_CliAdapter):
    executable_name = "codex"
    install_hint = "Install the Codex CLI, then run `codex login`."
    login_hint = "Run `codex login` on the server, then reload."

    def logged_in(self, env: Mapping[str, str]) -> bool:
        if env.get("OPENAI_API_KEY") or env.get("CODEX_API_KEY"):
            return True
        codex_home = env.get("CODEX_HOME") or _home(env) / ".codex"
        return (Path(codex_home) / "auth.json").is_file()

    def argv(self, executable: str, *, system: str, model: str) -> list[str]:
        return [
            executable,
            "exec",
            # Each call runs in an empty scratch directory, which is no git repository.
            "--skip-git-repo-check",
            "--sandbox",
            "read-only",
            # Visitors' words are not kept in ~/.codex session files.
            "--ephemeral",
            "--color",
            "never",
            *(["--model", model] if model else []),
            "-",  # the prompt is on stdin
        ]

    def stdin(self, *, system: str, prompt: str) -> str:
        # codex exec has no system prompt flag; the instructions lead the prompt instead.
        return f"{system}\n\n{prompt}"
