# Shortcuts; the scripts work without make too.
.PHONY: run test lint openapi lock load demo-pictures fuzz

run:
	scripts/run

test:
	scripts/test

lint:
	scripts/lint

openapi:
	.venv/bin/fieldsales openapi

# Mixed load from simulated reps, reconciled with the database (needs the `bench` extra).
load:
	.venv/bin/python -m bench.load --reps 50 --seconds 60

# The README's pictures, from the demo market of a running service (`make run` in another shell).
demo-pictures:
	.venv/bin/fieldsales demo tour --out docs/pictures

# The long fuzzing profile: schemathesis's boundary values too, and many more random requests
# per operation and role (FUZZ_EXAMPLES of them). Takes tens of minutes; the tests run a quick one.
FUZZ_EXAMPLES ?= 50
fuzz:
	FIELDSALES_FUZZ=long FIELDSALES_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
		.venv/bin/pytest tests/hardening/test_fuzz.py -p no:cacheprovider -q

# Refresh requirements.lock from a clean virtualenv with the newest releases in our ranges.
lock:
	rm -rf .lock-venv && python3 -m venv .lock-venv
	.lock-venv/bin/pip install -q -e ".[dev]"
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock
	rm -rf .lock-venv
