"""A real LiteLLM proxy (PyPI `litellm[proxy]`) on loopback, in front of our simulated provider.

LiteLLM is the gateway platforms most often put between their app and the providers, and
it speaks both protocols we probe through it: OpenAI Chat Completions at `/v1` and
Anthropic Messages at `/v1/messages`. It runs from a venv of its own (`make test` builds
`.venv-litellm`; `AISTATUS_LITELLM` may name another `litellm` executable): its hundreds
of dependencies stay out of ours, and we only ever talk to it over HTTP, as a user does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
MASTER_KEY = "sk-gateway-master-key-for-tests-0123456789"
UPSTREAM_KEY = "upstream-key-the-gateway-holds"  # the simulator takes any
_STARTUP_S = 90.0  # its imports take 5-10 s on an idle machine, far more on a loaded one


@dataclass(frozen=True)
class Route:
    """One model group of the gateway: its name, and where LiteLLM sends it."""

    name: str
    upstream: str  # LiteLLM's provider/model, e.g. "anthropic/claude-test"
    path: str  # the simulator's base path for that protocol: "/anthropic", "/openai/v1"
    fallbacks: tuple[str, ...] = ()  # groups to answer instead when this one fails


def executable() -> str | None:
    """The `litellm` command to run, or None when it is not installed."""
    named = os.environ.get("AISTATUS_LITELLM")
    if named:
        return named if Path(named).exists() or shutil.which(named) else None
    local = ROOT / ".venv-litellm" / "bin" / "litellm"
    return str(local) if local.exists() else None


def config_yaml(routes: Iterable[Route], simulator_url: str) -> str:
    """LiteLLM's proxy config: every route without retries (probes never retry, and a
    gateway's retries would hide the failures under test), fallbacks where asked."""
    lines = ["model_list:"]
    fallbacks = []
    for route in routes:
        lines += [
            f"  - model_name: {route.name}",
            "    litellm_params:",
            f"      model: {route.upstream}",
            f"      api_base: {simulator_url}{route.path}",
            f"      api_key: {UPSTREAM_KEY}",
        ]
        if route.fallbacks:
            targets = ", ".join(f'"{name}"' for name in route.fallbacks)
            fallbacks.append(f'{{"{route.name}": [{targets}]}}')
    lines += ["litellm_settings:", "  num_retries: 0", "router_settings:", "  num_retries: 0"]
    if fallbacks:
        lines.append(f"  fallbacks: [{', '.join(fallbacks)}]")
    return "\n".join(lines) + "\n"


class LiteLLM:
    """`litellm --config` as a child process; `url` once it answers its health check."""

    def __init__(self, command: str, config: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "LITELLM_MASTER_KEY": MASTER_KEY,
            # No internet here: the model price map ships inside the package.
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_TELEMETRY": "False",
        }
        self._log = log.open("wb")
        self._process = subprocess.Popen(
            [command, "--config", str(config), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        self._log_path = log

    def wait_ready(self) -> None:
        deadline = time.monotonic() + _STARTUP_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"litellm exited at start:\n{self._tail()}")
            try:
                if httpx.get(f"{self.url}/health/liveliness", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)  # polling a starting process, not waiting for time to pass
        raise RuntimeError(f"litellm did not answer within {_STARTUP_S:.0f} s:\n{self._tail()}")

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()

    def _tail(self) -> str:
        self._log.flush()
        return self._log_path.read_text(errors="replace")[-3000:]
