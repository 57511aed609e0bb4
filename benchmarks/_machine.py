"""The machine and library versions a benchmark ran on (shared by every benchmark)."""

from __future__ import annotations

import importlib
import os
import platform
import subprocess
from datetime import date
from typing import Any


def machine(*libraries: str) -> dict[str, Any]:
    """Date, CPU model (lscpu), cores, memory, load, Python and the given libraries' versions.

    ``numpy`` is always included; pass further import names, e.g. ``"scipy", "ortools"``.
    """
    model = ""
    try:
        txt = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next((ln.split(":", 1)[1].strip() for ln in txt.splitlines()
                      if ln.startswith("Model name")), "")
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            mem = f"{int(fh.readline().split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    info: dict[str, Any] = {
        "date": date.today().isoformat(), "cpu": model, "nproc": os.cpu_count(),
        "memory": mem, "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(), "platform": platform.platform(),
    }
    for name in ("numpy", *libraries):
        mod = importlib.import_module(name)
        info[name] = getattr(mod, "__version__", "?")
    return info


def json_default(x: Any) -> Any:
    """``json.dumps(default=...)`` for numpy scalars and arrays (anything else as text)."""
    import numpy as np

    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    return str(x)
