"""How deep WeChat lets elements nest, in one place: the renderer flattens what would go
deeper, `wxpub lint` reports where it did (RENDER003), and `--check` (STRUCT012) measures
rendered HTML by the same numbers.

WeChat's structure checker (verify-article-structure-spec, engine/nest.ts) numbers every
element by its depth: the container it puts the article into is level 1, so the article's
outer <section> is level 2 and the body's top-level blocks are level 3. An element at level
15 or deeper makes the editor strip "redundant" layers, which the checker reports as
nestNodes. Everything here keeps the deepest element at level 14.
"""

from __future__ import annotations

# The first level WeChat's editor starts removing layers at (engine/nest.ts, MAX_STYLE_LEVEL)
OFFICIAL_MAX_LEVEL = 15
# The body's elements are written inside the theme's article <section> (level 2): an element
# written directly in it (at depth 0) is level 3.
ARTICLE_LEVEL = 2
# What a container (quote, list) must leave below itself: a paragraph and one inline element
# (a <strong>, a <code>, a link's [n]). Past that the container is flattened, not its text.
LEAF_RESERVE = 2


def level_allowed(level: int) -> bool:
    """Whether an element at this engine level (its container = 1) survives WeChat's editor."""
    return level < OFFICIAL_MAX_LEVEL


def room(depth: int) -> int:
    """How many more elements can open, one inside the other, inside a body element at
    `depth` (0 = directly in the article section)."""
    return OFFICIAL_MAX_LEVEL - 1 - ARTICLE_LEVEL - depth


def fits(depth: int, levels: int) -> bool:
    """Whether `levels` more elements can open inside a body element at `depth`."""
    return levels <= room(depth)


def container_fits(depth: int, levels: int) -> bool:
    """Whether a container of `levels` elements (a quote is 1, a list and its item 2) can open
    at `depth` and still hold a paragraph with inline formatting."""
    return fits(depth, levels + LEAF_RESERVE)
