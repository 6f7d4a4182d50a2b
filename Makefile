# The single entry point. `make book` builds the book, `make test` runs every test.
# Both create the virtual environment .venv on first use and install requirements.txt.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Written after a successful install; redone when requirements.txt, the project
# files or the compiled kernels' sources change (the editable install builds them).
STAMP  := $(VENV)/.installed
# JupyterLab refuses to start as root unless told to (containers, CI machines).
LAB_FLAGS := $(if $(filter 0,$(shell id -u)),--allow-root)

# The browser tests (tests/test_browser.py) drive Debian's Chromium.
CHROMIUM_HELP := make test needs Chromium for the browser tests. Install it (as root) with:\n\n    apt-get update && apt-get install -y chromium chromium-driver\n

# TensorFlow's C++ start-up log would otherwise fill the terminal and the notebooks.
export TF_CPP_MIN_LOG_LEVEL := 3
# The debugger's "frozen modules" warning, which ipykernel prints on start-up.
export PYDEVD_DISABLE_FILE_VALIDATION := 1

# The notebooks, for `make notebooks` (NB=book/claims.ipynb runs one).
NB ?= $(shell find book -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort)

.PHONY: setup book test test-platforms notebooks lab clean check-chromium wheel

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml setup.py softlearn/_kernels.c softlearn/*.h
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -r requirements.txt
	touch $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo
	@echo "Book built. Open in a browser: $(CURDIR)/_build/html/index.html"

# Before the install, so a machine without Chromium learns it at once.
check-chromium:
	@command -v chromium >/dev/null || { printf '$(CHROMIUM_HELP)' >&2; exit 1; }

# Everything, then the notebooks and doctests once more as a CPU without AVX2
# would compute them (tools/platforms.py; `make test-platforms` runs every variant).
test: check-chromium $(STAMP)
	$(BIN)/ruff check softlearn tests book tools setup.py
	$(BIN)/ruff format --check softlearn tests book tools setup.py
	$(BIN)/mypy
	$(BIN)/python -m pytest
	$(BIN)/python tools/platforms.py x86-64-v2

# A binary wheel with the three kernel builds (any x86-64 CPU, AVX2, AVX-512),
# repaired by auditwheel to the oldest manylinux tag its symbols allow: dist/.
wheel: $(STAMP)
	rm -rf build/wheel dist
	SOFTLEARN_REQUIRE_KERNELS=1 $(BIN)/pip wheel --no-deps --no-build-isolation -w build/wheel .
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/auditwheel repair -w dist build/wheel/softlearn-*.whl
	@echo "Wheel built: $$(ls dist/softlearn-*.whl)"
	@echo "Install it with: pip install $$(ls dist/softlearn-*.whl)"

# Strict nbval and the doctests under every emulated platform.
test-platforms: $(STAMP)
	$(BIN)/python tools/platforms.py

# Re-execute notebooks top to bottom and store their outputs as nbval will see
# them: C-level output (TensorFlow's start-up message, which no setting
# silences) goes to the terminal, since under pytest a kernel cannot capture it.
notebooks: $(STAMP)
	for nb in $(NB); do \
	  $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=1800 \
	    --ExecutePreprocessor.extra_arguments="['--IPKernelApp.capture_fd_output=False']" \
	    $$nb || exit 1; \
	done

lab: $(STAMP)
	$(BIN)/jupyter lab $(LAB_FLAGS) book/

clean:
	rm -rf $(VENV) _build build dist softlearn/*.so *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	find . -name .ipynb_checkpoints -type d -prune -exec rm -rf {} +
