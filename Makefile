# One command per job. Each target sets up what it needs (virtual environment,
# pinned packages, the embref/coursekit package, MathJax, Chromium) and is
# quick when nothing changed.
#
#   make book     build the book strictly into _build/html (the main job)
#   make test     run every test: reference vs Keras, notebooks, grading, browser
#   make release  regenerate exercises/ from solutions/ with nbgrader
#   make grade    grade a class in the sandbox: make grade ASSIGNMENT=two_views COURSE=path/to/course
#   make sandbox  install bubblewrap (Debian), the sandbox that grading needs
#   make lab      JupyterLab in the course environment (chapters open as notebooks);
#                 make lab COURSE=path/to/course: nbgrader's formgrader on a course
#   make dist     the course package (embref + coursekit) as a wheel, published with the book
#   make bench    print the speed figures of the reference against TensorFlow
#   make bench-grading  grade 40 copies both ways: the course's command vs serial nbgrader
#   make lint     ruff over src/ and tests/
#   make lock     refresh constraints.txt after changing requirements.txt

SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MATHJAX_VERSION := 3.2.2
MATHJAX := book/_static/mathjax/tex-chtml.js
# axe-core audits the rendered book's accessibility in tests/test_book.py; it is
# a test tool, kept out of the published book.
AXE_VERSION := 4.14.1
AXE := .cache/axe/axe.min.js
ASSIGNMENTS := $(notdir $(wildcard solutions/*))
# The wheel of embref + coursekit and the lock, published next to the homework page.
DIST := book/dist
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
WHEEL := $(DIST)/embedding_course-$(VERSION)-py3-none-any.whl
# JupyterLab setting of the course environment: Markdown files (the chapters)
# open as notebooks through jupytext on a double click.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.d/embedding-course.json
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help venv book lab dist test test-fast release grade bench bench-grading lint lock chromium sandbox postgres clean

help:
	@sed -n '1,16p' Makefile | sed 's/^# \{0,1\}//'

venv: $(STAMP)

$(STAMP): requirements.txt constraints.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

$(MATHJAX):
	@mkdir -p .cache/npm book/_static/mathjax
	cd .cache/npm && npm pack --silent mathjax@$(MATHJAX_VERSION) >/dev/null
	tar -xzf .cache/npm/mathjax-$(MATHJAX_VERSION).tgz -C book/_static/mathjax --strip-components=2 \
		package/es5/tex-chtml.js package/es5/output/chtml/fonts/woff-v2
	@touch $@

$(AXE):
	@mkdir -p .cache/npm .cache/axe
	cd .cache/npm && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null
	tar -xzf .cache/npm/axe-core-$(AXE_VERSION).tgz -C .cache/axe --strip-components=1 package/axe.min.js
	@touch $@

# pip builds in the tree (build/, src/*.egg-info): build/ is removed afterwards.
$(WHEEL): $(STAMP) pyproject.toml README.md constraints.txt $(shell find src -name '*.py' -not -path '*/__pycache__/*')
	rm -rf $(DIST) && mkdir -p $(DIST)
	$(BIN)/python -m pip wheel -q --disable-pip-version-check --no-deps --no-build-isolation . -w $(DIST)
	rm -rf build
	cp constraints.txt $(DIST)/constraints.txt

dist: $(WHEEL)

# The chapters not in the execution cache run side by side first (one process per
# core, coursekit.prebuild); Sphinx then finds them all cached.
book: $(STAMP) $(MATHJAX) $(WHEEL)
	$(BIN)/python -m coursekit.prebuild
	$(BIN)/jupyter-book build . --builder html -n -W --keep-going

$(LAB_SETTINGS): $(STAMP) Makefile
	@mkdir -p $(dir $@)
	@echo '{"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}}}' > $@

# nbgrader's formgrader reads nbgrader_config.py from the server's working
# directory, and the course must lie under the server's root: with COURSE, both
# are the course. ARGS go to jupyter lab (e.g. ARGS='--no-browser --port=8890').
# Jupyter refuses to run as root (a container, CI) without --allow-root.
lab: $(STAMP) $(LAB_SETTINGS)
	@if [ "$$(id -u)" = 0 ]; then ROOT=--allow-root; else ROOT=; fi; \
	if [ -n "$(COURSE)" ]; then \
		test -f "$(COURSE)/nbgrader_config.py" || { echo "$(COURSE) is not a course (no nbgrader_config.py): create it with make grade ASSIGNMENT=... COURSE=$(COURSE)"; exit 2; }; \
		cd "$(COURSE)" && exec "$(CURDIR)/$(BIN)/jupyter" lab $$ROOT --ServerApp.root_dir="$$PWD" $(ARGS); \
	else \
		exec $(BIN)/jupyter lab $$ROOT --ServerApp.root_dir="$(CURDIR)" $(ARGS); \
	fi

chromium:
	@command -v chromium >/dev/null || { \
		echo "Installing Debian's chromium for the browser tests"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

sandbox:
	@command -v bwrap >/dev/null || { \
		echo "Installing Debian's bubblewrap: grading runs student code in its sandbox"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq bubblewrap >/dev/null; }

postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		echo "Installing Debian's postgresql: the tests grade a class into a PostgreSQL gradebook"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; }

test: $(STAMP) chromium sandbox postgres book $(AXE)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not book"

release: $(STAMP)
	for a in $(ASSIGNMENTS); do $(BIN)/nbgrader generate_assignment "$$a" --force --no-db; done

grade: $(STAMP)
	@test -n "$(ASSIGNMENT)" && test -n "$(COURSE)" || { echo "usage: make grade ASSIGNMENT=two_views COURSE=path/to/course [ARGS='--regrade | --unprotected']"; exit 2; }
	$(BIN)/python -m coursekit.grading --course "$(COURSE)" --assignment "$(ASSIGNMENT)" $(ARGS)

bench: $(STAMP)
	$(BIN)/python -m coursekit.bench

bench-grading: $(STAMP) sandbox
	$(BIN)/python -m coursekit.bench_grading

lint: $(STAMP)
	$(BIN)/ruff check src tests

lock: $(STAMP)
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip freeze --exclude-editable > constraints.txt

clean:
	rm -rf _build .cache book/_static/mathjax $(DIST)
