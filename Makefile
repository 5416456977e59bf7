# Two commands for a newcomer: `make run` (the service with a demo event) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHROMIUM ?= /usr/bin/chromium
HOST ?= 127.0.0.1
PORT ?= 8000
# Debian packages: badge fonts (Latin, Greek, Cyrillic, Arabic, Hebrew; Chinese and
# Japanese) for everyone, and the browser for the end-to-end tests.
# DejaVu Sans Condensed Bold (fonts-dejavu-extra) prints names: 12 letters fit 80 mm at 28 pt.
FONT_DEBS := fonts-dejavu-core fonts-dejavu-extra fonts-wqy-microhei
FONT_FILES := /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf /usr/share/fonts/truetype/wqy/wqy-microhei.ttc \
	/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf
TEST_DEBS := chromium
# npm fetches axe-core (pinned in package-lock.json), which the browser tests inject.
NODE_DEBS := npm
# Server-side badge printing is tested through a real CUPS with the cups-pdf virtual printer.
CUPS_DEBS := cups printer-driver-cups-pdf
# The deployment tests run the shipped deploy/ files: Caddy in front of run.py, and
# systemd-analyze on the units.
DEPLOY_DEBS := caddy systemd

.PHONY: run test bench install install-dev fonts test-system-deps node-deps test-cups clean

run: install fonts
	$(PY) run.py --demo --host $(HOST) --port $(PORT)

test: install-dev fonts test-system-deps test-deploy-deps node-deps test-cups
	$(PY) -m ruff check kiosk badges tests bench run.py
	KIOSK_TEST_CHROMIUM=$(CHROMIUM) $(PY) -m pytest

# floor_app.py is the bare Flask server request_overhead.py starts, not a benchmark itself.
bench: install-dev bench-deps
	cd bench && for b in *.py; do case $$b in common.py|floor_app.py) ;; *) ../$(PY) $$b || exit 1;; esac; done

# wrk drives the request-overhead benchmark (a C load generator leaves the cores to the servers).
.PHONY: bench-deps
bench-deps:
	@command -v wrk >/dev/null || { echo "Installing wrk"; $(call APT_INSTALL,wrk); } || \
	  { echo "bench/request_overhead.py needs wrk (Debian/Ubuntu: apt-get install wrk)"; exit 1; }

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

# Installs Debian packages when this machine allows it (root or password-less sudo).
APT_INSTALL = if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null; \
	elif command -v apt-get >/dev/null && sudo -n true 2>/dev/null; then \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null; \
	else false; fi

# Badges need TrueType fonts; without them non-Latin names cannot be printed.
fonts:
	@for f in $(FONT_FILES); do [ -f $$f ] || missing=1; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing $(FONT_DEBS)"; \
	  { $(call APT_INSTALL,$(FONT_DEBS)); } || { \
	  echo "Could not install fonts. Badges need DejaVu Sans and, for Chinese and Japanese names,"; \
	  echo "WenQuanYi Micro Hei: Debian/Ubuntu: apt-get install $(FONT_DEBS); elsewhere put .ttf"; \
	  echo "files in a folder and set KIOSK_FONT_DIR (see README, Fonts)."; }; \
	fi

# Browser tests drive the system's Chromium; they fail rather than skip without it.
test-system-deps:
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	echo "Installing $(TEST_DEBS)"; \
	if { $(call APT_INSTALL,$(TEST_DEBS)); }; then exit 0; \
	else \
	  echo "The browser tests need Chromium at $(CHROMIUM)."; \
	  echo "Install it (Debian/Ubuntu: sudo apt-get install chromium; macOS: brew install --cask chromium)"; \
	  echo "or point at one: make test CHROMIUM=/path/to/chromium"; \
	  exit 1; \
	fi

# The accessibility test injects node_modules/axe-core/axe.min.js into each page.
node-deps: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "Installing $(NODE_DEBS)"; $(call APT_INSTALL,$(NODE_DEBS)); } || { \
	  echo "The accessibility test needs npm (Debian/Ubuntu: sudo apt-get install npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@
# The printing tests start cupsd themselves when it is not running.
test-cups:
	@if [ -x /usr/sbin/cupsd ] && [ -f /usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd ]; then exit 0; fi; \
	echo "Installing $(CUPS_DEBS)"; \
	if { $(call APT_INSTALL,$(CUPS_DEBS)); }; then exit 0; \
	else echo "The printing tests need CUPS and cups-pdf (Debian/Ubuntu: apt-get install $(CUPS_DEBS))."; exit 1; fi

.PHONY: test-deploy-deps
test-deploy-deps:
	@if command -v caddy >/dev/null && command -v systemd-analyze >/dev/null; then exit 0; fi; \
	echo "Installing $(DEPLOY_DEBS)"; \
	if { $(call APT_INSTALL,$(DEPLOY_DEBS)); }; then exit 0; \
	else \
	  echo "The deployment tests need caddy and systemd-analyze."; \
	  echo "Install them (Debian/Ubuntu: sudo apt-get install $(DEPLOY_DEBS))."; \
	  exit 1; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts node_modules
