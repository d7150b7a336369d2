//! The policy language: model, YAML loading and durations.

pub mod convert;
mod duration;
pub mod load;
pub mod model;
pub mod schema;

pub use duration::{DURATION_FORMS, Duration, DurationError};
