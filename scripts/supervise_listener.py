"""supervisord event listener for `make run`: say why a program stopped, give up on a flapper.

supervisord restarts a program that exits unexpectedly and gives up on one that fails while
starting. A program that starts well and then keeps dying (every minute, say) would be
restarted forever; this listener stops it after SUPERVISE_MAX_RESTARTS unexpected exits within
SUPERVISE_WINDOW_SECONDS and says so. When the web server is given up on, or goes FATAL,
nothing is served any more: it writes the reason to TACIT_RUN_DIR/gave-up and shuts
supervisord down, so `make run` ends with that reason instead of hanging without a site.

It speaks supervisord's listener protocol on stdin/stdout; its own log lines go to stderr.
"""

import os
import sys
import time
from collections import defaultdict, deque
from pathlib import Path

from supervisor import childutils

MAX_RESTARTS = int(os.environ.get("SUPERVISE_MAX_RESTARTS", "5"))
WINDOW_SECONDS = float(os.environ.get("SUPERVISE_WINDOW_SECONDS", "600"))
ESSENTIAL = {"web"}
STOP_GRACE_SECONDS = 5


def log(text: str) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    sys.stderr.write(f"{stamp} supervise: {text}\n")
    sys.stderr.flush()


def give_up(rpc, name: str, reason: str) -> None:  # noqa: ANN001
    log(f"giving up on {name}: {reason}. Fix the cause, then run `make run` again.")
    if name in ESSENTIAL:
        run_dir = Path(os.environ["TACIT_RUN_DIR"])
        (run_dir / "gave-up").write_text(f"{name}: {reason}\n")
        log("the web server is down for good: stopping Tacit.")
        rpc.supervisor.shutdown()
        return
    try:
        rpc.supervisor.stopProcess(name, False)
    except Exception as error:  # noqa: BLE001 - already stopped or FATAL is fine
        log(f"{name} could not be stopped ({error}); it is not running")
    else:
        # supervisord may already have started it again, and a Celery worker that is told to
        # stop while it boots finishes booting first: do not let it serve meanwhile.
        for _ in range(STOP_GRACE_SECONDS * 4):
            if rpc.supervisor.getProcessInfo(name)["statename"] != "STOPPING":
                break
            time.sleep(0.25)
        else:
            log(f"{name} did not stop within {STOP_GRACE_SECONDS} s: killing it")
            try:
                rpc.supervisor.signalProcess(name, "KILL")
            except Exception as error:  # noqa: BLE001 - it stopped in the meantime
                log(f"{name} stopped before it was killed ({error})")
    if name == "worker":
        log("no tasks will run: /healthz reports the worker as failing.")


def main() -> None:
    rpc = childutils.getRPCInterface(os.environ)
    exits: dict[str, deque[float]] = defaultdict(deque)
    while True:
        headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
        event = headers["eventname"]
        fields = childutils.get_headers(payload.split("\n", 1)[0])
        name = fields.get("processname", "?")
        if event == "PROCESS_STATE_EXITED" and fields.get("expected") == "0":
            now = time.monotonic()
            recent = exits[name]
            recent.append(now)
            while recent and now - recent[0] > WINDOW_SECONDS:
                recent.popleft()
            if len(recent) >= MAX_RESTARTS:
                give_up(
                    rpc,
                    name,
                    f"it exited unexpectedly {len(recent)} times within {WINDOW_SECONDS:.0f} s",
                )
            else:
                log(
                    f"{name} (pid {fields.get('pid')}) exited unexpectedly while "
                    f"{fields.get('from_state', '?').lower()}; its exit status is in the line "
                    f"above and its last output before it. Restarting it "
                    f"({len(recent)} of {MAX_RESTARTS} allowed within {WINDOW_SECONDS:.0f} s)."
                )
        elif event == "PROCESS_STATE_FATAL":
            give_up(rpc, name, "it kept failing while starting")
        elif event == "PROCESS_STATE_RUNNING" and exits.get(name):
            log(f"{name} is running again (pid {fields.get('pid')}).")
        childutils.listener.ok(sys.stdout)


if __name__ == "__main__":
    main()
