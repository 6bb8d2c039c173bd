# The two commands a fresh machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi:app
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint translations messages bench clean install install-dev

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# compiled catalogs are build output, made from translations/*/LC_MESSAGES/messages.po
translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d translations

run: translations
	CONSULT_ENV=development $(BIN)/flask db upgrade
	CONSULT_ENV=development $(BIN)/flask demo load
	@echo ""
	@echo "  Consult is running at http://$(HOST):$(PORT)/"
	@echo "  Sign in as the demo organizer: organizer@demo.consult.example / consult-demo-2020"
	@echo "  (admin: admin@demo.consult.example, same password)"
	@echo ""
	CONSULT_ENV=development $(BIN)/flask run --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-dev translations
	$(BIN)/ruff check consult tests bench config.py wsgi.py
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check consult tests bench config.py wsgi.py

# after changing user-facing text: extract, then merge into every catalog
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k pgettext:1c,2 -k lazy_pgettext:1c,2 --no-location --sort-output \
		--project Consult -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

bench: $(VENV)/.installed-dev translations
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance/*.sqlite3 .pytest_cache .ruff_cache
