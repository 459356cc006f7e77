"""Side-by-side benchmarks (`make bench`); each module is also a standalone script."""
