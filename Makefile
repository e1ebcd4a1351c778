# temporal-lineage: the two commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
TL     := $(VENV)/bin/temporal-lineage
STAMP  := $(VENV)/.installed
DEMO   ?= demo
DEMO_TABLE := lake.features.user_features
PYTEST_ARGS ?=

.PHONY: install demo test lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: install
	$(PY) -m warehouse_fixtures build $(DEMO) --force
	$(TL) init --config $(DEMO)/lineage.yaml
	$(TL) sync --config $(DEMO)/lineage.yaml
	$(TL) ingest $(DEMO)/openlineage/events.ndjson --config $(DEMO)/lineage.yaml
	$(TL) tables --config $(DEMO)/lineage.yaml
	@renamed=$$($(PY) -m warehouse_fixtures when $(DEMO) rename_column --table $(DEMO_TABLE)); \
	before=$$($(PY) -m warehouse_fixtures when $(DEMO) rename_column --table $(DEMO_TABLE) --offset-ms -1); \
	echo; echo "== $(DEMO_TABLE): schema as of $$before (just before the rename)"; \
	$(TL) schema $(DEMO_TABLE) --as-of $$before --config $(DEMO)/lineage.yaml; \
	echo; echo "== $(DEMO_TABLE): schema as of $$renamed (the rename; field ids unchanged)"; \
	$(TL) schema $(DEMO_TABLE) --as-of $$renamed --config $(DEMO)/lineage.yaml; \
	echo; echo "== $(DEMO_TABLE): schema history"; \
	$(TL) schema-history $(DEMO_TABLE) --config $(DEMO)/lineage.yaml
	@day4=$$($(PY) -m warehouse_fixtures when $(DEMO) overwrite --table deltas.training_set --day 4); \
	echo; echo "== deltas.training_set: provenance as of $$day4 (day 4: which snapshot of every upstream table, which run, which code)"; \
	$(TL) provenance deltas.training_set --as-of $$day4 --config $(DEMO)/lineage.yaml; \
	echo; echo "== deltas.training_set: lineage now (the code change of day 5 dropped the users input)"; \
	$(TL) lineage deltas.training_set --as-of 2100-01-01 --config $(DEMO)/lineage.yaml; \
	$(TL) audit deltas.training_set --as-of $$day4 -o $(DEMO)/audit-day4.html --config $(DEMO)/lineage.yaml
	@broken=$$($(PY) -m warehouse_fixtures when $(DEMO) broken); \
	adopted=$$($(PY) -m warehouse_fixtures when $(DEMO) adopted); \
	echo; echo "== impact of $(DEMO_TABLE).total_amount (what if it were renamed?)"; \
	$(TL) impact $(DEMO_TABLE) total_amount --change rename --config $(DEMO)/lineage.yaml; \
	echo; echo "== propagation of the rename as of $$broken: the first downstream run failed"; \
	$(TL) propagation $(DEMO_TABLE) --as-of $$broken --config $(DEMO)/lineage.yaml; \
	echo; echo "== propagation as of $$adopted: a fixed version adopted it"; \
	$(TL) propagation $(DEMO_TABLE) --as-of $$adopted --config $(DEMO)/lineage.yaml
	@compacted=$$($(PY) -m warehouse_fixtures when $(DEMO) compact --table deltas.training_set); \
	published=$$($(PY) -m warehouse_fixtures when $(DEMO) publish --table lake.raw.events); \
	echo; echo "== day 7 maintenance: deltas.training_set snapshots (OPTIMIZE changes no data)"; \
	$(TL) snapshots deltas.training_set --config $(DEMO)/lineage.yaml; \
	echo; echo "== deltas.training_set: provenance as of $$compacted (through the compaction to the run that made the data)"; \
	$(TL) provenance deltas.training_set --as-of $$compacted --config $(DEMO)/lineage.yaml; \
	echo; echo "== lake.raw.events: branches and tags (write-audit-publish, published $$published)"; \
	$(TL) refs lake.raw.events --config $(DEMO)/lineage.yaml; \
	$(TL) snapshots lake.raw.events --ref audit --as-of $$published --config $(DEMO)/lineage.yaml; \
	echo; echo "== deltas.training_set: which snapshots the source can still read"; \
	$(TL) snapshots deltas.training_set --check-readable --config $(DEMO)/lineage.yaml
	@governed=$$($(PY) -m warehouse_fixtures when $(DEMO) vacuum --table deltas.marketing_contacts); \
	echo; echo "== day 8 governance: deltas.marketing_contacts classification (pii reached it unmasked)"; \
	$(TL) classification deltas.marketing_contacts --as-of $$governed --config $(DEMO)/lineage.yaml; \
	echo; echo "== deltas.customer_emails_hashed: pii stopped at email_hash (sha2 in the job's SQL, masking facet)"; \
	$(TL) classification deltas.customer_emails_hashed --as-of $$governed --config $(DEMO)/lineage.yaml; \
	echo; echo "== policy check as of $$governed (exit 1: violated; a CI gate)"; \
	$(TL) policy check --as-of $$governed --config $(DEMO)/lineage.yaml || true; \
	echo; echo "== erasure of customer 42 (deleted upstream; an older readable snapshot downstream still holds it)"; \
	$(TL) erasure lake.crm.customers --where "customer_id = 42" -o $(DEMO)/erasure-42.html --config $(DEMO)/lineage.yaml; \
	echo "(DPO report: $(DEMO)/erasure-42.html)"
	@broken=$$($(PY) -m warehouse_fixtures when $(DEMO) broken); \
	late=$$($(PY) -c "from datetime import timedelta; from temporal_lineage.times import format_time, now; print(format_time(now() + timedelta(hours=2)))"); \
	echo; echo "== operations: freshness as of $$late (two hours on: lake.raw.* has a 1h SLA)"; \
	$(TL) freshness --as-of $$late --config $(DEMO)/lineage.yaml; \
	echo; echo "== triage deltas.training_set at $$broken: what changed upstream in the hour before"; \
	$(TL) triage deltas.training_set --at $$broken --window 1h --config $(DEMO)/lineage.yaml; \
	echo; echo "== who read lake.raw.events (run inputs, principals, snapshots)"; \
	$(TL) access lake.raw.events --config $(DEMO)/lineage.yaml; \
	echo; echo "== quality of deltas.training_set"; \
	$(TL) quality deltas.training_set --config $(DEMO)/lineage.yaml; \
	echo; echo "== hygiene: unused tables, redundant jobs, small commits, retained snapshots"; \
	$(TL) hygiene --config $(DEMO)/lineage.yaml
	@echo; echo "== explore it in the browser (web UI, API, background sync):"; \
	echo "   $(TL) token create --scope read --config $(DEMO)/lineage.yaml"; \
	echo "   $(TL) serve --config $(DEMO)/lineage.yaml    # then open http://127.0.0.1:8750/"

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check temporal_lineage scheduler warehouse_fixtures tests bench
	$(VENV)/bin/ruff format --check temporal_lineage scheduler warehouse_fixtures tests bench
	$(VENV)/bin/mypy

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .mypy_cache .ruff_cache
