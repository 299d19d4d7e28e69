"""Ray, started on this machine or joined on a cluster, quietly (notebook ``04_hyperparameter_tuning``, section 2).

`connect` starts Ray on this machine, or joins a running cluster when given an address (or ``RAY_ADDRESS`` is set);
`shutdown` disconnects. Ray's temporary files go under a short folder in ``/tmp`` (Unix socket paths must stay under
107 characters), never the home folder; there is no dashboard, usage statistics are switched off and worker output is
not forwarded, so a notebook stays readable. `n2n_lib.tune.run_search` runs its trials on whatever `connect` reached.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from n2n_lib.errors import InputError
from n2n_lib.hardware import available_cpus


def _ray_temp_dir() -> Path:
    """A short per-user folder for Ray's sockets and logs (paths of Unix sockets must stay under 107 characters)."""
    base = Path("/tmp") if Path("/tmp").is_dir() else Path(tempfile.gettempdir())
    uid = os.getuid() if hasattr(os, "getuid") else os.getpid()
    return base / f"n2n-ray-{uid}"


def _quiet_ray_env() -> None:
    """Set before Ray starts or connects: no usage statistics; no authentication token written to ~/.ray unless the
    user chose a mode (a cluster with RAY_AUTH_MODE=token keeps it)."""
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ["RAY_AIR_NEW_OUTPUT"] = "0"  # the newer output ignores progress_reporter, prints banners at verbose=0


def connect(address: str | None = None, num_cpus: int | None = None) -> dict:
    """Start Ray on this machine, or join the running cluster at `address` (default: the RAY_ADDRESS variable).

    num_cpus: local mode only (None: the cores this process may use, `hardware.available_cpus`). Returns {mode,
    address, nodes, cpus, gpus}. Reuses a connection that is already open. Worker output is not forwarded, so
    notebooks stay quiet; trial errors come back with the results.
    """
    _quiet_ray_env()
    import ray

    address = address or os.environ.get("RAY_ADDRESS") or None
    if not ray.is_initialized():
        common = {"log_to_driver": False, "logging_level": logging.WARNING}
        try:
            if address:
                ray.init(address=address, **common)
            else:
                temp = _ray_temp_dir()
                temp.mkdir(parents=True, exist_ok=True)
                # Ray counts the machine's cores; this process may be granted fewer (affinity, cgroup quota).
                cpus = num_cpus or available_cpus()
                ray.init(address="local", num_cpus=cpus, include_dashboard=False, _temp_dir=str(temp), **common)
        except ConnectionError as exc:
            raise InputError(
                f"no Ray cluster answers at {address!r} ({exc}); start one with `ray start --head --port=6379` "
                "and pass HOST:6379, or leave the address empty (and RAY_ADDRESS unset) for a local Ray."
            ) from exc
    resources = ray.cluster_resources()
    return {
        "mode": "cluster" if address else "local",
        "address": address or "local",
        "nodes": sum(node["Alive"] for node in ray.nodes()),
        "cpus": resources.get("CPU", 0.0),
        "gpus": resources.get("GPU", 0.0),
    }


def shutdown() -> None:
    """Disconnect from Ray; a local Ray started by `connect` stops with it, a cluster keeps running."""
    import ray

    ray.shutdown()
