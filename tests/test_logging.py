"""One log format everywhere: request ids on web lines, one line per job, RQ's chatter kept down."""

import re
import threading

import pytest
import requests
from werkzeug.serving import make_server

from app import logging_setup
from app.config import Config, ConfigError
from app.jobs import enqueue_now
from tests.conftest import run_worker

LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (?P<level>[A-Z]+) \[(?P<context>[^\]]+)\] "
                  r"(?P<logger>\S+): (?P<message>.*)$")


def log_lines(captured: str) -> list[dict]:
    lines = [LINE.match(line) for line in captured.splitlines()]
    assert all(lines), f"lines not in the log format:\n{captured}"
    return [line.groupdict() for line in lines]


@pytest.fixture
def served(app):
    """The app on a real werkzeug server (the development server's access log is werkzeug's)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def worker_role():
    logging_setup.configure_logging(role="worker")
    yield
    logging_setup.configure_logging(role="web")


def test_a_request_line_carries_the_callers_request_id_which_comes_back_in_the_response(served, capsys):
    response = requests.get(f"{served}/static/css/app.css", headers={"X-Request-ID": "probe-42"}, timeout=10)

    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "probe-42"
    [access] = [line for line in log_lines(capsys.readouterr().err) if line["logger"] == "werkzeug"]
    assert access["level"] == "INFO"
    assert access["context"] == "web probe-42"
    # Readable: no second timestamp, no colour codes.
    assert access["message"] == '127.0.0.1 "GET /static/css/app.css HTTP/1.1" 200 -'


@pytest.mark.parametrize("given", [None, "fake] INFO [web", "x" * 129])
def test_without_a_usable_request_id_one_is_made_up(served, capsys, given):
    headers = {"X-Request-ID": given} if given else {}
    response = requests.get(f"{served}/static/css/nothing-here.css", headers=headers, timeout=10)

    assert response.status_code == 404
    made_up = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made_up)
    [access] = [line for line in log_lines(capsys.readouterr().err) if line["logger"] == "werkzeug"]
    assert access["context"] == f"web {made_up}"


@pytest.mark.usefixtures("app_context", "worker_role")
def test_a_job_writes_exactly_one_line(capsys):
    job = enqueue_now("tests.workers.sample_jobs.add_carrier", "logged")
    capsys.readouterr()

    run_worker()

    [line] = log_lines(capsys.readouterr().err)
    assert (line["level"], line["context"], line["logger"]) == ("INFO", "worker", "workers.runtime")
    assert re.fullmatch(rf"job tests\.workers\.sample_jobs\.add_carrier {job.id} finished in \d+ ms",
                        line["message"])


@pytest.mark.usefixtures("app_context", "worker_role")
def test_a_failing_job_writes_one_error_line_and_rqs_traceback_nothing_at_info(capsys):
    job = enqueue_now("tests.workers.sample_jobs.add_carrier_then_fail", "broken")
    capsys.readouterr()

    run_worker()

    captured = capsys.readouterr().err
    headers = [line for line in captured.splitlines() if LINE.match(line)]
    parsed = log_lines("\n".join(headers))
    assert [line["level"] for line in parsed if line["logger"] == "workers.runtime"] == ["ERROR"]
    [ours] = [line for line in parsed if line["logger"] == "workers.runtime"]
    assert re.fullmatch(rf"job tests\.workers\.sample_jobs\.add_carrier_then_fail {job.id} failed: "
                        r"RuntimeError: 故意失败 broken in \d+ ms", ours["message"])
    assert "INFO" not in {line["level"] for line in parsed}
    assert "Traceback" in captured  # RQ's worker logs where it failed


@pytest.mark.parametrize(("level", "rq_level"), [("DEBUG", "DEBUG"), ("INFO", "WARNING"), ("ERROR", "ERROR")])
def test_rq_logs_no_more_than_warnings_unless_debugging(level, rq_level):
    loggers = logging_setup.dict_config(level)["loggers"]

    assert loggers["rq"]["level"] == loggers["rq.worker"]["level"] == rq_level


def test_log_level_comes_from_the_environment_and_is_checked():
    assert Config.from_environment({})["LOG_LEVEL"] == "INFO"
    assert Config.from_environment({"LOG_LEVEL": "debug"})["LOG_LEVEL"] == "DEBUG"
    with pytest.raises(ConfigError, match="LOG_LEVEL"):
        Config.from_environment({"LOG_LEVEL": "loud"})
