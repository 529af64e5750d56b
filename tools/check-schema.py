#!/usr/bin/env python3
"""Validate capplan spec files against the spec's JSON Schema.

Usage: tools/check-schema.py SCHEMA.json SPEC.yaml...

SCHEMA.json is the output of `capplan schema`. Prints one line per spec (ok or
FAIL, with each error's key path and message) and exits 1 if any spec fails,
2 on a usage problem (missing package, unreadable or invalid schema).

The YAML is read the way an editor's YAML 1.2 language server reads it, not
the YAML 1.1 defaults of PyYAML: the safe loader, plus
  - numbers in exponent form without a dot (2e4, 1e3) are numbers, as in
    YAML 1.2 and in capplan (PyYAML 1.1 reads them as text);
  - unquoted dates (2026-01-31), which PyYAML turns into datetime.date, are
    turned back into "YYYY-MM-DD" text, as JSON has no date type;
  - map keys become text, as JSON keys are always text.
The schema checks keys, types and ranges only; `capplan validate` is the
authority (references, relations between numbers, dates inside the horizon).
"""

import datetime
import json
import re
import sys

try:
    import yaml
except ImportError:
    sys.exit("check-schema.py: needs the Python package yaml (PyYAML; Debian: python3-yaml)")
try:
    import jsonschema
    from jsonschema import Draft202012Validator
except ImportError:
    sys.exit("check-schema.py: needs the Python package jsonschema >= 4.0 (Debian: python3-jsonschema)")


class SpecYamlLoader(yaml.SafeLoader):
    """yaml.safe_load's loader, plus YAML 1.2 exponent numbers (2e4, 1E-3, .5e2)."""


SpecYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def construct_date(loader, node):
    """PyYAML's timestamp, but a date that does not exist (2026-02-30) is an error with its line."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError as problem:
        raise yaml.constructor.ConstructorError(
            None, None, "not a valid date '%s' (%s)" % (node.value, problem), node.start_mark)


SpecYamlLoader.add_constructor("tag:yaml.org,2002:timestamp", construct_date)


def json_ready(node):
    """The YAML document as JSON data: dates as YYYY-MM-DD text, keys as text."""
    if isinstance(node, dict):
        return {json_key(key): json_ready(value) for key, value in node.items()}
    if isinstance(node, list):
        return [json_ready(item) for item in node]
    if isinstance(node, (datetime.date, datetime.datetime)):
        return node.isoformat()
    return node


def json_key(key):
    if isinstance(key, (datetime.date, datetime.datetime)):
        return key.isoformat()
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


def key_path(path):
    """A key path in capplan's diagnostic form: sites.a.power_mw[1].add."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += "[%d]" % part
        else:
            text += ("." if text else "") + str(part)
    return text or "(top level)"


def shorten(text, limit=300):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(error):
    """The error's message, plus the most relevant reason for anyOf / oneOf failures."""
    message = error.message
    if error.context:
        # Skip the alternatives of the wrong type (a map is not "a number"), then take the best match.
        candidates = [e for e in error.context if not (e.validator == "type" and not e.relative_path)]
        best = jsonschema.exceptions.best_match(candidates or error.context)
        if best is not None:
            inner = key_path(list(error.absolute_path) + list(best.relative_path))
            message += " (closest: %s: %s)" % (inner, best.message)
    return shorten(message)


def check(validator, spec_path):
    """Returns a list of 'path: message' lines; empty when the spec validates."""
    try:
        with open(spec_path, encoding="utf-8") as handle:
            document = yaml.load(handle, Loader=SpecYamlLoader)
    except (OSError, UnicodeDecodeError) as problem:
        return ["cannot read the file: %s" % shorten(problem)]
    except yaml.YAMLError as problem:  # also an unquoted date that does not exist (2026-02-30)
        return ["cannot read the YAML: %s" % shorten(problem)]
    except ValueError as problem:
        return ["bad value: %s" % shorten(problem)]
    errors = sorted(validator.iter_errors(json_ready(document)), key=lambda e: key_path(e.absolute_path))
    return ["%s: %s" % (key_path(e.absolute_path), describe(e)) for e in errors]


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as handle:
            schema = json.load(handle)
        Draft202012Validator.check_schema(schema)
    except (OSError, ValueError, jsonschema.exceptions.SchemaError) as problem:
        print("check-schema.py: %s is not a usable JSON Schema: %s" % (argv[1], shorten(problem)), file=sys.stderr)
        return 2
    validator = Draft202012Validator(schema)
    failed = 0
    for spec_path in argv[2:]:
        problems = check(validator, spec_path)
        if problems:
            failed += 1
            print("FAIL %s" % spec_path)
            for line in problems:
                print("  %s" % line)
        else:
            print("ok   %s" % spec_path)
    if failed:
        print("%d of %d specs do not match the schema" % (failed, len(argv) - 2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
