# The two commands of the README. Meson + Ninja do the building; this file only sequences steps.
#   make demo   install missing Debian packages, build, run the main job on the bundled examples
#   make test   install missing Debian packages, build (release -Werror, and ASan+UBSan), run every test
BUILD ?= build

.PHONY: all deps build demo test fuzz clean

all: build

deps:
	@sh scripts/install-deps.sh

build: deps
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) >/dev/null
	@ninja -C $(BUILD) >/dev/null

demo: build
	./$(BUILD)/khabar analyze --file examples/000_250a8f08833c77cf.txt

test: deps
	@sh tests/run.sh

clean:
	rm -rf build build-asan build-fuzz
