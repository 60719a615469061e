"""Questions about a notebook's cells that several tools ask: its code, as run and as it computes, and its title cell."""

from __future__ import annotations

import ast
import io
import tokenize

import nbformat

#: The tag papermill puts on the cell it injects with a run's parameters: not part of the notebook's code.
INJECTED = "injected-parameters"


def code_sources(nb: nbformat.NotebookNode) -> list[str]:
    """The sources of the notebook's code cells, in order, without papermill's injected parameters."""
    return [
        cell.source for cell in nb.cells if cell.cell_type == "code" and INJECTED not in cell.metadata.get("tags", [])
    ]


def first_markdown_index(nb: nbformat.NotebookNode) -> int | None:
    """The index of the first Markdown cell (the title cell of every course notebook), or None."""
    return next((index for index, cell in enumerate(nb.cells) if cell.cell_type == "markdown"), None)


def normalized_code(source: str) -> str:
    """``source`` without its comments, docstrings, blank lines and trailing spaces (as written if it does not parse).

    The text itself is kept, not re-printed from the syntax tree: ``ast.unparse`` writes some f-strings
    differently from one Python release to the next, which would make a record look stale on another Python.
    """
    try:
        tree = ast.parse(source)
        comments = [
            (*token.start, *token.end)
            for token in tokenize.generate_tokens(io.StringIO(source).readline)
            if token.type == tokenize.COMMENT
        ]
    except (SyntaxError, tokenize.TokenError):  # an IPython magic, say: kept verbatim
        return source
    lines = source.splitlines()

    def column(line: int, byte_offset: int) -> int:  # the syntax tree counts UTF-8 bytes, tokenize characters
        return len(lines[line - 1].encode("utf-8")[:byte_offset].decode("utf-8", "ignore"))

    docstrings = [
        (
            first.lineno,
            column(first.lineno, first.col_offset),
            first.end_lineno,
            column(first.end_lineno, first.end_col_offset),
        )
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        and node.body
        and isinstance(first := node.body[0], ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ]
    for start_line, start_col, end_line, end_col in sorted(comments + docstrings, reverse=True):
        lines[start_line - 1 : end_line] = [lines[start_line - 1][:start_col] + lines[end_line - 1][end_col:]]
    return "\n".join(line.rstrip() for line in lines if line.strip())
