//! The pieces of the `cliptheory` command line (argument types, tables,
//! plots, progress bars), as a library so that its examples can draw the
//! same figures and tables. Everything computed comes from the `cliptheory`
//! library; nothing here is theory.

pub mod angles;
pub mod certify;
pub mod output;
pub mod plot;
pub mod progress;
pub mod run;
pub mod tables;
