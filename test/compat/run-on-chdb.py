"""Runs ClickHouse SQL on chdb (ClickHouse embedded in-process) for the compatibility test.

`run-on-chdb.py --version` prints the embedded server's version. Otherwise reads
{"statements": [{"label": ..., "sql": ...}]} as JSON on stdin, runs them in order in one
throwaway session and prints {"results": [{"label": ..., "error": null | "..."}]}. Every statement
runs even after a failure, so one run reports everything that breaks.
"""
import json
import sys

from chdb import session


def main() -> None:
    db = session.Session()
    try:
        if sys.argv[1:] == ["--version"]:
            print(str(db.query("SELECT version()", "TSV")).strip())
            return
        results = []
        for statement in json.load(sys.stdin)["statements"]:
            try:
                db.query(statement["sql"], "JSONEachRow")
                results.append({"label": statement["label"], "error": None})
            except Exception as err:  # chdb raises its own error type; the message is what matters
                results.append({"label": statement["label"], "error": str(err).strip()})
        print(json.dumps({"results": results}))
    finally:
        db.close()


if __name__ == "__main__":
    main()
