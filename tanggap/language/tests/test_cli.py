"""The JSON Lines contract, run as a real subprocess as outside tests will run it."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def run(*args, stdin=""):
    done = subprocess.run(
        [sys.executable, "-m", "tanggap.language.cli", *args], input=stdin.encode("utf-8"),
        capture_output=True, cwd=REPO, timeout=30, env={"PYTHONPATH": str(REPO)},
    )
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


def test_classify_answers_every_line_in_order_and_bad_lines_do_not_stop_the_run():
    stdin = "\n".join([
        '{"id": 1, "text": "Lampu PJU mati min"}',
        "not json",
        '{"id": "b", "text": ""}',
        '{"id": 3}',
        "[1, 2]",
        "",
        '{"id": null, "text": "dasar g0bl0k, air pdam mati 😡"}',
    ]) + "\n"
    code, out, err = run("classify", stdin=stdin)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        '{"id": 1, "intent": "aduan", "topic": "penerangan_jalan", "kasar": false, '
        '"confidence": 0.994, "unsure": false, "top_topics": [{"topic": "penerangan_jalan", '
        '"confidence": 0.994}], "reasons": ["topik:lampu pju", "intent:mati"]}',
        '{"id": null, "error": "not JSON: Expecting value"}',
        '{"id": "b", "error": "missing text"}',
        '{"id": 3, "error": "missing text"}',
        '{"id": null, "error": "not a JSON object"}',
        '{"id": null, "error": "not JSON: Expecting value"}',
        '{"id": null, "intent": "aduan", "topic": "air_bersih", "kasar": true, '
        '"confidence": 0.994, "unsure": false, "top_topics": [{"topic": "air_bersih", '
        '"confidence": 0.994}], "reasons": ["topik:air pdam", "intent:mati", "kasar:goblok"]}',
    ]


def test_classify_keeps_the_order_across_batches():
    lines = [json.dumps({"id": n, "text": "lampu pju mati" if n % 3 else "air pdam mati"})
             for n in range(600)]
    lines[300] = "oops"
    code, out, _err = run("classify", stdin="\n".join(lines) + "\n")
    answers = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(answers) == 600
    assert answers[300] == {"id": None, "error": "not JSON: Expecting value"}
    assert [a["id"] for a in answers[:300]] == list(range(300))
    assert all(a["topic"] == ("penerangan_jalan" if a["id"] % 3 else "air_bersih")
               for a in answers if "topic" in a)


def test_tone_output_shape_is_exact():
    code, out, _err = run("tone", stdin='{"id": 7, "text": "LU BACA DULU!!!"}\n')
    assert code == 0
    assert json.loads(out) == {
        "id": 7,
        "verdict": "block",
        "findings": [
            {"code": "huruf_kapital", "severity": "block", "start": 0, "end": 12,
             "message": "Kalimat ditulis dengan huruf kapital semua; terkesan membentak. "
                        "Gunakan huruf kapital hanya di awal kalimat."},
            {"code": "sapaan_kasar", "severity": "warn", "start": 0, "end": 2,
             "message": "Sapaan tidak sopan untuk warga. Gunakan Bapak/Ibu atau Anda."},
            {"code": "meremehkan", "severity": "warn", "start": 3, "end": 12,
             "message": "Ungkapan meremehkan atau menyalahkan warga. Jelaskan langkah yang "
                        "bisa diambil."},
            {"code": "tanda_seru", "severity": "block", "start": 12, "end": 15,
             "message": "Tanda seru berulang terkesan membentak. Gunakan satu titik."},
        ],
        "suggestion": "Bapak/Ibu baca dulu.",
    }


def test_tone_takes_inbound_kind_from_the_row_or_the_flag():
    stdin = ('{"id": 1, "text": "Sudah diteruskan.", "inbound_kind": "aduan"}\n'
             '{"id": 2, "text": "Sudah diteruskan."}\n')
    _code, out, _err = run("tone", stdin=stdin)
    first, second = (json.loads(line) for line in out.splitlines())
    assert [f["code"] for f in first["findings"]] == ["tanpa_salam"]
    assert second["findings"] == []
    _code, out, _err = run("tone", "--inbound-kind", "aduan", stdin='{"id": 3, "text": "Oke."}\n')
    assert [f["code"] for f in json.loads(out)["findings"]] == ["tanpa_salam"]


def test_train_then_classify_with_the_model_file(tmp_path):
    # This city calls its water utility "Zorbak", a word no lexicon knows: the cold rules send
    # those messages to lainnya, and 12 confirmed rows are enough for the model to be heard.
    # (Four rows were enough before the trained path was calibrated against the rules; a
    # model that has not shown on held-out rows that it helps now stays silent.)
    lines = [json.dumps({"text": f"zorbak {what} di blok {block}", "topic": "air_bersih",
                         "operator": "ani"})
             for what, block in zip(ZORBAK, "ABCDEFGHIJKL", strict=True)]
    lines += [json.dumps({"text": f"lampu jalan mati di gang {n}", "topic": "penerangan_jalan"})
              for n in range(12)]
    lines.insert(3, "oops")
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text("\n".join(lines) + "\n", encoding="utf-8")
    model = tmp_path / "model.npz"
    code, out, err = run("train", "--input", str(labelled), "--output", str(model))
    assert code == 0
    assert json.loads(out) == {"output": str(model), "rows": 24, "skipped": 1,
                               "heads": {"topic": 24}}
    # stderr is not a terminal here: the skipped line is reported, no progress bar is drawn.
    assert err == "tanggap train: line 4 skipped: Expecting value: line 1 column 1 (char 0)\n"

    stdin = '{"id": "s", "text": "zorbak mati lagi dari subuh"}\n'
    _code, cold, _err = run("classify", stdin=stdin)
    _code, warm, _err = run("classify", "--model", str(model), stdin=stdin)
    cold, warm = json.loads(cold), json.loads(warm)
    assert (cold["topic"], warm["topic"]) == ("lainnya", "air_bersih")
    assert warm["confidence"] > cold["confidence"]
    assert "model:topik air_bersih" in " ".join(warm["reasons"])


ZORBAK = ["mati lagi", "keruh", "kecil sekali", "tidak keluar", "bau kaporit", "mampet",
          "berhenti", "netes", "kuning", "putus", "lemah", "macet total"]


def test_a_missing_or_foreign_model_file_is_an_error_not_a_silent_cold_start(tmp_path):
    code, out, err = run("classify", "--model", str(tmp_path / "absent.json"), stdin="")
    assert (code, out) == (2, "")
    assert err.startswith("tanggap classify: cannot load model:")
    foreign = tmp_path / "foreign.json"
    foreign.write_text('{"hello": 1}')
    code, _out, err = run("classify", "--model", str(foreign), stdin="")
    assert code == 2 and "not a Tanggap language model" in err


def test_train_with_no_usable_label_fails_with_a_message(tmp_path):
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text('{"text": "a", "topic": "jalan"}\n', encoding="utf-8")
    code, _out, err = run("train", "--input", str(labelled), "--output", str(tmp_path / "m"))
    assert code == 1
    assert err == ("tanggap train: training needs at least two different labels for topic, "
                   "intent or kasar\n")


def test_main_can_be_called_in_process_with_injected_streams():
    import io

    from tanggap.language.cli import main

    out = io.StringIO()
    assert main(["classify"], stdin=io.StringIO('{"id": 1, "text": "banjir"}\n'), stdout=out) == 0
    assert json.loads(out.getvalue())["topic"] == "drainase_banjir"


def test_the_library_never_imports_django():
    code = ("import sys, tanggap.language, tanggap.language.cli; "
            "print(any(m == 'django' or m.startswith('django.') for m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                          env={"PYTHONPATH": str(REPO)}, timeout=30)
    assert done.stdout.strip() == "False"
