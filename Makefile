# mybuild: the two entry points are `make demo` and `make test` (README.md).
BUILD_DIR ?= build
ASAN_DIR ?= build-asan
FUZZ_DIR ?= build-fuzz
JOBS ?= $(shell nproc)
# Seconds per fuzz target for `make fuzz`.
FUZZ_SECONDS ?= 300
# Modules whose tests also run under AddressSanitizer+UBSan in `make test` (fuzz: the replays
# of fuzz/regressions/ and the seeds).
ASAN_LABELS ?= parser fuzz

.PHONY: all deps build build-asan test test-asan demo image fuzz bench format clean

all: build

deps:
	@tools/install_deps.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DMYBUILD_WERROR=ON

build: $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

$(ASAN_DIR)/build.ninja:
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMYBUILD_WERROR=ON \
	  -DMYBUILD_SANITIZE=address,undefined "-DMYBUILD_SANITIZED_LABELS=$(subst $(eval) ,;,$(ASAN_LABELS))" \
	  -DMYBUILD_PARSE_BINARY=$(abspath $(BUILD_DIR))/cli/mybuild

build-asan: $(ASAN_DIR)/build.ninja
	cmake --build $(ASAN_DIR) -j $(JOBS) --target sanitized_tests

test: deps build build-asan
	tools/check_layers.sh
	tools/check_size.py
	tools/check_format.sh
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 ctest --test-dir $(ASAN_DIR) --output-on-failure -j $(JOBS) \
	  -L '^($(subst $(eval) ,|,$(ASAN_LABELS)))$$'

demo: deps build
	tools/demo.sh $(BUILD_DIR)/cli/mybuild

# mybuild's own container image, built by mybuild (deploy/Dockerfile, README "Container image"):
# OCI archives $(BUILD_DIR)/mybuild-image.tar and $(BUILD_DIR)/mybuild-image-debug.tar. Needs root.
image: deps build
	deploy/make_image.sh $(BUILD_DIR)

fuzz: deps
	cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMYBUILD_FUZZ=ON \
	  -DMYBUILD_TESTS=OFF -DCMAKE_CXX_COMPILER=clang++
	cmake --build $(FUZZ_DIR) -j $(JOBS)
	tools/run_fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

bench: deps build
	BENCH=$(BENCH) tools/run_bench.sh $(BUILD_DIR)

format:
	git ls-files -- "*.h" "*.cc" | grep -E "^(cli|builder|image|parser|snapshot|sandbox|registry|common|tests|bench|fuzz)/" | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR)
