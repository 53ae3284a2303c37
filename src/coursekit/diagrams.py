"""The book's figures: one size and style for all, a layer stack, the two views.

Every figure of the book is drawn ``FIGURE_WIDTH`` inches wide and shown as
wide as the text column, so one inch of every figure covers the same width
on the page and a font size means the same everywhere (about 15 px for 10 pt
at 1280 px, 7.5 px on a 390 px phone, where the image opens full size when
tapped). ``book_style()`` sets the matching Matplotlib defaults: call it
before drawing a figure.

A stack of layers is drawn as a strip of boxes.

A stack is read left to right: a tensor box (its shape), then a layer box
(its name and parameter count), then the tensor that layer returns, and so
on. Shapes and counts are passed in, never computed here, so a figure shows
exactly what the model reported. ``layer_rows`` reads them from a built
Keras model.

Example (no Keras needed)::

    fig = stack_figure((None, 3), [("Embedding", (None, 3, 2), 10),
                                   ("Flatten", (None, 6), 0),
                                   ("Dense", (None, 1), 7)])
    # or, on an Axes of your own: draw_stack(ax, (None, 3), rows)

With a Keras model: ``stack_figure((None, T), layer_rows(model))``.
"""

from __future__ import annotations

from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle
from matplotlib.path import Path

FIGURE_WIDTH = 6.4  # inches: every figure is this wide and shown as wide as the column
FIGURE_DPI = 160  # 1024 px: sharper than the 672 px column at 1280 px, tapped open on a phone
BOOK_RC = {
    "figure.dpi": FIGURE_DPI,
    "figure.figsize": (FIGURE_WIDTH, 4.0),
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
}


def book_style() -> None:
    """Set Matplotlib's defaults to the book's: figure width, resolution and font sizes."""
    import matplotlib

    matplotlib.rcParams.update(BOOK_RC)


TENSOR_COLOUR = "#dbe9f6"  # light blue: data
LAYER_COLOUR = "#fde3c4"  # light orange: a layer with (maybe) weights
EDGE_COLOUR = "#444444"


def shape_text(shape) -> str:
    """A shape as ``model.summary()`` writes it: ``(None, 3, 2)``."""
    parts = ["None" if d is None else str(int(d)) for d in shape]
    return "(" + ", ".join(parts) + (",)" if len(parts) == 1 else ")")


def layer_rows(model) -> list[tuple]:
    """``(label, output_shape, params)`` for each layer of a built Keras model.

    The label is the layer's class name; the shape is the layer's symbolic
    output shape (batch axis None) and the count is ``count_params()``.
    """
    return [
        (type(layer).__name__, tuple(layer.output.shape), layer.count_params())
        for layer in model.layers
    ]


def _boxes(input_shape, rows, input_label, output_label):
    """The strip's boxes in order: (kind, main text, text under or inside, width)."""
    boxes = [("tensor", shape_text(input_shape), input_label)]
    for label, shape, params in rows:
        unit = "parameter" if params == 1 else "parameters"
        boxes.append(("layer", label, f"{params:,} {unit}"))
        boxes.append(("tensor", shape_text(shape), None))
    boxes[-1] = boxes[-1][:2] + (output_label,)
    sized = []
    for kind, main, sub in boxes:
        if kind == "tensor":  # monospace shape text
            width = 0.105 * len(main) + 0.3
        else:  # bold label over a smaller parameter count
            width = max(0.1 * len(main), 0.082 * len(sub)) + 0.3
        sized.append((kind, main, sub, max(1.0, width)))
    return sized


GAP = 0.42  # space for the arrow between two boxes
HEIGHT = 0.62
ROW_PITCH = HEIGHT + 0.78  # from one row of boxes to the next when a strip wraps
SCALE = 0.9  # inches per unit of drawing; the font sizes below are for this scale


def _strip_width(boxes) -> float:
    return sum(box[3] for box in boxes) + GAP * (len(boxes) - 1)


def _wrap(boxes, max_width):
    """Split the boxes into as few rows as fit ``max_width`` units, as evenly as possible."""
    from itertools import combinations

    count, row = 1, []
    for box in boxes:  # greedy: the fewest rows
        if row and _strip_width(row + [box]) > max_width:
            count, row = count + 1, []
        row.append(box)
    splits = combinations(range(1, len(boxes)), count - 1)
    best = min(splits, key=lambda cut: max(  # the narrowest widest row
        _strip_width(boxes[a:b]) for a, b in zip((0, *cut), (*cut, len(boxes)), strict=True)))
    return [boxes[a:b] for a, b in zip((0, *best), (*best, len(boxes)), strict=True)]


def draw_stack(ax, input_shape, rows, input_label="input ids", output_label="output",
               title=None, max_width=None, font_scale=1.0):
    """Draw one stack on ``ax``: tensors as blue boxes, layers as orange boxes.

    Args:
        ax: a matplotlib Axes; its axis lines are turned off.
        input_shape: shape of the model's input, batch axis included, e.g. (None, 3).
        rows: list of ``(label, output_shape, params)``, one per layer, in order.
        input_label: text under the first tensor box.
        output_label: text under the last tensor box.
        title: optional title above the strip.
        max_width: Float or None. Width in drawing units after which the strip
            wraps onto a new row (an arrow leads from the end of one row to the
            start of the next); None: one row.
        font_scale: Float. Factor on the font sizes (10 pt at 1.0), to keep
            text and boxes in proportion when the figure's scale changes.
    """
    boxes = _boxes(input_shape, rows, input_label, output_label)
    lines = _wrap(boxes, max_width) if max_width else [boxes]
    big, small = 10 * font_scale, 9 * font_scale
    height, previous = HEIGHT, None
    for r, line in enumerate(lines):
        x, y0 = 0.0, -r * ROW_PITCH
        for i, (kind, main, sub, width) in enumerate(line):
            colour = TENSOR_COLOUR if kind == "tensor" else LAYER_COLOUR
            style = "round,pad=0.02,rounding_size=0.12" if kind == "layer" else "square,pad=0.02"
            ax.add_patch(
                FancyBboxPatch((x, y0), width, height, boxstyle=style,
                               facecolor=colour, edgecolor=EDGE_COLOUR, linewidth=1.2)
            )
            if kind == "tensor":
                ax.text(x + width / 2, y0 + height / 2, main, ha="center", va="center",
                        fontsize=big, family="monospace")
                if sub:
                    ax.text(x + width / 2, y0 - 0.12, sub, ha="center", va="top",
                            fontsize=small, color="#333333")
            else:
                ax.text(x + width / 2, y0 + height * 0.64, main, ha="center", va="center",
                        fontsize=big, weight="bold")
                ax.text(x + width / 2, y0 + height * 0.3, sub, ha="center", va="center",
                        fontsize=small)
            if i:
                ax.add_patch(
                    FancyArrowPatch((x - GAP + 0.03, y0 + height / 2),
                                    (x - 0.03, y0 + height / 2),
                                    arrowstyle="-|>", mutation_scale=12, color=EDGE_COLOUR)
                )
            elif previous is not None:  # from the end of the row above, down and back
                px, py = previous
                mid = y0 + height + (ROW_PITCH - height) * 0.3
                path = Path([(px, py - 0.03), (px, mid), (x + width / 2, mid),
                             (x + width / 2, y0 + height + 0.05)],
                            [Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO])
                ax.add_patch(FancyArrowPatch(path=path, arrowstyle="-|>", mutation_scale=12,
                                             color=EDGE_COLOUR, linewidth=1.0))
            x += width + GAP
        previous = (x - GAP - line[-1][3] / 2, y0)
    widest = max(_strip_width(line) for line in lines)
    ax.set_xlim(-0.1, max(widest, max_width or 0) + 0.1)
    ax.set_ylim(-(len(lines) - 1) * ROW_PITCH - 0.45, height + 0.25)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=11 * font_scale, loc="left")
    return ax


def stack_figure(input_shape, rows, title=None, scale=SCALE, input_label="input ids",
                 output_label="output", width=FIGURE_WIDTH):
    """A new figure holding one ``draw_stack`` strip, at the book's width and scale.

    Every strip is drawn at the same scale (boxes and text the same size in
    every figure) on a figure ``width`` inches wide; a strip longer than that
    wraps onto further rows.

    Args:
        input_shape, rows, title, input_label, output_label: as for ``draw_stack``.
        scale: inches per unit of drawing (a tensor box is about 1.5 units wide).
        width: the figure's width in inches (the book's ``FIGURE_WIDTH``).

    Returns:
        The matplotlib Figure (close it after use).
    """
    import matplotlib.pyplot as plt

    units = width / scale - 0.2
    lines = len(_wrap(_boxes(input_shape, rows, input_label, output_label), units))
    tall = HEIGHT + 0.7 + (lines - 1) * ROW_PITCH + (0.2 if title else 0)
    fig, ax = plt.subplots(figsize=(width, tall * scale + 0.1), dpi=FIGURE_DPI)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.88 if title else 0.98)
    draw_stack(ax, input_shape, rows, input_label=input_label, output_label=output_label,
               title=title, max_width=units, font_scale=scale / 0.85)
    _keep_frame(ax)
    return fig


def _keep_frame(ax):
    """An invisible box over the whole Axes, so that Jupyter's tight crop keeps the
    figure's full width (and with it the book's common scale)."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, linewidth=0))


PICK_COLOUR = "#fdb863"  # orange: the id, the row it selects, the row it gives
CELL_COLOUR = "#f3f3f3"


def _cells(ax, x, y, values, pick=None, fontsize=15, fmt="{:.1f}"):
    """A row of cells with numbers, left edge ``x``, centre height ``y``; ``pick`` all orange."""
    for j, value in enumerate(values):
        ax.add_patch(Rectangle((x + j, y - 0.5), 1, 1, facecolor=PICK_COLOUR if pick
                               else CELL_COLOUR, edgecolor=EDGE_COLOUR, linewidth=1.0))
        ax.text(x + j + 0.5, y, fmt.format(value), ha="center", va="center",
                fontsize=fontsize)


def two_views_figure(W, index, width=FIGURE_WIDTH):
    """The two views of the layer on one id: one-hot row times W, and the lookup W[id].

    Top: the one-hot row of ``index`` (a 1 in column ``index``) times ``W``
    gives row ``index`` of ``W``. Bottom: the lookup takes that row directly.
    The id's cell, the row of ``W`` it selects and the result are orange.

    Args:
        W: array-like of shape (V, D), small (V, D up to about 6): every number
            is written in its cell, with one decimal.
        index: Integer. The id, ``0 <= index < V``.
        width: the figure's width in inches (the book's ``FIGURE_WIDTH``).

    Returns:
        The matplotlib Figure (close it after use).
    """
    import matplotlib.pyplot as plt
    import numpy as np

    W = np.asarray(W, dtype=float)  # (V, D)
    V, D = W.shape
    if not 0 <= index < V:
        raise ValueError(f"index must be in [0, {V}). Received: index={index}")
    gap = 1.7  # between blocks: an operator sign and, before W, the row numbers
    x_w = V + gap  # left edge of W
    x_out = x_w + D + gap  # left edge of the result
    total = x_out + D
    top_b = -(V + 3.2)  # top row of W in the lower panel
    fig_height = 2 * V + 6.2  # units: two panels, titles, labels under the blocks
    unit = width / (total + 0.4)
    fig, ax = plt.subplots(figsize=(width, fig_height * unit), dpi=FIGURE_DPI)
    fig.subplots_adjust(left=0, right=1, bottom=0, top=1)
    small, big = 12, 15

    def draw_w(top):
        for v in range(V):
            _cells(ax, x_w, top - v, W[v], pick=v == index, fontsize=big)
            ax.text(x_w - 0.2, top - v, str(v), ha="right", va="center", fontsize=small,
                    color="#555555")
        return top - V + 0.5  # bottom edge

    # Upper panel: one-hot row x W = row of W.
    ax.text(-0.2, 1.5, "one-hot × W", fontsize=big + 1, weight="bold", va="center")
    bottom = draw_w(0)
    mid = (1 - V) / 2  # centre height of W
    for v in range(V):
        ax.add_patch(Rectangle((v, mid - 0.5), 1, 1, facecolor=PICK_COLOUR if v == index
                               else CELL_COLOUR, edgecolor=EDGE_COLOUR, linewidth=1.0))
        ax.text(v + 0.5, mid, "1" if v == index else "0", ha="center", va="center",
                fontsize=big)
        ax.text(v + 0.5, mid + 0.75, str(v), ha="center", va="center", fontsize=small,
                color="#555555")
    ax.text(V + 0.55, mid, "×", ha="center", va="center", fontsize=big + 5)
    ax.text(x_w + D + gap / 2, mid, "=", ha="center", va="center", fontsize=big + 5)
    _cells(ax, x_out, mid, W[index], pick=True, fontsize=big)
    under = bottom - 0.35
    ax.text(V / 2, mid - 0.9, f"one-hot of id {index}\n(1 × V)", ha="center", va="top",
            fontsize=small)
    ax.text(x_w + D / 2, under, f"W  ({V} × {D})", ha="center", va="top", fontsize=small)
    ax.text(x_out + D / 2, mid - 0.9, f"row {index} of W\n(1 × D)", ha="center",
            va="top", fontsize=small)

    # Lower panel: the lookup W[id] takes the row.
    ax.text(-0.2, top_b + 1.5, f"lookup W[{index}]", fontsize=big + 1, weight="bold",
            va="center")
    bottom = draw_w(top_b)
    y = top_b - index  # the selected row
    ax.add_patch(Rectangle((V - 1, y - 0.5), 1, 1, facecolor=PICK_COLOUR,
                           edgecolor=EDGE_COLOUR, linewidth=1.0))
    ax.text(V - 0.5, y, str(index), ha="center", va="center", fontsize=big)
    ax.text(V - 0.5, y + 0.75, "id", ha="center", va="center", fontsize=small,
            color="#555555")
    arrow = dict(arrowstyle="-|>", mutation_scale=14, color=EDGE_COLOUR, linewidth=1.4)
    ax.add_patch(FancyArrowPatch((V + 0.05, y), (x_w - 0.65, y), **arrow))
    ax.add_patch(FancyArrowPatch((x_w + D + 0.05, y), (x_out - 0.05, y), **arrow))
    _cells(ax, x_out, y, W[index], pick=True, fontsize=big)
    ax.text(x_w + D / 2, bottom - 0.35, f"W  ({V} × {D})", ha="center", va="top",
            fontsize=small)
    ax.text(x_out + D / 2, y - 0.9, f"W[{index}], the same row", ha="center", va="top",
            fontsize=small)

    ax.set_xlim(-0.2, total + 0.2)
    ax.set_ylim(2.3 - fig_height, 2.3)
    ax.set_aspect("equal")
    ax.axis("off")
    _keep_frame(ax)
    return fig
