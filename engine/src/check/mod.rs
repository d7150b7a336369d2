//! Diagnostics and the checks that produce them.

mod diagnostic;
pub mod graph;
pub mod scan;

pub use diagnostic::{
    Diagnostic, DiagnosticJson, Severity, Source, Span, did_you_mean, edit_distance,
    sort_diagnostics,
};
