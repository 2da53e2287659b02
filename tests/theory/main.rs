//! The theory check as property tests: one module per lemma group, one
//! module per id inside it (`clip_2::holds_f64`, ...). All groups compile into
//! this one test binary.

#[macro_use]
mod common;

mod angles;
mod batch;
mod bias;
mod certified;
mod clip;
mod conj;
mod desc;
mod ig;
mod models;
mod smooth;
