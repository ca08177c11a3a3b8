#!/usr/bin/env python3
"""Flake report of `./voki test --repeat N`: each run's totals, then every test that failed at least once, with its messages."""
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}


def main(root: Path) -> int:
    runs = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: int(p.name) if p.name.isdigit() else 0)
    failures = defaultdict(list)
    print(f"flake report: {len(runs)} run(s) in {root}")
    for run in runs:
        trx = run / "results.trx"
        if not trx.exists():
            print(f"  run {run.name}: no results (the test host did not finish)")
            failures["(the run itself)"].append((run.name, "no results.trx"))
            continue
        tree = ET.parse(trx)
        counters = tree.find(".//t:ResultSummary/t:Counters", NS)
        times = tree.find(".//t:Times", NS)
        summary = {k: counters.get(k) for k in ("total", "passed", "failed", "notExecuted")} if counters is not None else {}
        print(f"  run {run.name}: {summary.get('passed')} passed, {summary.get('failed')} failed, "
              f"{summary.get('notExecuted')} not run, of {summary.get('total')}"
              + (f" ({times.get('start')} to {times.get('finish')})" if times is not None else ""))
        for result in tree.iterfind(".//t:UnitTestResult", NS):
            if result.get("outcome") != "Failed":
                continue
            message = result.findtext(".//t:ErrorInfo/t:Message", default="", namespaces=NS).strip()
            failures[result.get("testName")].append((run.name, message.splitlines()[0] if message else ""))
    if not failures:
        print(f"no test failed in {len(runs)} run(s)")
        return 0
    print(f"{len(failures)} test(s) failed at least once:")
    for test, seen in sorted(failures.items()):
        print(f"- {test}: failed in {len(seen)} of {len(runs)} run(s)")
        for run, message in seen:
            print(f"    run {run}: {message[:400]}")
    return 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
