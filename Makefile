# Two commands for a newcomer: `make run` (the service with a demo event) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHROMIUM ?= /usr/bin/chromium
HOST ?= 127.0.0.1
PORT ?= 8000
# Debian packages the tests need: the browser for end-to-end tests.
TEST_DEBS := chromium

.PHONY: run test bench install install-dev test-system-deps clean

run: install
	$(PY) run.py --demo --host $(HOST) --port $(PORT)

test: install-dev test-system-deps
	KIOSK_TEST_CHROMIUM=$(CHROMIUM) $(PY) -m pytest

bench: install-dev
	cd bench && for b in *.py; do [ "$$b" = common.py ] || ../$(PY) $$b || exit 1; done

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Browser tests drive the system's Chromium; they fail rather than skip without it.
test-system-deps:
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  echo "Installing $(TEST_DEBS) with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(TEST_DEBS) >/dev/null; \
	elif command -v apt-get >/dev/null && sudo -n true 2>/dev/null; then \
	  echo "Installing $(TEST_DEBS) with sudo apt-get"; \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(TEST_DEBS) >/dev/null; \
	else \
	  echo "The browser tests need Chromium at $(CHROMIUM)."; \
	  echo "Install it (Debian/Ubuntu: sudo apt-get install chromium; macOS: brew install --cask chromium)"; \
	  echo "or point at one: make test CHROMIUM=/path/to/chromium"; \
	  exit 1; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
