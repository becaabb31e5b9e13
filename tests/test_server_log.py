"""waitress' per-request queue warnings become one summary line a minute (time is a fake clock)."""

import logging

from wecom.server_log import QUEUE_LOGGER, QueueSummary


def test_a_minute_of_queue_warnings_is_one_line_with_the_count_and_the_deepest_queue():
    now = [0.0]
    summary = QueueSummary(clock=lambda: now[0])
    passed = []
    for i in range(3000):  # 20 per second for 150 s
        now[0] = i / 20
        record = logging.LogRecord(QUEUE_LOGGER, logging.WARNING, __file__, 1, "Task queue depth is %d",
                                   (1 + i % 17,), None)
        if summary.filter(record):
            passed.append((now[0], record.getMessage()))
    assert [t for t, _ in passed] == [0.0, 60.0, 120.0]
    assert "1 time(s)" in passed[0][1] and "deepest queue 1" in passed[0][1]
    assert "1200 time(s)" in passed[1][1] and "deepest queue 17" in passed[1][1]


def test_the_summary_is_installed_once_by_every_callback_server(tmp_path):
    from wecom.server_log import summarise_queue_warnings

    summarise_queue_warnings()
    summarise_queue_warnings()
    assert sum(isinstance(f, QueueSummary) for f in logging.getLogger(QUEUE_LOGGER).filters) == 1
