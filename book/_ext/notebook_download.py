"""Offer every chapter as a Jupyter notebook in the page's download menu.

The chapters are MyST Markdown notebooks (a jupytext header, ``{code-cell}``
cells). sphinx-book-theme lists a ``.ipynb`` download only when its launch
buttons (Binder, Colab...) are configured, and then copies the *executed*
notebook, outputs included. This extension writes, for each chapter, the
notebook jupytext makes from the chapter's source, without outputs, execution
counts or any other metadata than the kernel and jupytext's own, to
``_sources/<page>.ipynb`` next to the ``.md`` the menu already offers, and
adds it to the menu. Everything happens locally at build time: no network.

Only pages whose source is a Markdown notebook (a ``.md`` file with a
``kernelspec`` in its jupytext header) under ``book/`` get one; the homework
pages are notebooks already (their source download is the released
exercises/ file) and nothing outside ``book/`` is converted.
"""

from __future__ import annotations

from pathlib import Path

SECTION = "book/"  # only chapters: never exercises/, never solutions/
KEEP_METADATA = ("kernelspec", "jupytext")


def chapter_notebook(source: Path):
    """The chapter as a notebook without outputs, or None if it is not a notebook."""
    import jupytext

    text = source.read_text(encoding="utf-8")
    if not text.startswith("---") or "kernelspec:" not in text.split("\n---", 2)[0]:
        return None
    notebook = jupytext.reads(text, fmt="md:myst")
    notebook.metadata = {k: v for k, v in notebook.metadata.items() if k in KEEP_METADATA}
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return notebook


def add_notebook_download(app, pagename, templatename, context, doctree):
    """Write the page's notebook to _sources/ and tell the theme to offer it."""
    if not pagename.startswith(SECTION) or doctree is None:
        return
    source = Path(app.env.doc2path(pagename))
    if source.suffix != ".md":
        return
    notebook = chapter_notebook(source)
    if notebook is None:
        return
    import jupytext

    target = Path(app.outdir, "_sources", pagename + ".ipynb")
    target.parent.mkdir(parents=True, exist_ok=True)
    jupytext.write(notebook, target, fmt="ipynb")
    context["ipynb_source"] = pagename + ".ipynb"  # read by sphinx-book-theme's menu


def setup(app):
    # Before sphinx-book-theme builds the download menu (priority 501).
    app.connect("html-page-context", add_notebook_download, priority=500)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
