"""Scoring shared by the speech benches: Whisper's English text normaliser
(whisper-normalizer) and jiwer's word error rate, lost sentences, and the Markdown table
the reports print. speech_dev.py, asr_profile.py and names.py score with these."""

from __future__ import annotations


def wer(reference: str, hypothesis: str) -> float:
    """jiwer's word error rate of two texts already normalised."""
    from jiwer import wer as jiwer_wer

    return jiwer_wer(reference, hypothesis)


def normaliser():
    from whisper_normalizer.english import EnglishTextNormalizer

    return EnglishTextNormalizer()


def score(passages: list[dict], hypothesis: str) -> dict:
    """WER of the whole output against the whole reference (normalised), and the
    reference sentences of which no word is a hit in that alignment."""
    import jiwer

    norm = normaliser()
    ref_words: list[str] = []
    owner: list[int] = []
    sentences = [s for p in passages for s in p["sentences"]]
    for k, s in enumerate(sentences):
        w = norm(s).split()
        ref_words += w
        owner += [k] * len(w)
    hyp = norm(hypothesis).split()
    out = jiwer.process_words(" ".join(ref_words), " ".join(hyp) or "<empty>")
    hit = [False] * len(ref_words)
    for chunk in out.alignments[0]:
        if chunk.type == "equal":
            for r in range(chunk.ref_start_idx, chunk.ref_end_idx):
                hit[r] = True
    found = [False] * len(sentences)
    for r, k in enumerate(owner):
        found[k] |= hit[r]
    lost = [sentences[k] for k in range(len(sentences)) if not found[k]]
    return {
        "wer": out.wer,
        "ref_words": len(ref_words),
        "errors": out.substitutions + out.deletions + out.insertions,
        "sentences": len(sentences),
        "lost": lost,
    }


def table(headers: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)
