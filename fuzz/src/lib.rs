//! The fuzz harnesses of Ombud are this package's test target `fuzz` (`tests/fuzz/`): one pair
//! per input surface, with a committed corpus each. `docs/fuzzing.md` tells how to run them.
