# The two commands of the README. Meson + Ninja do the building; this file only sequences steps.
#   make demo   install missing Debian packages, build, run the main job on the bundled examples
#   make test   install missing Debian packages, build (release -Werror, and ASan+UBSan), run every test
BUILD ?= build

.PHONY: all deps build demo serve test slow clean

all: build

deps:
	@sh scripts/install-deps.sh

build: deps
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) >/dev/null
	@ninja -C $(BUILD) >/dev/null

EXAMPLES = examples/000_250a8f08833c77cf.txt examples/news.jsonl
DEMO_INDEX = $(BUILD)/example-index

# The main job on the bundled examples: clean the user's sample article, index all examples
# (clean + analyze + index + duplicates), answer sample queries.
demo: build
	@echo "== khabar clean --text examples/000_250a8f08833c77cf.txt"
	@./$(BUILD)/khabar clean --text examples/000_250a8f08833c77cf.txt
	@rm -rf $(DEMO_INDEX)
	@echo; echo "== khabar index --index $(DEMO_INDEX) $(EXAMPLES)"
	@./$(BUILD)/khabar index --index $(DEMO_INDEX) $(EXAMPLES)
	@echo; echo "== khabar search --index $(DEMO_INDEX) العراق"
	@./$(BUILD)/khabar search --index $(DEMO_INDEX) العراق
	@echo; echo "== khabar search --index $(DEMO_INDEX) الانفلونزا"
	@./$(BUILD)/khabar search --index $(DEMO_INDEX) الانفلونزا
	@echo; echo "== khabar dups --index $(DEMO_INDEX)"
	@./$(BUILD)/khabar dups --index $(DEMO_INDEX)

# Serve the example index (built by `make demo`) at http://127.0.0.1:8080/.
serve: build
	@[ -f $(DEMO_INDEX)/khabar.db ] || ./$(BUILD)/khabar index --index $(DEMO_INDEX) $(EXAMPLES)
	./$(BUILD)/khabar serve --index $(DEMO_INDEX) --listen 127.0.0.1:8080

# The test command also installs Chromium for the browser test of the web page.
test:
	@sh scripts/install-deps.sh --browser
	@sh tests/run.sh

# The slow tier: 500 kill rounds, 10,000 corruption trials, OOM under ASan, an hour of fuzzing
# per harness (docs/robustness.md). Hours, not minutes.
slow: build
	@sh scripts/slow_tests.sh

clean:
	rm -rf build build-asan build-fuzz
