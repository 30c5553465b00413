# Two commands do everything on a fresh machine: `make run` and `make test` (see README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
MODEL  ?= qwen2.5-coder-1.5b

.PHONY: run test test-fast lint install model index verifier browser bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip

# torch first and pinned: an unpinned torch pulls a multi-GB CUDA build (see ../shared/MODELS.md).
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install torch==2.13.0
	$(BIN)/pip install -e ".[dev]"
	touch $@

install: $(STAMP)

model: install
	$(BIN)/assistant models install $(MODEL)

index: install
	$(BIN)/assistant ingest

# The claim verifier: MiniLM fine-tuned on the CPU from eval/verifier_synthetic.jsonl (a few minutes on 2 cores);
# skipped when models/verifier-minilm/manifest.json names the same data, recipe and base weights.
verifier: install
	$(BIN)/python eval/train_verifier.py

run: model index
	$(BIN)/assistant ui

# Debian's Chromium for the browser tests (Playwright drives it; no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

lint: install
	$(BIN)/ruff check assistant tests eval
	$(BIN)/mypy assistant

test: install browser lint verifier
	$(BIN)/assistant models install fast
	$(BIN)/assistant models install default
	$(BIN)/pytest -q -rs

test-fast: install
	$(BIN)/pytest -q -m "not slow"

bench: model verifier
	$(BIN)/python eval/bench_retrieval.py
	$(BIN)/python eval/tune_fusion.py
	$(BIN)/python eval/bench_ingest.py
	$(BIN)/assistant models install fast
	$(BIN)/python eval/bench_serve.py --model fast
	$(BIN)/python eval/bench_verifiers.py
	$(BIN)/python eval/bench_answers.py --model $(MODEL) --questions eval/questions.jsonl --name dev
	$(BIN)/python eval/bench_answers.py --model $(MODEL) --questions eval/questions_stance.jsonl --name stance --systems product
	$(BIN)/python eval/bench_answers.py --model $(MODEL) --questions eval/questions_test.jsonl --name test
	$(BIN)/python eval/bench_answers.py --model $(MODEL) --questions eval/questions_which.jsonl --name which
	$(BIN)/python eval/bench_answers.py --model $(MODEL) --questions eval/questions_which_test.jsonl --name which_test
	$(BIN)/python eval/bench_answers.py --model $(MODEL) --questions eval/questions_names.jsonl --name names --systems product
	$(BIN)/python eval/bench_answers.py --model $(MODEL) --questions eval/questions_names.jsonl --name names --systems baseline --sample 16
	$(BIN)/python eval/probe_premises.py premise_test
	$(BIN)/python eval/bench_answers.py --model $(MODEL) --corpus eval/corpus_pubmed_style.jsonl \
		--questions eval/questions_pubmed_style.jsonl --name pubmed
	$(BIN)/python eval/bench_answers.py --model $(MODEL) --timing 30 --name dev
	$(BIN)/python eval/bench_answers.py --model $(MODEL) --questions eval/questions_test.jsonl --timing 30 --name test
	$(BIN)/python eval/report_answers.py
	$(BIN)/python eval/bench_summaries.py --model $(MODEL)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
