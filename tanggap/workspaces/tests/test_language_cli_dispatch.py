"""`tanggap classify|tone|train` go to the language engine without loading Django."""

import json
import subprocess
import sys


def _tanggap(*args, stdin=""):
    code = ("import sys; from tanggap.cli import main; rc = main(sys.argv[1:]); "
            "sys.exit(rc if 'django' not in sys.modules else 99)")
    return subprocess.run([sys.executable, "-c", code, *args], input=stdin, capture_output=True,
                          text=True, timeout=60)


def test_classify_and_tone_through_the_console_command():
    lines = "\n".join([json.dumps({"id": "a", "text": "Air PDAM mati sejak pagi min"}),
                       "not json", json.dumps({"id": 3})]) + "\n"
    result = _tanggap("classify", stdin=lines)
    assert result.returncode == 0, result.stderr  # 99 would mean Django was imported
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["id"] for row in rows] == ["a", None, 3]
    assert rows[0]["topic"] == "air_bersih"
    assert "error" in rows[1] and "error" in rows[2]
    tone = _tanggap("tone", stdin=json.dumps({"id": 1, "text": "DASAR BODOH!!!"}) + "\n")
    assert tone.returncode == 0, tone.stderr
    assert json.loads(tone.stdout)["verdict"] == "block"


def test_train_then_classify_with_the_model(tmp_path):
    rows = [{"text": t, "topic": "jalan"} for t in ("jalan rusak", "aspal berlubang",
                                                    "jalan amblas")]
    rows += [{"text": t, "topic": "air_bersih"} for t in ("air mati", "pdam keruh",
                                                           "pipa bocor")]
    data = tmp_path / "labelled.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    model = tmp_path / "model.json"
    trained = _tanggap("train", "--input", str(data), "--output", str(model))
    assert trained.returncode == 0, trained.stderr
    assert model.exists()
    out = _tanggap("classify", "--model", str(model),
                   stdin=json.dumps({"id": 1, "text": "jalan berlubang"}) + "\n")
    assert json.loads(out.stdout)["topic"] == "jalan"
