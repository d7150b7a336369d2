//! The policy language: model, conversion from the YAML tree (`crate::yaml`) and durations.

pub mod convert;
mod duration;
pub mod model;
pub mod schema;

pub use duration::{DURATION_FORMS, Duration, DurationError};
