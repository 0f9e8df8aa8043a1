"""The CLI engine adapters against stub `claude` and `codex` executables that behave like
the real CLIs: prompt on stdin, answer on stdout, complaints on stderr and in exit codes."""

import json
import os
import sys
import time
from pathlib import Path

import pytest

from engines.adapters.base import ReadinessState
from engines.adapters.cli import MAX_STDOUT_BYTES, ClaudeCliAdapter, CodexCliAdapter
from engines.contracts import MomentDraft, PerceptInput
from engines.errors import EngineAuthFailed, EngineError, EngineOutputInvalid, EngineTimeout
from engines.prompts import COGNIZE_SYSTEM

MOMENT = {
    "mind_moment": "Someone hummed near the door; the hum stayed after they left.",
    "sigil_phrase": "lingering hum",
    "sigil_code": "ctx.beginPath();\nctx.arc(50, 50, 30, 0, Math.PI * 2);\nctx.stroke();",
    "circumplex": {"valence": 0.3, "arousal": 0.1},
}
ANSWER = f"Sure.\n```json\n{json.dumps(MOMENT, indent=1)}\n```\nDone."
PERCEPT = "a visitor humming by the door"

# One script plays both CLIs; STUB_MODE picks the behaviour, its own name picks the dialect.
STUB_SOURCE = """\
import json, os, subprocess, sys, time

name = os.path.basename(sys.argv[0])
with open(os.environ["STUB_RECORD"], "w") as record:
    json.dump({"argv": sys.argv[1:], "stdin": sys.stdin.read(), "pid": os.getpid()}, record)
mode = os.environ.get("STUB_MODE", "ok")
if mode == "ok" and name == "claude":
    print(json.dumps({
        "type": "result", "subtype": "success", "is_error": False,
        "result": os.environ["STUB_ANSWER"], "session_id": "stub",
        "usage": {"input_tokens": 31, "output_tokens": 42},
    }))
elif mode == "ok":
    print("codex: thinking...", file=sys.stderr)
    print(os.environ["STUB_ANSWER"])
elif mode == "auth" and name == "claude":
    print(json.dumps({"type": "result", "subtype": "success", "is_error": True,
                      "result": "Invalid API key - Please run /login"}))
    sys.exit(1)
elif mode == "auth":
    print("ERROR: unexpected status 401 Unauthorized: run `codex login`", file=sys.stderr)
    sys.exit(1)
elif mode == "crash":
    print("panicked: the disk is full", file=sys.stderr)
    sys.exit(3)
elif mode == "slow":
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    with open(os.environ["STUB_CHILD_PID"], "w") as pid_file:
        pid_file.write(str(child.pid))
    time.sleep(60)
elif mode == "flood":
    sys.stdout.write("x" * (2 * %(max_stdout)d))
else:
    print("I would rather not answer in JSON today.")
"""

ADAPTERS = {"claude": ClaudeCliAdapter(), "codex": CodexCliAdapter()}


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "bin"
    directory.mkdir()
    for name in ADAPTERS:
        stub = directory / name
        stub.write_text(f"#!{sys.executable}\n" + STUB_SOURCE % {"max_stdout": MAX_STDOUT_BYTES})
        stub.chmod(0o755)
    return directory


@pytest.fixture
def home(tmp_path: Path) -> Path:
    directory = tmp_path / "home"
    directory.mkdir()
    return directory


@pytest.fixture
def env(tmp_path: Path, bin_dir: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    path = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    monkeypatch.setenv("PATH", path)
    return {
        "PATH": path,
        "HOME": str(home),
        "STUB_RECORD": str(tmp_path / "record.json"),
        "STUB_CHILD_PID": str(tmp_path / "child.pid"),
        "STUB_ANSWER": ANSWER,
    }


@pytest.fixture(params=list(ADAPTERS))
def cli(request: pytest.FixtureRequest) -> str:
    return request.param


def cognize(cli: str, env: dict, *, model: str = "", timeout: float = 10.0):
    engine = ADAPTERS[cli].engine(model=model, timeout=timeout, env=env)
    return engine.cognize([PerceptInput(kind="audio", transcript=PERCEPT)], [])


def recorded(env: dict) -> dict:
    return json.loads(Path(env["STUB_RECORD"]).read_text())


def alive(pid: int) -> bool:
    """Whether `pid` still runs; a zombie nobody has reaped yet counts as gone."""
    if Path("/proc/self").exists():
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except FileNotFoundError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def gone_soon(pid: int) -> bool:
    deadline = time.monotonic() + 2.0
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


# --- Calls ----------------------------------------------------------------------------------


def test_success_returns_a_validated_draft(cli, env):
    answer = cognize(cli, env)

    assert isinstance(answer.draft, MomentDraft)
    assert answer.draft.sigil_phrase == "lingering hum"
    # claude reports usage in its JSON result; codex prints only the answer.
    expected_tokens = (31, 42) if cli == "claude" else (None, None)
    assert (answer.input_tokens, answer.output_tokens) == expected_tokens


def test_the_prompt_goes_to_stdin_never_to_argv(cli, env):
    cognize(cli, env)

    record = recorded(env)
    assert PERCEPT in record["stdin"]
    assert not any(PERCEPT in argument for argument in record["argv"])


def test_claude_gets_the_system_prompt_and_json_output_flags(env):
    cognize("claude", env)

    argv = recorded(env)["argv"]
    assert "--print" in argv
    assert argv[argv.index("--output-format") + 1] == "json"
    assert argv[argv.index("--system-prompt") + 1] == COGNIZE_SYSTEM
    assert argv[argv.index("--tools") + 1] == ""
    assert COGNIZE_SYSTEM not in recorded(env)["stdin"]


def test_codex_gets_the_system_prompt_ahead_of_the_prompt(env):
    cognize("codex", env)

    record = recorded(env)
    assert record["argv"][0] == "exec"
    assert record["argv"][-1] == "-"
    assert record["stdin"].startswith(COGNIZE_SYSTEM)
    assert record["stdin"].index(COGNIZE_SYSTEM) < record["stdin"].index(PERCEPT)


def test_the_model_flag_is_passed_only_when_a_model_is_configured(cli, env):
    cognize(cli, env, model="stub-model-1")
    argv = recorded(env)["argv"]
    assert argv[argv.index("--model") + 1] == "stub-model-1"

    cognize(cli, env)
    assert "--model" not in recorded(env)["argv"]


def test_a_timeout_kills_the_cli_and_its_children(cli, env):
    env["STUB_MODE"] = "slow"
    started = time.monotonic()

    with pytest.raises(EngineTimeout):
        cognize(cli, env, timeout=1.0)

    assert time.monotonic() - started < 3.0
    assert gone_soon(recorded(env)["pid"])
    assert gone_soon(int(Path(env["STUB_CHILD_PID"]).read_text()))


def test_an_auth_failure_is_reported_as_such(cli, env):
    env["STUB_MODE"] = "auth"

    with pytest.raises(EngineAuthFailed) as caught:
        cognize(cli, env)

    assert "401" in caught.value.detail or "login" in caught.value.detail


def test_another_failure_is_an_engine_error_with_the_end_of_stderr(cli, env):
    env["STUB_MODE"] = "crash"

    with pytest.raises(EngineError) as caught:
        cognize(cli, env)

    assert type(caught.value) is EngineError
    assert "the disk is full" in caught.value.detail


def test_garbage_is_invalid_output(cli, env):
    env["STUB_MODE"] = "garbage"

    with pytest.raises(EngineOutputInvalid):
        cognize(cli, env)


def test_a_flood_of_output_is_capped(cli, env):
    env["STUB_MODE"] = "flood"

    with pytest.raises(EngineOutputInvalid) as caught:
        cognize(cli, env)

    assert str(MAX_STDOUT_BYTES) in caught.value.detail


# --- Readiness ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cli", "hint"),
    [
        ("claude", "Install the Claude Code CLI, then run `claude setup-token`."),
        ("codex", "Install the Codex CLI, then run `codex login`."),
    ],
)
def test_not_installed_without_the_executable_on_path(cli, hint, tmp_path, home):
    check = ADAPTERS[cli].check({"PATH": str(tmp_path), "HOME": str(home)})

    assert check.state is ReadinessState.NOT_INSTALLED
    assert check.fix_hint == hint


@pytest.mark.parametrize(
    ("cli", "hint"),
    [
        (
            "claude",
            "Run `claude setup-token` on the server (or set CLAUDE_CODE_OAUTH_TOKEN), then reload.",
        ),
        ("codex", "Run `codex login` on the server, then reload."),
    ],
)
def test_needs_setup_without_a_login(cli, hint, env):
    check = ADAPTERS[cli].check(env)

    assert check.state is ReadinessState.NEEDS_SETUP
    assert check.fix_hint == hint


@pytest.mark.parametrize(
    ("cli", "credentials"),
    [("claude", ".claude/.credentials.json"), ("codex", ".codex/auth.json")],
)
def test_ready_with_the_credentials_file_in_home(cli, credentials, env, home):
    (home / credentials).parent.mkdir()
    (home / credentials).write_text("{}")

    assert ADAPTERS[cli].check(env).state is ReadinessState.READY


@pytest.mark.parametrize(
    ("cli", "variable"),
    [
        ("claude", "CLAUDE_CODE_OAUTH_TOKEN"),
        ("claude", "ANTHROPIC_API_KEY"),
        ("codex", "OPENAI_API_KEY"),
        ("codex", "CODEX_API_KEY"),
    ],
)
def test_ready_with_a_key_in_the_environment(cli, variable, env):
    env[variable] = "plainsecretvalue"

    assert ADAPTERS[cli].check(env).state is ReadinessState.READY


def test_a_login_for_one_cli_does_not_count_for_the_other(env, home):
    (home / ".claude").mkdir()
    (home / ".claude" / ".credentials.json").write_text("{}")

    assert ADAPTERS["codex"].check(env).state is ReadinessState.NEEDS_SETUP
