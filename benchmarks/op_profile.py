"""Where a step's time goes: the TF profiler's per-op-type totals, as shares of all op time on the
host (idle core time included, as the profiler's IDLE).

    op_shares(trace_dir) -> {op type: share}

oneDNN's `_MklNative` prefix is dropped, so that the same kernel has one name in both graphs.
"""

from __future__ import annotations

import collections
import glob
import json
import os


def op_shares(trace_dir: str) -> dict[str, float]:
    from tensorflow.python.profiler.internal import _pywrap_profiler_plugin as plugin

    paths = glob.glob(os.path.join(trace_dir, "**", "*.xplane.pb"), recursive=True)
    if not paths:
        raise FileNotFoundError(f"no profiler trace under {trace_dir}")
    data, _ = plugin.xspace_to_tools_data(paths[:1], "framework_op_stats", {})
    table = json.loads(data)[0]
    columns = [column["id"] for column in table["cols"]]
    totals = collections.Counter()
    for row in table["rows"]:
        cells = dict(zip(columns, (cell.get("v") for cell in row["c"])))
        totals[cells["type"].replace("_MklNative", "")] += cells["total_self_time"]
    whole = sum(totals.values()) or 1.0
    return {name: time / whole for name, time in totals.most_common()}


def top_table(shares: dict[str, dict[str, float]], count: int = 15) -> str:
    """A text table of the op types with the largest shares in any column."""
    names = sorted({n for column in shares.values() for n in column},
                   key=lambda n: -max(column.get(n, 0.0) for column in shares.values()))[:count]
    lines = [f"    {'op type':40s}" + "".join(f"{label:>10s}" for label in shares)]
    for name in names:
        lines.append(f"    {name:40s}" + "".join(f"{100 * column.get(name, 0.0):9.1f}%" for column in shares.values()))
    return "\n".join(lines)
