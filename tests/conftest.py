"""Shared fixtures: no network beyond 127.0.0.1, no course guard left behind, the harness's timing summary."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from course_utils.tooling.paths import ROOT
from course_utils.tooling.reports import write_report

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", ""}


def _is_local(address) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if not isinstance(host, str):  # unix sockets and the like
        return True
    if host in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_network(request, monkeypatch):
    """Fail the test if it tries to reach anything but this machine.

    Tests marked ``allow_network`` are exempt (the integration test checks real offline behaviour).
    """
    if request.node.get_closest_marker("allow_network"):
        yield
        return
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo
    attempts: list[str] = []  # recorded, because a failure raised in a worker thread would be lost

    def refuse(what: str):
        attempts.append(what)
        raise OSError(f"network access blocked in unit tests: {what}")

    def guarded_connect(sock, address):
        if not _is_local(address):
            refuse(f"connect to {address!r}")
        return real_connect(sock, address)

    def guarded_getaddrinfo(host, *args, **kwargs):
        if not _is_local(host):
            refuse(f"resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    yield
    if attempts:
        pytest.fail("unit tests must not use the network; this test tried to " + "; ".join(attempts))


@pytest.fixture(autouse=True)
def no_course_guard_left_behind():
    """Take away every guard a test (or a ``setup()`` it ran) put in front of Keras or TFDS, after the test.

    Later tests then meet the libraries as they are, whatever order the tests run in.
    """
    yield
    from course_utils.assets import patching

    patching.remove_all()


def pytest_configure(config):
    config.addinivalue_line("markers", "allow_network: may open sockets beyond 127.0.0.1")
    config._course_runs = []  # NotebookRun objects collected by tests/test_notebooks.py


def pytest_collection_modifyitems(items):
    """Fast unit tests first, the slow notebook executions last."""
    items.sort(key=lambda item: item.get_closest_marker("notebooks") is not None)


def pytest_terminal_summary(terminalreporter, config):
    runs = getattr(config, "_course_runs", [])
    if not runs:
        return
    profile = runs[0].profile
    report = write_report(runs, profile, merge=True)  # a partial run (pytest -k ...) keeps the other rows
    total = sum(run.seconds for run in runs)
    terminalreporter.section(f"notebook harness ({profile} profile)")
    for run in runs:
        note = f"  ({run.note})" if run.note else ""
        terminalreporter.write_line(f"{run.result:9} {run.time_text():26} {run.notebook}{note}")
    terminalreporter.write_line(
        f"harness time: {total / 60:.1f} min for {len(runs)} notebook runs (report: {report.relative_to(ROOT)})"
    )
