//! The angle analyzer (`cliptheory angles`) on a large float32 dump:
//! `n = 10⁵` rows, `d = 1000` columns (400 MB), 8 batch sizes, against two
//! baselines measured in the same run: a plain memory copy, and one
//! streaming pass of the reader (decode float32 → float64, no analysis).
//! All three report bytes per second, so the ratios say what the analysis
//! costs over touching the data; the analyzer reads the file twice.
//!
//! `CLIPTHEORY_BENCH_ROWS` overrides `n` (e.g. `10000` for a quick run).
//! The dump is generated once into the temporary directory.

use std::fs::File;
use std::hint::black_box;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use cliptheory::batch::analyzer::analyze_file;
use cliptheory::batch::analyzer::AnglesOptions;
use cliptheory::npy::{rows_per_chunk, write_header, Dtype, NpyMatrixReader};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const COLS: usize = 1000;
const BATCH_SIZES: [usize; 7] = [1, 4, 16, 64, 256, 1024, 4096];
const SAMPLES: usize = 100;

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
    let existing = NpyMatrixReader::open(&path).map(|r| (r.header().rows, r.header().cols));
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

fn angles(c: &mut Criterion) {
    let rows = rows();
    let path = dump(rows);
    let file_bytes = std::fs::metadata(&path).expect("dump").len();
    let mut batch_sizes = BATCH_SIZES.to_vec();
    batch_sizes.retain(|&b| b < rows);
    batch_sizes.push(rows);
    let options = AnglesOptions {
        batch_sizes,
        samples: SAMPLES,
        ..AnglesOptions::default()
    };

    let mut group = c.benchmark_group("angles");
    group.sample_size(10);

    let copy_bytes = 64 << 20;
    let source = vec![1u8; copy_bytes];
    let mut target = vec![0u8; copy_bytes];
    group.throughput(Throughput::Bytes(copy_bytes as u64));
    group.bench_function("baseline: memory copy (64 MiB)", |b| {
        b.iter(|| target.copy_from_slice(black_box(&source)))
    });

    group.throughput(Throughput::Bytes(file_bytes));
    group.bench_function("baseline: one streaming read pass", |b| {
        b.iter(|| {
            let mut reader = NpyMatrixReader::open(&path).expect("opens");
            let mut total = 0.0;
            reader
                .for_each_chunk(rows_per_chunk(COLS), &mut |_, chunk| {
                    total += chunk[0];
                    Ok(())
                })
                .expect("reads");
            black_box(total)
        })
    });
    group.bench_function(
        format!("analyzer: {rows} × {COLS} f32, 8 batch sizes, {SAMPLES} batches each"),
        |b| b.iter(|| black_box(analyze_file(&path, &options).expect("analyzes"))),
    );
    group.finish();
}

criterion_group!(benches, angles);
criterion_main!(benches);
