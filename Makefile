# The two commands of the README, plus the documented extra tasks.
# Every target installs what it needs first (into .venv and node_modules), so a fresh clone works.

PYTHON ?= python3
export NO_MKDOCS_2_WARNING := 1
# nbconvert otherwise loads every exporter at import to see which are enabled (about 0.2 s per build).
export NBCONVERT_DISABLE_CONFIG_EXPORTERS := 1
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The course project alone, as a training job or the service would run it (no course tools).
PROJECT_VENV := .venv-project
PROJECT_STAMP := $(PROJECT_VENV)/.installed

.PHONY: serve write test lecture check build links weight bench bench-project slides-pdf quiz-export clean

$(PROJECT_STAMP): examples/pyproject.toml
	test -x $(PROJECT_VENV)/bin/python || $(PYTHON) -m venv $(PROJECT_VENV)
	$(PROJECT_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PROJECT_VENV)/bin/python -m pip install --quiet -e ./examples
	touch $(PROJECT_STAMP)

$(STAMP): pyproject.toml examples/pyproject.toml package.json package-lock.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]" -e "./examples[test,pipeline,versioning,server,explain]"
	npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

## serve: install everything, then serve the site with decks and quizzes on http://127.0.0.1:8000
serve: $(STAMP)
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000 --livereload

## write: writing mode, fast reloads: notebooks not executed, only the edited page rebuilt
write: $(STAMP)
	COURSE_EXECUTE_NOTEBOOKS=false $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000 --livereload --dirty

## test: install everything, then run the whole test suite (on every core: pytest-xdist, see pyproject.toml)
test: $(STAMP)
	$(BIN)/python -m pytest

## lecture: the fast loop for one lecture, e.g. make lecture ID=4.4: course check, strict build, its own tests
lecture: $(STAMP)
	@test -n "$(ID)" || { echo "usage: make lecture ID=4.4"; exit 2; }
	$(BIN)/course check
	$(BIN)/python -m pytest --lecture $(ID)

## check: validate lectures, slide markers, snippet references and quiz banks
check: $(STAMP)
	$(BIN)/course check

## build: the strict site build into site/
build: $(STAMP)
	$(BIN)/mkdocs build --strict

## links: strict build, then check every internal link and anchor; external links listed in dist/external-links.txt
links: build
	$(BIN)/course links site --external-report dist/external-links.txt

## weight: strict build, then page weights (gzip) per page type and the search index size
weight: build
	$(BIN)/python benchmarks/site_weight.py site

## bench: build-time, deck and reload benchmarks
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

## bench-project: the course project's benchmarks (training, registry, start-up, serving, drift), in an environment
## of the project alone (.venv-project), the way a training job or the service runs it
bench-project: $(PROJECT_STAMP)
	$(PROJECT_VENV)/bin/python benchmarks/project.py
	$(PROJECT_VENV)/bin/python benchmarks/serving.py
	$(PROJECT_VENV)/bin/python benchmarks/monitoring.py

## slides-pdf: export every deck to PDF with Chromium (Debian: apt install chromium)
slides-pdf: $(STAMP)
	$(BIN)/course slides-pdf --output dist/slides

## quiz-export: export every quiz bank to Moodle GIFT under dist/quizzes
quiz-export: $(STAMP)
	$(BIN)/course quiz-export --output dist/quizzes

clean:
	rm -rf site dist .cache $(PROJECT_VENV)
