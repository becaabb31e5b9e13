"""Slow clients cannot starve the callback (issue 17, finding 3).

150 connections send the start of a request and then nothing more (a slow-header attack, bounded and on
loopback). With waitress' defaults they filled its 100-connection limit and real callbacks timed out; with
duban's limits a real callback is answered meanwhile, and the server closes the slow connections once
[server] request_timeout_seconds (made small here) has passed.
"""

from __future__ import annotations

import socket

import pytest
from callback_support import PATH, Recorder, make_config, post, reply_of

from wecom.callback import start_callback
from wecom.say import build_callback_request

SLOW_CONNECTIONS = 150


@pytest.fixture
def server(db_url):
    config = make_config()
    config["server"]["request_timeout_seconds"] = 1.0
    running = start_callback(config, Recorder().handler, None, host="127.0.0.1", port=0)
    yield running
    running.stop()


def open_slow_connections(port: int, count: int) -> list[socket.socket]:
    slow = []
    for _ in range(count):
        conn = socket.create_connection(("127.0.0.1", port), timeout=30)  # 30 s: a bound, not a measurement
        conn.sendall(b"POST " + PATH.encode() + b" HTTP/1.1\r\nHost: duban\r\nX-Slow: ")
        slow.append(conn)
    return slow


def test_a_real_callback_is_answered_while_150_slow_header_connections_are_open(server):
    slow = open_slow_connections(server.port, SLOW_CONNECTIONS)
    try:
        params, body = build_callback_request(make_config(), "zhangsan", "任务", msgid="5501")
        assert reply_of(post(server.url + PATH, params, body)) == "收到 zhangsan：任务"
        # Every slow connection is closed by the server (recv sees the end) once its request is overdue.
        closed = [conn.recv(1024) for conn in slow]
        assert closed == [b""] * SLOW_CONNECTIONS
    finally:
        for conn in slow:
            conn.close()
    params, body = build_callback_request(make_config(), "lisi", "任务", msgid="5502")
    assert reply_of(post(server.url + PATH, params, body)) == "收到 lisi：任务"


def test_oversized_headers_are_refused(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as conn:
        conn.sendall(b"POST " + PATH.encode() + b" HTTP/1.1\r\nHost: duban\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
        answer = conn.recv(1024)
    assert b" 431 " in answer.split(b"\r\n")[0]  # Request Header Fields Too Large
