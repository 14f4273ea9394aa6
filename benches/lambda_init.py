#!/usr/bin/env python3
"""Lambda init time: from starting the `bootstrap` binary to its first poll
of the Runtime API (GET /2018-06-01/runtime/invocation/next), against a tiny
local Runtime API, with dummy credentials (init makes no AWS call).

usage: lambda_init.py PATH/TO/bootstrap [RUNS]
Prints JSON: median/min/max milliseconds and the process's peak RSS at that
moment (VmHWM, kB).
"""
import http.server
import json
import os
import statistics
import subprocess
import sys
import threading
import time

NEXT = "/2018-06-01/runtime/invocation/next"


class State:
    arrived = None
    event = threading.Event()
    release = threading.Event()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith(NEXT) and State.arrived is None:
            State.arrived = time.perf_counter()
            State.event.set()
            State.release.wait(10)
        self.close_connection = True

    def log_message(self, *args):
        pass


def peak_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def main():
    binary = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
        "SNS_TOPIC_ARN": "arn:aws:sns:us-east-1:111122223333:trailwatch-alerts",
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_SESSION_TOKEN": "dummy",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": "trailwatch",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/03/31/[$LATEST]0123456789abcdef",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/trailwatch",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    times, peaks = [], []
    for _ in range(runs):
        State.arrived = None
        State.event.clear()
        State.release.clear()
        start = time.perf_counter()
        proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if not State.event.wait(20):
            proc.kill()
            err = proc.stderr.read().decode(errors="replace")
            sys.exit(f"bootstrap never polled the Runtime API:\n{err}")
        times.append((State.arrived - start) * 1000)
        peaks.append(peak_kb(proc.pid))
        proc.kill()
        proc.wait()
        State.release.set()
    server.shutdown()
    print(json.dumps({
        "runs": runs,
        "median_ms": round(statistics.median(times), 2),
        "min_ms": round(min(times), 2),
        "max_ms": round(max(times), 2),
        "peak_rss_kb_at_first_poll": statistics.median([p for p in peaks if p] or [0]),
    }))


if __name__ == "__main__":
    main()
