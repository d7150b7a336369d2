//! The policy language: model, YAML loading and durations.

mod duration;

pub use duration::{DURATION_FORMS, Duration, DurationError};
