//! The angle analyzer (`cliptheory angles`) on a large float32 dump:
//! `n = 10⁵` rows, `d = 1000` columns (400 MB, in the page cache), against
//! a baseline measured in the same run: one plain read-only pass over the
//! same mapped bytes on one thread (sum of the entries), i.e. the
//! single-thread read bandwidth. Printed at the end as ratios: the exact
//! rows (`b = 1, n − 1, n`: two passes over the data) and a sampled run
//! (3 sizes, 100 batches each).
//!
//! `CLIPTHEORY_BENCH_ROWS` overrides `n` (e.g. `10000` for a quick run).
//! The dump is generated once into the temporary directory.

#[path = "common/mod.rs"]
mod common;

use std::fs::File;
use std::hint::black_box;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use cliptheory::batch::analyzer::{analyze_file, AnglesOptions};
use cliptheory::npy::{write_header, Dtype, MatrixView, NpyMatrix};
use criterion::{criterion_group, Criterion, Throughput};

const COLS: usize = 1000;
const GROUP: &str = "angles";
const READ: &str = "read pass, 1 thread";
const EXACT: &str = "exact rows b = 1, n-1, n";
const SAMPLED: &str = "sampled b = 16, 256, 4096 x 100";

fn rows() -> usize {
    std::env::var("CLIPTHEORY_BENCH_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000)
}

/// Rows `v + noise`: a shared direction plus deterministic pseudo-random
/// noise (a 64-bit LCG), streamed to disk.
fn dump(rows: usize) -> PathBuf {
    let path = std::env::temp_dir().join(format!("cliptheory-angles-bench-{rows}x{COLS}.npy"));
    let existing = NpyMatrix::open(&path).map(|m| m.shape());
    if existing.ok() == Some((rows, COLS)) {
        return path;
    }
    let mut out = BufWriter::new(File::create(&path).expect("temp file"));
    write_header(&mut out, rows, COLS, Dtype::F32).expect("header");
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..rows {
        for k in 0..COLS {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let noise = (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            let shared = if k % 10 == 0 { 0.05 } else { 0.0 };
            out.write_all(&(shared + noise).to_le_bytes())
                .expect("write");
        }
    }
    out.flush().expect("flush");
    path
}

/// One pass over the mapped entries: their sum in 4 lanes (so that the
/// compiler vectorizes it, as the analyzer's kernels are).
fn read_pass(path: &std::path::Path) -> f64 {
    let matrix = NpyMatrix::open(path).expect("opens");
    let MatrixView::F32(values) = matrix.view() else {
        panic!("float32 dump");
    };
    let mut lanes = [0.0f64; 4];
    for chunk in values.chunks_exact(4) {
        for l in 0..4 {
            lanes[l] += f64::from(chunk[l]);
        }
    }
    lanes.iter().sum()
}

fn angles(c: &mut Criterion) {
    let rows = rows();
    let path = dump(rows);
    let file_bytes = std::fs::metadata(&path).expect("dump").len();
    let exact = AnglesOptions {
        batch_sizes: vec![1, rows - 1, rows],
        ..AnglesOptions::default()
    };
    let sampled = AnglesOptions {
        batch_sizes: vec![16, 256, 4096],
        samples: 100,
        ..AnglesOptions::default()
    };
    let mut group = c.benchmark_group(GROUP);
    group.sample_size(10);
    group.throughput(Throughput::Bytes(file_bytes));
    group.bench_function(READ, |b| b.iter(|| black_box(read_pass(&path))));
    group.bench_function(EXACT, |b| {
        b.iter(|| black_box(analyze_file(&path, &exact).expect("analyzes")))
    });
    group.bench_function(SAMPLED, |b| {
        b.iter(|| black_box(analyze_file(&path, &sampled).expect("analyzes")))
    });
    group.finish();
}

criterion_group!(benches, angles);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    let entries = (rows() * COLS) as f64;
    common::print_ratios(GROUP, READ, &[READ, EXACT, SAMPLED], entries, "entry");
}
