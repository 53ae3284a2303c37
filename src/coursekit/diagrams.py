"""Draw a stack of layers as a strip of boxes, for the book's figures.

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

from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

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


def _strip_width(boxes) -> float:
    return sum(box[3] for box in boxes) + GAP * (len(boxes) - 1)


def draw_stack(ax, input_shape, rows, input_label="input ids", output_label="output",
               title=None):
    """Draw one stack on ``ax``: tensors as blue boxes, layers as orange boxes.

    Args:
        ax: a matplotlib Axes; its axis lines are turned off.
        input_shape: shape of the model's input, batch axis included, e.g. (None, 3).
        rows: list of ``(label, output_shape, params)``, one per layer, in order.
        input_label: text under the first tensor box.
        output_label: text under the last tensor box.
        title: optional title above the strip.
    """
    boxes = _boxes(input_shape, rows, input_label, output_label)
    height, x = HEIGHT, 0.0
    for i, (kind, main, sub, width) in enumerate(boxes):
        colour = TENSOR_COLOUR if kind == "tensor" else LAYER_COLOUR
        style = "round,pad=0.02,rounding_size=0.12" if kind == "layer" else "square,pad=0.02"
        ax.add_patch(
            FancyBboxPatch((x, 0), width, height, boxstyle=style,
                           facecolor=colour, edgecolor=EDGE_COLOUR, linewidth=1.2)
        )
        if kind == "tensor":
            ax.text(x + width / 2, height / 2, main, ha="center", va="center",
                    fontsize=10, family="monospace")
            if sub:
                ax.text(x + width / 2, -0.12, sub, ha="center", va="top", fontsize=9,
                        color="#333333")
        else:
            ax.text(x + width / 2, height * 0.64, main, ha="center", va="center",
                    fontsize=10, weight="bold")
            ax.text(x + width / 2, height * 0.3, sub, ha="center", va="center", fontsize=9)
        if i:
            ax.add_patch(
                FancyArrowPatch((x - GAP + 0.03, height / 2), (x - 0.03, height / 2),
                                arrowstyle="-|>", mutation_scale=12, color=EDGE_COLOUR)
            )
        x += width + GAP
    ax.set_xlim(-0.1, _strip_width(boxes) + 0.1)
    ax.set_ylim(-0.45, height + 0.25)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=11, loc="left")
    return ax


def stack_figure(input_shape, rows, title=None, scale=0.85, input_label="input ids",
                 output_label="output"):
    """A new figure holding one ``draw_stack`` strip, sized so its text fits.

    Args:
        input_shape, rows, title, input_label, output_label: as for ``draw_stack``.
        scale: inches per unit of drawing (a tensor box is about 1.5 units wide).

    Returns:
        The matplotlib Figure (close it after use).
    """
    import matplotlib.pyplot as plt

    total = _strip_width(_boxes(input_shape, rows, input_label, output_label)) + 0.2
    fig, ax = plt.subplots(figsize=(total * scale, (1.32 if title else 1.12) * scale + 0.15))
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.85 if title else 0.98)
    draw_stack(ax, input_shape, rows, input_label=input_label, output_label=output_label,
               title=title)
    return fig
