"""run-all's supervisor starts a child that died again, alone, and stops them all when told."""

import sys
import threading

from app.cli.supervisor import Supervisor
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
