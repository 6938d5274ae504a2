"""Topic (and intent, kasar) figures on the project's own citizen messages, cold and trained.

Two sets, both written for the project (see data/README.md): ``messages.tsv`` (437 messages,
mostly short) and ``letters.tsv`` (258 long letters to the mayor or an office that mix several
matters). Each is split by a hash of the text, 25 % test. Cold figures are given on each set
and on its test side; trained figures fit on train sides only and are measured on test sides
only. ``--curve`` adds a learning curve: accuracy on the joint test side after training on the
first 5, 10, 20, 40 or all train rows of each topic (several seeded draws, averaged).

    python bench/language/bench_topic.py [--curve] [--errors SET] [--side train|test]
"""

from __future__ import annotations

import argparse
import random
import sys
import time

import numpy as np
from common import HERE, REPO, accuracy_macro_f1, is_test, prf

sys.path.insert(0, str(REPO))

import tanggap.language.triage as triage  # noqa: E402
from tanggap.language import TOPICS, classify, classify_many, train  # noqa: E402
from tanggap.language.model import abstention_threshold  # noqa: E402

SETS = ("messages", "letters", "hard")


def load(name: str = "messages") -> list[dict]:
    rows = []
    for line in (HERE / "data" / f"{name}.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        topic, intent, kasar, *_pattern, text = line.split("\t")
        rows.append({"text": text, "topic": topic, "intent": intent, "kasar": kasar == "1",
                     "pattern": _pattern[0] if _pattern else ""})
    return rows


def split(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    return ([r for r in rows if not is_test(r["text"])], [r for r in rows if is_test(r["text"])])


def scores(rows: list[dict], model=None) -> dict[str, float]:
    results = classify_many([row["text"] for row in rows], model=model)
    topic_acc, topic_f1 = accuracy_macro_f1([r["topic"] for r in rows], [t.topic for t in results])
    intent_acc, intent_f1 = accuracy_macro_f1(
        [r["intent"] for r in rows], [t.intent for t in results])
    pairs = list(zip(rows, results, strict=True))
    tp = sum(r["kasar"] and t.kasar for r, t in pairs)
    fp = sum(t.kasar and not r["kasar"] for r, t in pairs)
    fn = sum(r["kasar"] and not t.kasar for r, t in pairs)
    p, rec, _f = prf(tp, fp, fn)
    q_tp = sum(r["intent"] == t.intent == "pertanyaan" for r, t in pairs)
    q_fp = sum(t.intent == "pertanyaan" != r["intent"] for r, t in pairs)
    q_fn = sum(r["intent"] == "pertanyaan" != t.intent for r, t in pairs)
    sure = [(r, t) for r, t in pairs if not t.unsure]
    # The most this confidence ranking could label at 90 % precision on this very set (an
    # oracle threshold, for comparison with what the shipped threshold does).
    _t, best_coverage, _p = abstention_threshold(
        np.array([t.confidence for t in results]),
        np.array([r["topic"] == t.topic and t.confidence > 0 for r, t in pairs]))
    return {"topic_acc": topic_acc, "topic_f1": topic_f1, "intent_acc": intent_acc,
            "intent_f1": intent_f1, "kasar_p": p, "kasar_r": rec,
            "question_f1": prf(q_tp, q_fp, q_fn)[2],
            "coverage": len(sure) / len(pairs),
            "sure_precision": sum(r["topic"] == t.topic for r, t in sure) / max(1, len(sure)),
            "top3": sum(r["topic"] in [x for x, _p in t.top_topics] for r, t in pairs) / len(pairs),
            "coverage90": best_coverage}


def report(name: str, rows: list[dict], model=None) -> None:
    s = scores(rows, model)
    print(f"{name:<38} n={len(rows):<4} topic acc {s['topic_acc']:.3f} macro-F1 "
          f"{s['topic_f1']:.3f} | intent acc {s['intent_acc']:.3f} macro-F1 {s['intent_f1']:.3f}"
          f" question F1 {s['question_f1']:.3f} | labelled {s['coverage']:.0%} at precision "
          f"{s['sure_precision']:.3f} (at most {s['coverage90']:.0%} at 0.90), top-3 "
          f"{s['top3']:.3f}")


def describe(name: str, rows: list[dict], train_rows, test_rows) -> None:
    lengths = sorted(len(r["text"]) for r in rows)
    print(f"{name}: {len(rows)} (train {len(train_rows)}, test {len(test_rows)}), "
          f"median length {lengths[len(lengths) // 2]} characters, "
          f"{sum(n >= 180 for n in lengths)} of them 180 or longer")


def curve(train_rows: list[dict], test_rows: list[dict], draws: int = 5) -> None:
    """Accuracy after training on n rows per topic, as a city's history grows.

    A city's real history cannot be had here, so its "year" is simulated by drawing n train
    rows per topic from the written sets; each n is drawn ``draws`` times with fixed seeds and
    the figures averaged, since which few rows a city happens to have matters a lot.
    """
    by_topic: dict[str, list[dict]] = {}
    for row in train_rows:
        by_topic.setdefault(row["topic"], []).append(row)
    cold = scores(test_rows)
    print(f"learning curve on the joint test side (n={len(test_rows)}), mean of {draws} draws; "
          f"cold: topic acc {cold['topic_acc']:.3f} macro-F1 {cold['topic_f1']:.3f} "
          f"intent acc {cold['intent_acc']:.3f}")
    for per_topic in (5, 10, 20, 40, None):
        accs, f1s, intents, worse = [], [], [], 0
        for seed in range(draws if per_topic else 1):
            rng = random.Random(seed)
            chosen = [row for rows in by_topic.values()
                      for row in (rng.sample(rows, min(per_topic, len(rows)))
                                  if per_topic else rows)]
            model = train(chosen)
            s = scores(test_rows, model)
            accs.append(s["topic_acc"])
            f1s.append(s["topic_f1"])
            intents.append(s["intent_acc"])
            worse += s["topic_acc"] < cold["topic_acc"]
        label = f"{per_topic} per topic" if per_topic else "all train rows"
        print(f"  {label:<16} ({len(chosen):>3} rows)  topic acc {sum(accs) / len(accs):.3f} "
              f"(min {min(accs):.3f})  macro-F1 {sum(f1s) / len(f1s):.3f}  intent acc "
              f"{sum(intents) / len(intents):.3f}  below cold {worse}/{len(accs)}")


def baseline(train_rows: list[dict], test_rows: list[dict], name: str) -> None:
    """A plain TF-IDF (word 1–2-grams + character 2–5-grams) + LinearSVC on the raw text, the
    same split: the figure the trained engine must never fall below."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    texts = [r["text"].lower() for r in train_rows]
    x = hstack([words.fit_transform(texts), chars.fit_transform(texts)]).tocsr()
    tests = [r["text"].lower() for r in test_rows]
    x_test = hstack([words.transform(tests), chars.transform(tests)]).tocsr()
    for head in ("topic", "intent"):
        svm = LinearSVC().fit(x, [r[head] for r in train_rows])
        acc, f1 = accuracy_macro_f1([r[head] for r in test_rows], list(svm.predict(x_test)))
        print(f"baseline TF-IDF word+char + LinearSVC, {name}: {head} acc {acc:.3f} "
              f"macro-F1 {f1:.3f}")


def fit_cold(train_rows: list[dict], test_rows: list[dict]) -> None:
    """Fit the cold temperature and abstention threshold on the train sides (the constants in
    triage.py) and show how calibrated the cold confidence is on both sides."""
    from scipy.optimize import minimize_scalar

    def rule_shares(rows):
        reads = [triage._read(row["text"]) for row in rows]
        scores = triage._scores([r.topics for r in reads], TOPICS)
        gold = np.array([TOPICS.index(row["topic"]) for row in rows])
        fired = scores.any(axis=1)
        return np.log(triage._shares(scores[fired])), gold[fired]

    def probabilities(logs, temperature):
        logits = temperature * logs
        exps = np.exp(logits - logits.max(axis=1, keepdims=True))
        return exps / exps.sum(axis=1, keepdims=True)

    logs, gold = rule_shares(train_rows)
    rows = np.arange(len(gold))
    fitted = minimize_scalar(
        lambda t: -np.log(probabilities(logs, t)[rows, gold]).mean(), bounds=(0.1, 20),
        method="bounded").x
    probs = probabilities(logs, round(fitted, 2))
    threshold = abstention_threshold(probs.max(axis=1), probs.argmax(axis=1) == gold)[0]
    print(f"COLD_TEMPERATURE = {fitted:.2f}\nCOLD_TOPIC_THRESHOLD = {threshold:.3f}  "
          f"(fitted on {len(gold)} train-side rows where a rule fired)")
    for side, rows_ in (("train", train_rows), ("test", test_rows)):
        logs, gold = rule_shares(rows_)
        probs = probabilities(logs, round(fitted, 2))
        confidence, right = probs.max(axis=1), probs.argmax(axis=1) == gold
        print(f"  {side} side: reliability (confidence bin: rows, right, mean confidence)")
        for low, high in ((0, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.01)):
            inside = (confidence >= low) & (confidence < high)
            if inside.any():
                print(f"    {low:.1f}-{min(high, 1):.1f}: {inside.sum():4d}  "
                      f"{right[inside].mean():.3f}  {confidence[inside].mean():.3f}")


def errors(rows: list[dict]) -> None:
    for row in rows:
        result = classify(row["text"])
        if result.topic != row["topic"] or result.intent != row["intent"]:
            print(f"  {row['topic']}/{row['intent']} -> {result.topic}/{result.intent}: "
                  f"{row['text'][:150]}  {result.reasons}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--curve", action="store_true", help="print the learning curve")
    parser.add_argument("--errors", choices=SETS, help="print cold errors of one set")
    parser.add_argument("--side", choices=("train", "test"), default="train",
                        help="which side --errors prints (tune on train only)")
    parser.add_argument("--fit-cold", action="store_true",
                        help="fit the cold calibration on the train sides and stop")
    args = parser.parse_args()
    if args.fit_cold:
        sides = [split(load(name)) for name in SETS]
        fit_cold([r for tr, _te in sides for r in tr], [r for _tr, te in sides for r in te])
        return
    print(f"command: python bench/language/bench_topic.py {' '.join(sys.argv[1:])}")
    joint_train, joint_test = [], []
    sides = {}
    for name in SETS:
        rows = load(name)
        train_rows, test_rows = sides[name] = split(rows)
        joint_train += train_rows
        joint_test += test_rows
        describe(name, rows, train_rows, test_rows)
        report(f"cold, {name}, all", rows)
        report(f"cold, {name}, test side", test_rows)
        if args.errors == name:
            errors(train_rows if args.side == "train" else test_rows)
    start = time.perf_counter()
    model = train(joint_train)
    print(f"trained on the joint train side ({len(joint_train)} rows) in "
          f"{time.perf_counter() - start:.1f} s; cross-validated on those rows: "
          f"{model.heads['topic'].report}")
    hard_test = sides["hard"][1]
    report("cold, joint test side", joint_test)
    report("trained (all train sides), joint test", joint_test, model=model)
    report("cold, hard test side", hard_test)
    report("trained (all train sides), hard test", hard_test, model=model)
    baseline(joint_train, joint_test, "joint test side")
    baseline(joint_train, hard_test, "hard test side")
    if args.curve:
        curve(joint_train, joint_test)


if __name__ == "__main__":
    main()
