# Shortcuts; the scripts work without make too.
.PHONY: run test lint openapi lock

run:
	scripts/run

test:
	scripts/test

lint:
	scripts/lint

openapi:
	.venv/bin/fieldsales openapi

# Refresh requirements.lock from a clean virtualenv with the newest releases in our ranges.
lock:
	rm -rf .lock-venv && python3 -m venv .lock-venv
	.lock-venv/bin/pip install -q -e ".[dev]"
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock
	rm -rf .lock-venv
