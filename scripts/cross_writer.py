"""Cross-writer evaluation: hold out whole corpus files, train on the rest, score them.

Each corpus file is one writer's work, so a held-out file shows how a model
does on a writer it never saw: the honest proxy for real mail, and how model
choices are made (the test split stays for the final figures). Every held-out
message counts, whatever its split. The spaCy pipelines are trained with the
shipped recipe (dev-tuned thresholds and gate, refit on train + dev) for each
architecture asked for, next to the TF-IDF baseline of EVAL.md.

    python scripts/cross_writer.py --hold-out hu-extra-s.jsonl --hold-out en-extra-i.jsonl \\
        --architecture hashed --architecture averaged

Training takes minutes per architecture and language (`--quick`: 3 epochs).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inbox_triage.nlp.classify import MODEL_LANGUAGES, model_language_of
from inbox_triage.nlp.configs import CONFIGS, DEFAULT_ARCHITECTURE
from inbox_triage.nlp.corpus import Example, load_corpus
from inbox_triage.nlp.metrics import decide, label_scores, macro_f1, privacy_f1
from inbox_triage.nlp.train import (
    TrainingPlan,
    baseline_predictions,
    fit_language,
    predict_scores,
)

ROOT = Path(__file__).resolve().parent.parent


def figures(held_out: list[Example], predicted: list[set[str]]) -> str:
    """Macro-F1 / privacy-vs-not F1, pooled and per held-out file."""
    gold = [set(e.rights) for e in held_out]
    cells = [f"{macro_f1(label_scores(gold, predicted)):.3f} / {privacy_f1(gold, predicted):.3f}"]
    for source in sorted({e.source for e in held_out}):
        picked = [i for i, e in enumerate(held_out) if e.source == source]
        g, p = [gold[i] for i in picked], [predicted[i] for i in picked]
        cells.append(f"{macro_f1(label_scores(g, p)):.3f} / {privacy_f1(g, p):.3f}")
    return " | ".join(cells)


def evaluate_language(
    language: str, examples: list[Example], held: set[str], architectures: list[str], quick: bool
) -> list[str]:
    """Markdown table rows for one model language."""
    routed = [e for e in examples if model_language_of(e.language) == language]
    held_out = [e for e in routed if e.source in held]
    if not held_out:
        return []
    rest = [e for e in routed if e.source not in held and e.split != "test"]
    by_split = {s: [e for e in rest if e.split == s] for s in ("train", "dev")}
    sources = sorted({e.source for e in held_out})
    rows = [
        f"\n### {language} model: {len(held_out)} held-out messages\n",
        "| model | pooled | " + " | ".join(sources) + " |",
        "|---|---" * (len(sources) + 1) + "|",
    ]
    baseline = baseline_predictions({**by_split, "test": held_out})
    if baseline is not None:
        rows.append(f"| TF-IDF baseline | {figures(held_out, baseline)} |")
    for architecture in architectures:
        plan = TrainingPlan(architecture=architecture, epochs=3 if quick else TrainingPlan.epochs)
        nlp, thresholds, gate = fit_language(language, by_split["train"], by_split["dev"], plan)
        predicted = [decide(s, thresholds, gate) for s in predict_scores(nlp, held_out)]
        rows.append(f"| spaCy {architecture} | {figures(held_out, predicted)} |")
        print(rows[-1], file=sys.stderr)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], epilog="Figures: macro-F1 / privacy-vs-not F1."
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        default=ROOT / "data" / "corpus",
        help="directory of *.jsonl corpus files (default: data/corpus)",
    )
    parser.add_argument(
        "--hold-out",
        action="append",
        required=True,
        metavar="FILE",
        help="a corpus file name to hold out (repeatable); its messages are scored, not learnt",
    )
    parser.add_argument(
        "--architecture",
        action="append",
        choices=sorted(CONFIGS),
        help=f"repeatable (default: {DEFAULT_ARCHITECTURE})",
    )
    parser.add_argument("--quick", action="store_true", help="3 epochs, a smoke run")
    args = parser.parse_args(argv)
    examples = load_corpus(args.corpus)
    held = set(args.hold_out)
    unknown = held - {e.source for e in examples}
    if unknown:
        parser.error(f"not a corpus file in {args.corpus}: {', '.join(sorted(unknown))}")
    if any(e.split == "test" for e in examples if e.source in held):
        parser.error("a held-out file has test-split messages: hold out writers, not the test")
    rows = ["## Cross-writer evaluation (macro-F1 / privacy-vs-not F1)"]
    for language in MODEL_LANGUAGES:
        rows += evaluate_language(
            language, examples, held, args.architecture or [DEFAULT_ARCHITECTURE], args.quick
        )
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
