//! Harness for xx-rs end-to-end tests (see the tests in `tests/tests/`).
