# Two entry points: `make demo` (the main job) and `make test` (every test). Both set up .venv first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: venv demo test sync lint nbtest pytest docs docs-check readme clean

# Create .venv if missing and install the project into it (a line every 20 s while pip works); redone only when the content of pyproject.toml changes
# (its time would not do: nbdev-export rewrites the file, unchanged, on every run).
venv:
	@test -x $(PY) || python3 -m venv $(VENV)
	@if [ "$$(cat $(STAMP) 2>/dev/null)" != "$$(sha256sum < pyproject.toml)" ]; then \
	  echo "installing disentangle-nb and its dependencies into $(VENV) (a few minutes the first time)"; \
	  $(PY) -m pip install -q -e ".[dev]" > $(VENV)/pip.log 2>&1 & pip=$$!; start=$$(date +%s); next=20; \
	  while kill -0 $$pip 2>/dev/null; do sleep 1; elapsed=$$(( $$(date +%s) - start )); \
	    if [ $$elapsed -ge $$next ]; then echo "  installing: $$elapsed s"; next=$$(( next + 20 )); fi; done; \
	  wait $$pip || { cat $(VENV)/pip.log; exit 1; }; \
	  sha256sum < pyproject.toml > $(STAMP); fi

demo: venv
	disentangle-nb demo --out runs/demo

test: sync lint nbtest pytest docs

# Ruff (configured in pyproject.toml) on the library, the notebooks' code cells, the tests and the tools.
lint: venv
	ruff check disentangle_nb nbs tests tools

# nbdev-export, nbdev-clean and the README must leave the tree exactly as committed.
sync: venv
	@before="$$(git status --porcelain --untracked-files=all)"; \
	nbdev-export && nbdev-clean && $(PY) tools/nb2readme.py > /dev/null || exit 1; \
	after="$$(git status --porcelain --untracked-files=all)"; \
	if [ "$$before" != "$$after" ]; then \
	  echo "sync check failed: nbdev-export / nbdev-clean / make readme changed the tree (commit notebooks, library and README together):"; \
	  diff <(echo "$$before") <(echo "$$after"); exit 1; \
	else echo "sync check: notebooks, library and README in sync"; fi

# The tests' models are tiny: one torch thread is faster than two, and does not collapse when another process keeps the cores busy
# (a 20-iteration stage-1 fit of the bars: 46 s with two threads on a loaded 2-core machine, 0.9 s with one).
# So the notebooks, and the pytest files (pytest-xdist), run one torch thread each, as many at once as the machine has cores.
nbtest pytest: export OMP_NUM_THREADS = 1

nbtest: venv
	nbdev-test --n-workers $(shell nproc) --timing

pytest: venv
	@$(PY) -m pytest tests -q -n $(shell nproc); rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest: no tests collected"; elif [ $$rc -ne 0 ]; then exit $$rc; fi

# The website, built into _docs/ (nbdev-docs where Quarto is installed, MkDocs otherwise), then checked in headless Chromium.
docs: venv
	$(PY) tools/build_docs.py
	$(PY) tools/check_docs.py

# The check alone, on the site already built: links, anchors, images, titles, requests and scripts; screenshots in _docs/.
docs-check: venv
	$(PY) tools/check_docs.py

readme: venv
	$(PY) tools/nb2readme.py

clean:
	rm -rf _proc _docs runs/demo
