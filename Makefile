# Two commands do all the set-up on a fresh Debian 12 machine:
#   make run    install what is missing, build, run the default scenario
#   make test   install what is missing, build, run every test
# The rest are conveniences around CMake.

BUILD ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
EXTRA_CMAKE_FLAGS ?=
# Unity builds compile each library's sources in batches of 8: each shared
# header and template is compiled once per batch (under the sanitizers about
# half the compile time; CI's release stage went from 725 s to 607 s).
# UNITY=OFF rebuilds only what an edit touches, for development.
UNITY ?= ON
STORMSIM := $(BUILD)/experiments/stormsim

.PHONY: run test deps configure build bench bench-simgrid format check-format asan clean

# Ends with the default scenario's figures and report (stormsim report).
run: build
	$(STORMSIM) run -o stormsim-out/default
	$(STORMSIM) report stormsim-out/default/result.json -o stormsim-out/default/report

CTEST_FLAGS ?=

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) $(CTEST_FLAGS)

deps:
	@scripts/install-deps

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DCMAKE_UNITY_BUILD=$(UNITY) \
	  $(CMAKE_FLAGS) $(EXTRA_CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# Benchmark figures (README "Performance"); never part of `make test`.
bench: build
	$(BUILD)/tests/bench_engine --benchmark_counters_tabular=true
	$(BUILD)/tests/bench_flow_solver --benchmark_counters_tabular=true

# stormsim against SimGrid on one storage-fabric workload, N = 1,024 to 16,384
# (tests/bench/fabric_vs_simgrid/README.md). Installs SimGrid if it can; says
# so and runs stormsim alone if it cannot.
bench-simgrid:
	STORMSIM_DEPS_EXTRA=libsimgrid-dev scripts/install-deps || \
	  echo "bench-simgrid: could not install libsimgrid-dev; going on without it"
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DCMAKE_UNITY_BUILD=$(UNITY) \
	  -DSTORMSIM_BUILD_BENCH=ON $(CMAKE_FLAGS) $(EXTRA_CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS) --target bench_fabric_vs_simgrid

# AddressSanitizer + UndefinedBehaviorSanitizer build and tests.
# Compiling is most of the cost (with both sanitizers a source takes 3-4x as
# long to compile as in the plain build), so -O1, which compiles about a
# third faster than -O2, and line tables only (-g1), so reports keep
# file:line. Tests labelled `slow` (whole shipped scenarios and
# validation cases, minutes under the sanitizers) run in the release build
# only.
asan:
	$(MAKE) test BUILD=build-asan BUILD_TYPE=RelWithDebInfo CTEST_FLAGS="-LE slow" \
	  CMAKE_FLAGS="-DSTORMSIM_SANITIZE=address,undefined -DSTORMSIM_BUILD_BENCH=OFF '-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG'"

format:
	git ls-files '*.h' '*.cc' | xargs clang-format -i

check-format:
	git ls-files '*.h' '*.cc' | xargs clang-format --dry-run -Werror

clean:
	rm -rf $(BUILD) build-asan
