//! The `.npy` reader on arbitrary bytes (written to a file, since the
//! reader streams from disk): a typed error, or a matrix whose every value
//! is read and analyzed without a panic.
#![no_main]

use cliptheory::batch::analyzer::{analyze, AnglesOptions};
use cliptheory::npy::{NpyMatrix, NpyMatrixReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("cliptheory-fuzz-{}.npy", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    if let Ok(mut reader) = NpyMatrixReader::open(&path) {
        let header = reader.header().clone();
        if header.rows.saturating_mul(header.cols) <= 1 << 16 {
            let _ = reader.read_all();
            if let Ok(again) = NpyMatrix::open(&path) {
                let options = AnglesOptions {
                    samples: 20,
                    passes: 2,
                    ..AnglesOptions::default()
                };
                let _ = analyze(&again, &options);
            }
        }
    }
});
