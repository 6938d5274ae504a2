"""``tanggap classify | tone | train``: the language engine on JSON Lines, no database needed.

Contract (outside tests rely on it): one output line per input line, in the same order, with
``id`` copied through; a bad line (not JSON, not an object, no text) yields
``{"id": ..., "error": "..."}`` and the run goes on. ``tanggap/cli.py`` dispatches here without
importing Django, so start-up stays fast; this module imports nothing heavy at the top.

    tanggap classify [--model FILE] < in.jsonl    {"id","text"} -> {"id","intent","topic",...}
    tanggap tone [--inbound-kind aduan] < in.jsonl  {"id","text"} -> {"id","verdict",...}
    tanggap train --input labelled.jsonl --output MODEL
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from typing import TextIO

from . import check_tone, classify_many, load_model, train


def main(
    argv: list[str],
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run one subcommand; ``argv`` starts with its name (``["classify", "--model", "m"]``)."""
    stdin = stdin or _utf8(sys.stdin)
    stdout = stdout or _utf8(sys.stdout)
    stderr = stderr or sys.stderr
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed the usage message
        return int(exc.code or 0)

    if args.command == "classify":
        model = None
        if args.model:
            try:
                model = load_model(args.model)
            except (OSError, ValueError) as exc:
                print(f"tanggap classify: cannot load model: {exc}", file=stderr)
                return 2
        _classify_lines(stdin, stdout, model)
        return 0
    if args.command == "tone":
        def tone(row: dict) -> dict:
            kind = row.get("inbound_kind", args.inbound_kind)
            return check_tone(row["text"], inbound_kind=kind).as_dict()

        _run_lines(stdin, stdout, tone)
        return 0
    return _train(args, stdout, stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tanggap", description="Bahasa Indonesia triage and tone")
    commands = parser.add_subparsers(dest="command", required=True)
    classify_cmd = commands.add_parser("classify", help="triage JSON Lines from stdin")
    classify_cmd.add_argument("--model", metavar="FILE", help="a model written by `train`")
    tone_cmd = commands.add_parser("tone", help="check the tone of replies (JSON Lines on stdin)")
    tone_cmd.add_argument("--inbound-kind", metavar="INTENT", default=None,
                          help="intent of the messages answered, e.g. aduan (a row's "
                               "inbound_kind field wins)")
    train_cmd = commands.add_parser("train", help="fit a model from labelled JSON Lines")
    train_cmd.add_argument("--input", required=True, metavar="FILE",
                           help='rows {"text", "topic"} (intent, kasar optional)')
    train_cmd.add_argument("--output", required=True, metavar="MODEL")
    train_cmd.add_argument("--workers", type=_positive, default=1, metavar="N",
                           help="fit N models at once on N cores (default 1; with more the "
                                "weights may differ in their last digits between runs)")
    return parser


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


_BATCH = 256


def _classify_lines(stdin: Iterable[str], stdout: TextIO, model) -> None:
    """Classify in batches (the model's arithmetic is shared), answering in input order."""
    batch: list[str] = []

    def flush() -> None:
        parsed = [_parse(line) for line in batch]
        texts = [row["text"] for row, error in parsed if error is None]
        triages = iter(classify_many(texts, model=model))
        for row, error in parsed:
            answer = error or {"id": row.get("id"), **next(triages).as_dict()}
            stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
        batch.clear()

    for line in stdin:
        batch.append(line)
        if len(batch) == _BATCH:
            flush()
    flush()
    stdout.flush()


def _run_lines(stdin: Iterable[str], stdout: TextIO, handle: Callable[[dict], dict]) -> None:
    for line in stdin:
        stdout.write(json.dumps(_answer(line, handle), ensure_ascii=False) + "\n")
    stdout.flush()


def _answer(line: str, handle: Callable[[dict], dict]) -> dict:
    row, error = _parse(line)
    return error or {"id": row.get("id"), **handle(row)}


def _parse(line: str) -> tuple[dict, dict | None]:
    """The row of a line, or the error answer for it."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return {}, {"id": None, "error": f"not JSON: {exc.msg}"}
    if not isinstance(row, dict):
        return {}, {"id": None, "error": "not a JSON object"}
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        return row, {"id": row.get("id"), "error": "missing text"}
    return row, None


def _train(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    rows, skipped = [], 0
    try:
        with open(args.input, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                try:
                    row = json.loads(line)
                    if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                        raise ValueError("no text")
                    rows.append(row)
                except ValueError as exc:
                    skipped += 1
                    print(f"tanggap train: line {number} skipped: {exc}", file=stderr)
    except OSError as exc:
        print(f"tanggap train: cannot read input: {exc}", file=stderr)
        return 2

    bar = None
    if stderr.isatty():
        from tqdm import tqdm  # only on a terminal: keeps piped runs quiet and start-up lean

        bar = tqdm(desc="train", unit="fit", file=stderr)

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.n = done
            bar.refresh()

    try:
        model = train(rows, progress=progress, workers=args.workers)
        model.save(args.output)
    except (ValueError, OSError) as exc:
        print(f"tanggap train: {exc}", file=stderr)
        return 1
    finally:
        if bar is not None:
            bar.close()
    summary = {"output": args.output, "rows": len(rows), "skipped": skipped,
               "heads": model.trained_rows}
    stdout.write(json.dumps(summary, ensure_ascii=False) + "\n")
    return 0


def _utf8(stream: TextIO) -> TextIO:
    # Citizens write emoji; a C locale must not turn them into an encoding error.
    try:
        stream.reconfigure(encoding="utf-8", errors="replace")
    except (AttributeError, ValueError):
        pass
    return stream


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
