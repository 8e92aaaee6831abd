# Makefile — the two commands of the README. Each installs the Debian
# packages it needs (as root, or with password-less sudo), then builds.
#   make run    build in build/ and run the demo pipeline (twice: skips all)
#   make test   everything CI runs (scripts/test.sh), ends "N passed, M failed"

.PHONY: run test deps deps-test build clean help

run:
	@scripts/run.sh

test:
	@scripts/test.sh

# Only the packages.
deps:
	@scripts/deps.sh run

deps-test:
	@scripts/deps.sh test

# Only the build (build/, tests included).
build:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_BUILD_TESTS=ON
	cmake --build build -j $$(nproc)

# Removes the build dirs these targets make; never the store ./cairn-data.
clean:
	rm -rf build build-test build-asan build-fuzz

help:
	@sed -n '2,5p' Makefile
