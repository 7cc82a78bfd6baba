"""run-all's supervisor starts a child that died again, alone, and stops them all when told; the short
banner comes again once everything answers."""

import sys
import threading
import time

from app.cli.foundation import run_all_banner
from app.cli.supervisor import Supervisor, announce_when_ready
from tests.conftest import wait_for

# Dies at once the first time (recording each start in a file), runs until stopped afterwards.
FLAKY = """
import sys, time
with open(sys.argv[1], "a") as starts:
    starts.write("started\\n")
if open(sys.argv[1]).read().count("started") == 1:
    sys.exit(3)
time.sleep(120)
"""


def test_a_child_that_died_is_started_again_while_the_others_keep_running(tmp_path, capsys):
    starts = tmp_path / "starts"
    supervisor = Supervisor({
        "flaky": [sys.executable, "-c", FLAKY, str(starts)],
        "steady": [sys.executable, "-c", "import time; time.sleep(120)"],
    }, env={})
    steady = supervisor.children["steady"].process
    stopped = threading.Event()
    watching = threading.Thread(target=supervisor.run, args=(stopped,))
    watching.start()
    try:
        assert wait_for(lambda: starts.exists() and starts.read_text().count("started") == 2)
        assert wait_for(lambda: supervisor.children["flaky"].process.poll() is None)
        assert supervisor.children["steady"].process is steady and steady.poll() is None
    finally:
        stopped.set()
        watching.join(timeout=30)

    assert not watching.is_alive()
    assert all(child.process.poll() is not None for child in supervisor.children.values())
    assert "flaky exited with 3; starting it again in 1 s" in capsys.readouterr().err


def test_the_banner_is_printed_again_once_everything_answers(capsys):
    answers = iter([False, False, True])
    stopped = threading.Event()

    announcer = announce_when_ready(lambda: next(answers), ["OrderHub  staff http://…", "Everything is up."], stopped)
    announcer.join(timeout=30)

    assert not announcer.is_alive()
    assert capsys.readouterr().err.count("Everything is up.") == 1


def test_no_banner_while_the_stack_is_not_up_and_none_after_stopping(capsys):
    def refused() -> bool:
        raise ConnectionRefusedError

    stopped = threading.Event()
    announcer = announce_when_ready(refused, ["Everything is up."], stopped)
    time.sleep(2.5)
    stopped.set()
    announcer.join(timeout=30)

    assert not announcer.is_alive() and "Everything is up." not in capsys.readouterr().err


def test_the_banner_is_short():
    assert len(run_all_banner(5000)) <= 3 and all(len(line) <= 110 for line in run_all_banner(5000))
