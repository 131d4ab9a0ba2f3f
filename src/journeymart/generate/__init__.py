"""Deterministic demo exports for every registry channel, in each channel's native format.

    from journeymart.generate import generate_landing
    summary = generate_landing(landing, start, days, customers, seed)

See docs/demo_data.md for the story the data tells and the planted answers in `_truth.json`.
"""

from journeymart.generate.landing import generate_landing

__all__ = ["generate_landing"]
