"""The canonical emotion vocabulary, shared by the studio, datasets, models and the web app."""

# The dissertation's six (happy, angry, surprise, sad, fear, disgust) plus neutral, in the one order
# used wherever an order is needed: class indices, report columns, chart colours.
EMOTIONS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")

# The dissertation's three-emotion task, for experiments that reproduce it.
DISSERTATION_EMOTIONS: tuple[str, ...] = ("angry", "happy", "surprise")


def emotion_order(names) -> list[str]:
    """Return the given emotion names sorted into canonical order; unknown names raise ValueError."""
    unknown = sorted(set(names) - set(EMOTIONS))
    if unknown:
        raise ValueError(f"unknown emotion(s): {', '.join(unknown)}; expected some of {', '.join(EMOTIONS)}")
    return [e for e in EMOTIONS if e in set(names)]
