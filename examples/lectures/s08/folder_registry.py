"""Lecture 8.3: a model registry in one folder, to show what any registry has to get right.

A custom registry is often "a bucket with a naming convention". This one is a folder, and it still
needs four guarantees that MLflow, SageMaker and Vertex AI give you without asking::

    python examples/lectures/s08/folder_registry.py --root registry register churn model.skops
    python examples/lectures/s08/folder_registry.py --root registry alias churn champion 1
    python examples/lectures/s08/folder_registry.py --root registry resolve churn@champion
    python examples/lectures/s08/folder_registry.py --root registry list churn

1. **Numbers nobody reuses**: a version is a folder made with ``mkdir``, which fails if it exists,
   so two registrations at the same moment cannot both become version 3.
2. **Immutable versions**: the file is copied in and its SHA-256 recorded; nothing rewrites it.
3. **Pointers that move in one step**: an alias file is replaced atomically (``os.replace``), so a
   reader sees the old champion or the new one, never half a file.
4. **Integrity on load**: ``resolve`` hashes the file again and refuses one that changed.

What it does not have (who may promote, an audit log, a UI, links to runs) is the lecture's table.
With no command it runs a demo in a temporary folder: two versions, an alias, a changed file refused.
Exit codes: 0 done, 1 refused (a changed file), 2 bad input (no such model, version, alias or file).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

NAME_RULE = "letters, digits, '-' and '_'"


class BadInput(Exception):
    """A name, version, alias or file that does not exist or is not allowed (exit 2)."""


class Tampered(Exception):
    """A registered file no longer has the hash it was registered with (exit 1)."""


def _checked_name(kind: str, name: str) -> str:
    if not name or not all(character.isascii() and (character.isalnum() or character in "-_") for character in name):
        raise BadInput(f"{kind} {name!r} is not allowed: use {NAME_RULE}")
    return name


def sha256(path: Path) -> str:
    """The file's SHA-256 as hex, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --8<-- [start:register]
def register(root: Path, name: str, model_file: Path) -> int:
    """Copy ``model_file`` in as the next version of ``name``; return its number."""
    _checked_name("model name", name)
    if not model_file.is_file():
        raise BadInput(f"{model_file}: no such file to register")
    versions = root / name
    versions.mkdir(parents=True, exist_ok=True)
    number = max((int(folder.name) for folder in versions.iterdir() if folder.name.isdigit()), default=0) + 1
    while True:
        try:
            (versions / str(number)).mkdir()  # fails if another registration took the number first
            break
        except FileExistsError:
            number += 1
    folder = versions / str(number)
    shutil.copy2(model_file, folder / model_file.name)
    record = {"version": number, "file": model_file.name, "sha256": sha256(folder / model_file.name),
              "registered_at": datetime.now(UTC).isoformat(timespec="seconds")}
    (folder / "version.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return number
# --8<-- [end:register]


def _record(root: Path, name: str, version: int) -> dict:
    path = root / _checked_name("model name", name) / str(version) / "version.json"
    if not path.is_file():
        raise BadInput(f"{name} has no version {version} in {root}")
    return json.loads(path.read_text(encoding="utf-8"))


def aliases(root: Path, name: str) -> dict[str, int]:
    """The model's aliases as ``{alias: version}``; empty when none was set."""
    path = root / _checked_name("model name", name) / "aliases.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


# --8<-- [start:alias]
def set_alias(root: Path, name: str, alias: str, version: int) -> None:
    """Point ``alias`` at ``version``, replacing the alias file in one atomic step."""
    _checked_name("alias", alias)
    _record(root, name, version)  # the version must exist
    table = aliases(root, name) | {alias: version}
    with tempfile.NamedTemporaryFile("w", dir=root / name, suffix=".tmp", delete=False, encoding="utf-8") as new:
        json.dump(table, new, indent=2, sort_keys=True)
    os.replace(new.name, root / name / "aliases.json")  # readers see the old table or the new one
# --8<-- [end:alias]


# --8<-- [start:resolve]
def resolve(root: Path, reference: str) -> Path:
    """Turn ``name@alias`` or ``name/version`` into the registered file, after checking its hash."""
    name, alias_sign, pointer = reference.partition("@")
    if not alias_sign:
        name, _, pointer = reference.partition("/")
    if not pointer:
        raise BadInput(f"{reference!r}: write name@alias or name/version, e.g. churn@champion or churn/1")
    if alias_sign:
        table = aliases(root, name)
        if pointer not in table:
            raise BadInput(f"{name} has no alias {pointer!r} (it has: {', '.join(sorted(table)) or 'none'})")
        version = table[pointer]
    elif pointer.isdigit():
        version = int(pointer)
    else:
        raise BadInput(f"{reference!r}: the version after '/' must be a number")
    record = _record(root, name, version)
    path = root / name / str(version) / record["file"]
    if not path.is_file() or sha256(path) != record["sha256"]:
        raise Tampered(f"{path} is not the file registered as {name} v{version} (sha256 {record['sha256'][:12]}); "
                       "a registered version must never change: register a new version instead")
    return path
# --8<-- [end:resolve]


def listing(root: Path, name: str) -> list[str]:
    """One line per version: number, hash prefix, registration time, aliases."""
    folder = root / _checked_name("model name", name)
    if not folder.is_dir():
        raise BadInput(f"{root} holds no model {name!r}")
    pointers = aliases(root, name)
    lines = []
    for number in sorted(int(entry.name) for entry in folder.iterdir()
                         if entry.name.isdigit() and (entry / "version.json").is_file()):  # skip one mid-registration
        record = _record(root, name, number)
        names = ", ".join(alias for alias, version in sorted(pointers.items()) if version == number) or "-"
        lines.append(f"v{number}  sha256 {record['sha256'][:12]}  {record['registered_at']}  aliases: {names}")
    return lines


def _version_number(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a version number (1, 2, ...)")
    return int(text)


def demo(root: Path) -> int:
    """Register a small file twice, point ``champion`` at v1, change v1's file and show it refused."""
    model = root / "model.bin"
    model.write_bytes(b"demo weights")
    for arguments in (["register", "churn", str(model)], ["register", "churn", str(model)],
                      ["alias", "churn", "champion", "1"], ["resolve", "churn@champion"]):
        print(f"$ folder_registry.py {' '.join(arguments)}")
        main(["--root", str(root / "registry"), *arguments])
    (root / "registry/churn/1/model.bin").write_bytes(b"changed weights")
    print("$ folder_registry.py resolve churn@champion   # after changing v1's file")
    refused = main(["--root", str(root / "registry"), "resolve", "churn@champion"])
    print(f"exit code: {refused} (1: refused, as it must be)")
    return 0 if refused == 1 else 1


def main(argv: list[str] | None = None) -> int:
    """Command line: ``register``, ``alias``, ``resolve`` and ``list``; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("registry"), help="the registry folder (default: registry)")
    commands = parser.add_subparsers(dest="command")
    add = commands.add_parser("register", help="copy a file in as the next version")
    add.add_argument("name")
    add.add_argument("file", type=Path)
    point = commands.add_parser("alias", help="point an alias at a version")
    point.add_argument("name")
    point.add_argument("alias")
    point.add_argument("version", type=_version_number)
    find = commands.add_parser("resolve", help="print the file behind name@alias or name/version")
    find.add_argument("reference")
    show = commands.add_parser("list", help="every version with its hash and aliases")
    show.add_argument("name")
    arguments = parser.parse_args(argv)
    if arguments.command is None:
        with tempfile.TemporaryDirectory() as folder:
            return demo(Path(folder))
    root = arguments.root
    try:
        if arguments.command == "register":
            number = register(root, arguments.name, arguments.file)
            digest = _record(root, arguments.name, number)["sha256"]
            print(f"registered {arguments.name} v{number}: sha256 {digest[:12]}")
        elif arguments.command == "alias":
            set_alias(root, arguments.name, arguments.alias, arguments.version)
            print(f"{arguments.name}@{arguments.alias} -> v{arguments.version}")
        elif arguments.command == "resolve":
            print(resolve(root, arguments.reference))
        else:
            print("\n".join(listing(root, arguments.name)))
    except BadInput as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Tampered as error:
        print(f"REFUSED: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
