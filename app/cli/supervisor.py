"""run-all's supervisor: child processes in the foreground; one that dies is started again, alone.

Development only (production runs each process under a real supervisor, see README). A child that
keeps dying soon after its start waits longer each time, so a broken one (a port in use, a syntax
error) does not spin; one that ran for a while before dying is restarted after a second.
"""

import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import click
from redis.exceptions import RedisError

RESTART_DELAYS = (1, 2, 4, 8, 15, 30)  # seconds, growing while a child keeps dying young
RAN_LONG_ENOUGH = 60  # seconds; a child that lived this long starts again after the first delay
POLL = 0.5
READY_CHECK_EVERY = 1.0  # seconds between "is everything up?" checks
READY_GIVE_UP_AFTER = 300  # seconds; a stack that is not up by then has said why in its own lines


@dataclass
class Child:
    argv: list[str]
    process: subprocess.Popen
    started_at: float
    quick_deaths: int = 0
    restart_at: float | None = None


class Supervisor:
    def __init__(self, commands: dict[str, list[str]], env: dict[str, str]):
        self.env = env
        self.children = {name: self._start(argv) for name, argv in commands.items()}

    def _start(self, argv: list[str], quick_deaths: int = 0) -> Child:
        return Child(argv, subprocess.Popen(argv, env=self.env), time.monotonic(), quick_deaths)

    def run(self, stopped: threading.Event) -> None:
        """Watch the children until ``stopped`` is set, then stop them all."""
        while not stopped.wait(POLL):
            for name, child in self.children.items():
                self._look_after(name, child)
        self.stop_all()

    def _look_after(self, name: str, child: Child) -> None:
        if child.process.poll() is None:
            return
        now = time.monotonic()
        if child.restart_at is None:
            quick = now - child.started_at < RAN_LONG_ENOUGH
            child.quick_deaths = child.quick_deaths + 1 if quick else 1
            delay = RESTART_DELAYS[min(child.quick_deaths, len(RESTART_DELAYS)) - 1]
            child.restart_at = now + delay
            click.echo(f"{name} exited with {child.process.returncode}; starting it again in {delay} s", err=True)
        elif now >= child.restart_at:
            self.children[name] = self._start(child.argv, child.quick_deaths)

    def stop_all(self) -> None:
        for child in self.children.values():
            if child.process.poll() is None:
                child.process.terminate()
        for child in self.children.values():
            try:
                child.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()


def announce_when_ready(ready: Callable[[], bool], lines: list[str], stopped: threading.Event) -> threading.Thread:
    """Print ``lines`` (the banner) again once ``ready()`` says everything answers: by then the children's
    start-up output has scrolled the first one away."""

    def wait_then_print() -> None:
        deadline = time.monotonic() + READY_GIVE_UP_AFTER
        while not stopped.wait(READY_CHECK_EVERY) and time.monotonic() < deadline:
            if _answers(ready):
                click.echo("\n" + "\n".join(lines) + "\n", err=True)
                return

    announcer = threading.Thread(target=wait_then_print, name="banner", daemon=True)
    announcer.start()
    return announcer


def _answers(ready: Callable[[], bool]) -> bool:
    try:
        return ready()
    except (OSError, RedisError):  # refused, 503 (HTTPError), timed out, Redis not there yet: not yet
        return False
