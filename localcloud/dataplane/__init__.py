"""The local cloud's data plane: what answers on the addresses the control plane hands out.

Components (Lambda workers, load balancer listeners and health checks, accelerator listeners) follow
the control plane's state: a supervisor thread calls each component's ``reconcile()`` a few times a
second, and each starts or stops what that state asks for. ``LocalCloud`` starts the supervisor when
it serves on a port, because the components need the endpoint URL that functions call back into.
"""

import logging
import threading
from typing import Protocol

log = logging.getLogger("localcloud.dataplane")


class Component(Protocol):
    def reconcile(self) -> None: ...

    def stop(self) -> None: ...


class Supervisor:
    TICK_SECONDS = 0.1

    def __init__(self) -> None:
        self.endpoint_url = ""
        self._components: list[Component] = []
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def register(self, component: Component) -> Component:
        self._components.append(component)
        return component

    def start(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url
        if self._thread is None:
            self._stopped.clear()
            self._thread = threading.Thread(target=self._run, name="localcloud-dataplane", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stopped.wait(self.TICK_SECONDS):
            self.reconcile()

    def reconcile(self) -> None:
        for component in list(self._components):
            try:
                component.reconcile()
            except Exception:  # one component's bug must not stop the others
                log.exception("data plane component %s failed to reconcile", type(component).__name__)

    def reset(self) -> None:
        """Stop everything that serves; the next tick starts what the (now empty) control plane asks for."""
        for component in list(self._components):
            try:
                component.stop()
            except Exception:
                log.exception("data plane component %s failed to stop", type(component).__name__)

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.reset()


supervisor = Supervisor()
