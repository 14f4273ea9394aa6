#!/usr/bin/env python3
"""Validates trailwatch's `--format ocsf` output with py-ocsf-models.

Reads JSON lines (files named on the command line, or standard input) and
checks every line with the DetectionFinding model of py-ocsf-models, code we
did not write: required fields, types and enumerations. Then, so that a
misspelt or misplaced attribute cannot pass unnoticed (pydantic ignores
unknown keys), every key of the line must survive the model's own dump,
except the few OCSF 1.5 attributes the library does not model yet
(`evidences[].actor`, `evidences[].src_endpoint`). Also checked: class 2004,
schema version 1.5 or later, and no line over 256 KB.

Exit status 0 when every line is valid, 1 otherwise (each problem printed).
"""

import json
import sys

from py_ocsf_models.events.findings.detection_finding import DetectionFinding

MAX_LINE_BYTES = 256 * 1024
# OCSF 1.5 attributes that py-ocsf-models 0.10.0 leaves as TODO.
UNMODELLED = {("evidences", "actor"), ("evidences", "src_endpoint")}


def unknown_keys(given, dumped, path=()):
    """Paths present in `given` but absent from the model's dump."""
    found = []
    if isinstance(given, dict):
        for key, value in given.items():
            here = path + (key,)
            named = tuple(p for p in here if not isinstance(p, int))
            if named[-2:] in UNMODELLED or (len(named) >= 2 and named[:2] in UNMODELLED):
                continue
            if not isinstance(dumped, dict) or key not in dumped:
                found.append(here)
            else:
                found += unknown_keys(value, dumped[key], here)
    elif isinstance(given, list):
        for i, value in enumerate(given):
            other = dumped[i] if isinstance(dumped, list) and i < len(dumped) else None
            found += unknown_keys(value, other, path + (i,))
    return found


def version_at_least(text, wanted=(1, 5)):
    try:
        parts = tuple(int(p) for p in text.split(".")[:2])
    except ValueError:
        return False
    return parts >= wanted


def check(line):
    problems = []
    if len(line.encode("utf-8")) > MAX_LINE_BYTES:
        problems.append(f"line of {len(line.encode('utf-8'))} bytes, over {MAX_LINE_BYTES}")
    event = json.loads(line)
    model = DetectionFinding.model_validate(event)
    dumped = model.model_dump(mode="json", exclude_unset=True)
    for path in unknown_keys(event, dumped):
        problems.append("not an attribute of the model: " + ".".join(map(str, path)))
    if event.get("class_uid") != 2004:
        problems.append(f"class_uid {event.get('class_uid')} is not 2004")
    if event.get("type_uid") != 2004 * 100 + event.get("activity_id", -1):
        problems.append("type_uid is not class_uid * 100 + activity_id")
    if not version_at_least(event["metadata"]["version"]):
        problems.append(f"metadata.version {event['metadata']['version']} is older than 1.5")
    if not event["finding_info"]["uid"]:
        problems.append("empty finding_info.uid")
    return problems


def main(paths):
    streams = [open(p, encoding="utf-8") for p in paths] or [sys.stdin]
    count = bad = 0
    for stream in streams:
        for number, line in enumerate(stream, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            count += 1
            try:
                problems = check(line)
            except Exception as error:  # a validation error says what is wrong
                problems = [f"{type(error).__name__}: {error}"]
            for problem in problems:
                print(f"{getattr(stream, 'name', '-')}:{number}: {problem}")
            bad += bool(problems)
    if count == 0:
        print("no OCSF lines to check")
        return 1
    print(f"{count} OCSF Detection Findings checked, {bad} invalid")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
