"""The OpenAPI documents and other files the recorded tests loaded (see
inputs/README.md for where each comes from)."""

from pathlib import Path

INPUTS = Path(__file__).resolve().parent.parent / "inputs"


def read(name: str) -> str:
    return (INPUTS / name).read_text()
