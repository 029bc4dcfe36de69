"""Prints the syntax tree of each Python file as JSON, for raptor-roles lint-migrations.

Reads a JSON list of paths on stdin and writes one JSON list: per file either
{"path", "ast"} or {"path", "error", "line"}. This is CPython's own parser (the
one Alembic loads revision files with), so what parses here is exactly what
Alembic would run. Every node becomes {"_": class name, "line": lineno, fields...};
the analysis itself is in TypeScript (core/migrations/alembic.ts).
"""
import ast
import json
import math
import sys

if sys.version_info < (3, 8):
    sys.exit("raptor-roles lint-migrations needs Python 3.8 or newer (ast.Constant); found " + sys.version.split()[0])

SKIPPED_FIELDS = ("ctx", "type_comment", "type_ignores")


def dump(node):
    if isinstance(node, ast.AST):
        out = {"_": type(node).__name__}
        if hasattr(node, "lineno"):
            out["line"] = node.lineno
        for name, value in ast.iter_fields(node):
            if name not in SKIPPED_FIELDS:
                out[name] = dump(value)
        return out
    if isinstance(node, list):
        return [dump(x) for x in node]
    if isinstance(node, float) and not math.isfinite(node):
        return repr(node)
    if node is None or isinstance(node, (str, int, float, bool)):
        return node
    # bytes, complex, Ellipsis: never a table name or SQL text.
    return {"_": "Opaque", "repr": repr(node)}


def parse(path):
    try:
        with open(path, "rb") as f:
            source = f.read()
        return {"path": path, "ast": dump(ast.parse(source, filename=path))}
    except SyntaxError as e:
        return {"path": path, "error": "Python syntax error: " + str(e.msg), "line": e.lineno}
    except (OSError, ValueError) as e:  # unreadable, undecodable, or NUL bytes
        return {"path": path, "error": str(e), "line": None}


json.dump([parse(p) for p in json.load(sys.stdin)], sys.stdout)
