"""Topic (and intent, kasar) figures on the project's own citizen messages, cold and trained.

data/messages.tsv was written for the project (see data/README.md). The split is fixed by a
hash of the text: 25 % test. Cold figures are given on all messages and on the test side;
the trained figure fits on the train side only and is measured on the test side only.

    python bench/language/bench_topic.py
"""

from __future__ import annotations

import sys
import time

from common import HERE, REPO, accuracy_macro_f1, is_test, prf

sys.path.insert(0, str(REPO))

from tanggap.language import classify, train  # noqa: E402


def load() -> list[dict]:
    rows = []
    for line in (HERE / "data" / "messages.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        topic, intent, kasar, text = line.split("\t")
        rows.append({"text": text, "topic": topic, "intent": intent, "kasar": kasar == "1"})
    return rows


def report(name: str, rows: list[dict], model=None) -> None:
    results = [classify(row["text"], model=model) for row in rows]
    topic_acc, topic_f1 = accuracy_macro_f1([r["topic"] for r in rows], [t.topic for t in results])
    intent_acc, intent_f1 = accuracy_macro_f1(
        [r["intent"] for r in rows], [t.intent for t in results])
    tp = sum(r["kasar"] and t.kasar for r, t in zip(rows, results, strict=True))
    fp = sum(t.kasar and not r["kasar"] for r, t in zip(rows, results, strict=True))
    fn = sum(r["kasar"] and not t.kasar for r, t in zip(rows, results, strict=True))
    p, rec, f = prf(tp, fp, fn)
    print(f"{name:<34} n={len(rows):<4} topic acc {topic_acc:.3f} macro-F1 {topic_f1:.3f} | "
          f"intent acc {intent_acc:.3f} macro-F1 {intent_f1:.3f} | kasar P {p:.2f} R {rec:.2f}")


def main() -> None:
    rows = load()
    train_rows = [r for r in rows if not is_test(r["text"])]
    test_rows = [r for r in rows if is_test(r["text"])]
    lengths = sorted(len(r["text"]) for r in rows)
    print(f"messages: {len(rows)} (train {len(train_rows)}, test {len(test_rows)}), "
          f"median length {lengths[len(lengths) // 2]} characters, "
          f"{sum(n >= 180 for n in lengths)} of them 180 or longer")
    report("cold, all messages", rows)
    report("cold, test side", test_rows)
    start = time.perf_counter()
    model = train(train_rows)
    print(f"trained on train side in {time.perf_counter() - start:.1f} s")
    report("trained (train side), test side", test_rows, model=model)


if __name__ == "__main__":
    main()
