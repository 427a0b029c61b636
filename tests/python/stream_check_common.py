"""What the streaming checks share: recording expectations, calling the simulator's admin
endpoints, and waiting for a streamer's callbacks."""

import time

import requests

FAILURES = []


def check(condition, what):
    """Records a failed expectation and keeps going, so one run reports every mismatch."""
    if condition:
        print(f"ok    {what}")
    else:
        print(f"FAIL  {what}")
        FAILURES.append(what)


def admin(root, token, method, path, body=None):
    """Calls one of the simulator's own `/__sim/` endpoints, with the run's admin token."""
    answer = requests.request(method, f"{root}/__sim{path}", json=body, timeout=7,
                              headers={"X-Sim-Admin-Token": token})
    answer.raise_for_status()
    return answer.json()["data"]


def wait_for(condition, seconds=10.0):
    """Polls `condition` until it holds or `seconds` pass; answers whether it held."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()
