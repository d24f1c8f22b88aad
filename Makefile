# Attention Anatomy: the two commands of the README, and what they need.
#   make note   install everything, then build the note (paper/build/note.pdf)
#   make test   install everything, then run the test suite
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
SNAKEMAKE := $(VENV)/bin/snakemake
CORES ?= all
PROFILE ?= default
# torch and torchvision must be a matching pair (timm imports torchvision).
TORCH_PINS ?= torch==2.14.1 torchvision==0.29.1
TEX_PACKAGES := latexmk texlive-latex-recommended texlive-latex-extra \
	texlive-fonts-recommended texlive-science lmodern poppler-utils

.PHONY: note test test-pipeline smoke mutants install tex slurm slurm-smoke lint clean help

help:
	@echo "make note    install everything and build the note (PROFILE=$(PROFILE), CORES=$(CORES))"
	@echo "make test    install everything and run the test suite"
	@echo "make test-pipeline  the end-to-end tests of the smoke DAG and the result cache"
	@echo "make smoke   build the note with the smoke profile (CI)"
	@echo "make slurm-smoke  the smoke note through a local Slurm cluster (after make smoke; root)"

note: install tex
	$(SNAKEMAKE) --cores $(CORES) --configfile config/$(PROFILE).yaml

smoke: PROFILE = smoke
smoke: note

test: install tex
	$(PY) -m pytest

# The end-to-end tests: the smoke DAG built in a copy of the repository, then edited, rerun,
# reported and archived (tests/test_pipeline.py), and the shared result cache (tests/test_cache.py).
test-pipeline: install tex
	$(PY) -m pytest -m pipeline

# The smoke note through a single-node Slurm cluster on this machine (root; Debian's packages),
# compared byte for byte with the local smoke build: run `make smoke` first (tests/test_slurm.py).
slurm-smoke: install tex slurm
	$(PY) -m pytest -m cluster -s tests/test_slurm.py

# Slurm, MariaDB and munge from Debian's packages: installed when missing and we are root.
slurm:
	@if command -v slurmctld >/dev/null && command -v slurmdbd >/dev/null && command -v munged >/dev/null && command -v mariadbd >/dev/null; then \
		true; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		workflow/cluster/local_slurm.sh install; \
	else \
		echo "Slurm is missing; as root: workflow/cluster/local_slurm.sh install"; exit 1; \
	fi

# Plant small bugs in a copy of src/ and check that the unit tests catch each (tests/test_mutants.py).
mutants: install
	$(PY) -m pytest -m slow tests/test_mutants.py

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

install: $(VENV)/.installed

# torch's x86_64 wheel brings CUDA libraries: the virtual environment takes about 6.5 GB.
NEED_FREE_GB ?= 8

$(VENV)/.installed: pyproject.toml
	@free=$$(df -Pk . | awk 'NR==2 {print int($$4 / 1048576)}'); \
	if [ "$$free" -lt $(NEED_FREE_GB) ]; then \
		echo "only $$free GB free here; the install needs about $(NEED_FREE_GB) GB (df -h .)"; exit 1; \
	fi
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --no-cache-dir $(TORCH_PINS)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# TeX Live from Debian's packages: installed when missing and we are root, else the command.
tex:
	@if command -v latexmk >/dev/null && command -v pdftotext >/dev/null && kpsewhich booktabs.sty fancyhdr.sty placeins.sty >/dev/null; then \
		true; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(TEX_PACKAGES); \
	else \
		echo "TeX Live is missing. Install it with:"; \
		echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends $(TEX_PACKAGES)"; \
		exit 1; \
	fi

clean:
	rm -rf data/results data/notebooks data/logs data/benchmarks figures/*.pdf figures/*.png report.html \
		paper/generated paper/build
