"""Structured logs: `--log-format json` writes one JSON object per line on every command."""

import logging
import subprocess
import sys

import orjson

from newswire.logs import JsonFormatter
from newswire.ports import free_port


def test_json_formatter_writes_time_level_logger_message_and_exception():
    """Each record is one JSON object a log collector can index."""
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("newswire.up", logging.WARNING, __file__, 1, "part %s died", ("gateway",),
                                   sys.exc_info())
    doc = orjson.loads(JsonFormatter().format(record))
    assert doc["level"] == "warning" and doc["logger"] == "newswire.up" and doc["message"] == "part gateway died"
    assert doc["time"].endswith("+00:00") and "ValueError: boom" in doc["exception"]


def test_cli_flag_switches_a_command_to_json_lines():
    """With --log-format json a service logs JSON lines (here a processor waiting for a Kafka that is not there)."""
    result = subprocess.run(
        [sys.executable, "-m", "newswire.cli", "--log-format", "json", "processor", "--bootstrap",
         f"127.0.0.1:{free_port()}", "--wait-for-kafka", "1"], capture_output=True, text=True, timeout=60)
    logs = [orjson.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert result.returncode == 69
    assert any(doc["logger"] == "newswire.processor" and "waiting for Kafka" in doc["message"] for doc in logs)
