# Two set-up commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 5000
export FLASK_APP := run.py

.PHONY: run test screenshots venv translations db clean chromium vendor-zxing

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

venv: $(VENV)/.installed

translations: venv
	$(VENV)/bin/pybabel compile -f -d translations

db: venv translations
	$(VENV)/bin/flask db upgrade heads
	$(VENV)/bin/flask roles sync
	$(VENV)/bin/flask demo-data
	$(VENV)/bin/flask support seed-faq
	$(VENV)/bin/flask records seed-testers

run: db
	@echo ""
	@echo "Keizoku: http://127.0.0.1:$(PORT)/"
	@echo "デモ用ログイン(パスワードはすべて Demo-Pass-2026):"
	@echo "  協会管理者 kyokai-admin / 協会サポート kyokai-staff"
	@echo "  さくらモータース: sakura-manager, sakura-inspector, sakura-clerk"
	@echo "  みどり自動車:     midori-manager, midori-inspector, midori-clerk"
	@echo ""
	PORT=$(PORT) PUBLIC_BASE_URL=http://127.0.0.1:$(PORT) $(PY) run.py --with-services

# The real-browser tests drive Debian's Chromium (no browser download at test time), with a
# Japanese font so pages and screenshots show characters, not boxes.
CHROMIUM_PACKAGES := chromium chromium-l10n fonts-ipaexfont
chromium:
	@{ command -v chromium >/dev/null 2>&1 && dpkg -s $(CHROMIUM_PACKAGES) >/dev/null 2>&1; } || { \
	  if [ "$$(id -u)" = "0" ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(CHROMIUM_PACKAGES); \
	  else \
	    echo "Chromium か日本語フォントが見つかりません。次のコマンドでインストールしてください: sudo apt-get install $(CHROMIUM_PACKAGES)"; \
	    exit 1; \
	  fi; }

test: venv translations chromium
	$(VENV)/bin/pytest

# Rewrites docs/screenshots/ from the browser tests (make test leaves them alone).
screenshots: venv translations chromium
	KEIZOKU_SCREENSHOTS=1 $(VENV)/bin/pytest tests/browser

# The camera's QR decoder, vendored under app/static/vendor/zxing-wasm/ (pinned; needs npm).
vendor-zxing:
	scripts/vendor_zxing_wasm.sh

clean:
	rm -rf $(VENV) instance/*.db
