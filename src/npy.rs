//! NumPy `.npy` files holding one 2-D float array: the per-example gradient
//! dumps `cliptheory angles` reads (`shape (n, d)`, row `i` = `∇f_i`).
//!
//! Reads format versions 1.0, 2.0 and 3.0, dtypes `float32` and `float64` in
//! either byte order, C order only. Two readers share the header checks (a
//! truncated file is refused before any data is read):
//!
//! - [`NpyMatrix::open`] memory-maps a regular file and views its data in
//!   place as `&[f32]` or `&[f64]` ([`MatrixView`]): no copy and no widening
//!   of the whole matrix; the kernel pages a dump larger than memory in and
//!   out. A non-regular file (`/dev/stdin`, a pipe) has no length to check
//!   against: it is read to its end into memory first. Big-endian data (or
//!   data not aligned for its type) is converted into memory once.
//! - [`NpyMatrixReader::for_each_chunk`] streams the rows in bounded chunks,
//!   widened to `f64`, refusing NaN and `±∞` with their position.
//!
//! [`write_matrix`] writes the same format (tests, model dumps).

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use crate::error::{Error, Result};

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Rows per chunk when streaming: about 8 MiB of `f64` at the given width.
pub fn rows_per_chunk(cols: usize) -> usize {
    ((8 << 20) / (8 * cols.max(1))).max(1)
}

/// The element type of the array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dtype {
    /// `float32` (`'<f4'` / `'>f4'`).
    F32,
    /// `float64` (`'<f8'` / `'>f8'`).
    F64,
}

impl Dtype {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Dtype::F32 => 4,
            Dtype::F64 => 8,
        }
    }
}

/// The parsed header of a 2-D float `.npy` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NpyHeader {
    /// Element type.
    pub dtype: Dtype,
    /// Whether elements are stored big-endian.
    pub big_endian: bool,
    /// Number of rows `n`.
    pub rows: usize,
    /// Number of columns `d`.
    pub cols: usize,
    /// Offset of the first data byte.
    pub data_offset: u64,
}

impl NpyHeader {
    /// Bytes of data the header promises: `rows · cols · size(dtype)`, or
    /// `None` when that does not fit in 64 bits.
    pub fn data_bytes(&self) -> Option<u64> {
        (self.rows as u64)
            .checked_mul(self.cols as u64)?
            .checked_mul(self.dtype.size() as u64)
    }
}

/// What is wrong with a `.npy` file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NpyErrorKind {
    /// The file does not start with `\x93NUMPY`.
    #[error("not a .npy file: it does not start with the magic string \\x93NUMPY")]
    BadMagic,
    /// A format version this reader does not know.
    #[error("unsupported .npy format version {major}.{minor} (1.0, 2.0 and 3.0 are read)")]
    UnsupportedVersion {
        /// Major version byte.
        major: u8,
        /// Minor version byte.
        minor: u8,
    },
    /// The header dictionary cannot be parsed.
    #[error("malformed .npy header: {reason}")]
    BadHeader {
        /// What is wrong.
        reason: String,
    },
    /// Not `float32` or `float64`.
    #[error("unsupported dtype {descr:?}: only float32 and float64 ('<f4', '<f8', '>f4', '>f8') are read")]
    UnsupportedDtype {
        /// The header's `descr`.
        descr: String,
    },
    /// Stored column by column.
    #[error("the array is stored in Fortran order; save it in C order (numpy.ascontiguousarray)")]
    FortranOrder,
    /// Not a matrix.
    #[error("expected a 2-D array of shape (n, d), got shape {shape:?}")]
    NotTwoDimensional {
        /// The header's shape.
        shape: Vec<usize>,
    },
    /// No rows or no columns.
    #[error("the array is empty: shape ({rows}, {cols})")]
    EmptyArray {
        /// Rows.
        rows: usize,
        /// Columns.
        cols: usize,
    },
    /// Fewer data bytes than the shape needs.
    #[error("the file is truncated: the shape needs {expected} data bytes, the file has {found}")]
    Truncated {
        /// Bytes the shape needs.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// More data bytes than the shape needs.
    #[error("the file has {found} data bytes but the shape needs {expected}: trailing bytes")]
    TrailingBytes {
        /// Bytes the shape needs.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// A shape whose byte count does not fit in 64 bits.
    #[error("the shape ({rows}, {cols}) needs more than 2^64 bytes")]
    TooLarge {
        /// Rows.
        rows: usize,
        /// Columns.
        cols: usize,
    },
    /// An `.npz` archive that cannot be read as a zip file of arrays.
    #[error("not a readable .npz archive: {reason}")]
    BadArchive {
        /// What is wrong.
        reason: String,
    },
    /// Reading failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A `.npy` problem with the file it was found in.
#[derive(Debug, thiserror::Error)]
#[error("{}: {kind}", path.display())]
pub struct NpyError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub kind: NpyErrorKind,
}

impl From<NpyError> for Error {
    fn from(error: NpyError) -> Self {
        Error::Parse {
            path: error.path,
            reason: error.kind.to_string(),
        }
    }
}

fn bad_header(reason: impl Into<String>) -> NpyErrorKind {
    NpyErrorKind::BadHeader {
        reason: reason.into(),
    }
}

/// Splits the text of a Python dict literal `{'k': v, …}` into key and raw
/// value strings (values may be quoted strings, names or tuples).
fn dict_entries(text: &str) -> std::result::Result<Vec<(String, String)>, NpyErrorKind> {
    let inner = text
        .trim()
        .strip_prefix('{')
        .and_then(|t| t.trim_end().strip_suffix('}'))
        .ok_or_else(|| bad_header("the header is not a dict literal {…}"))?;
    let mut entries = Vec::new();
    let mut rest = inner.trim();
    while !rest.is_empty() {
        let quote = rest
            .chars()
            .next()
            .filter(|c| *c == '\'' || *c == '"')
            .ok_or_else(|| bad_header(format!("expected a quoted key at {rest:?}")))?;
        let end = rest[1..]
            .find(quote)
            .ok_or_else(|| bad_header("unterminated key"))?;
        let key = rest[1..=end].to_string();
        rest = rest[end + 2..].trim_start();
        rest = rest
            .strip_prefix(':')
            .ok_or_else(|| bad_header(format!("expected ':' after key {key:?}")))?
            .trim_start();
        let value_end = if rest.starts_with('(') {
            rest.find(')')
                .map(|i| i + 1)
                .ok_or_else(|| bad_header("unterminated tuple"))?
        } else if rest.starts_with('\'') || rest.starts_with('"') {
            let q = rest.as_bytes()[0] as char;
            rest[1..]
                .find(q)
                .map(|i| i + 2)
                .ok_or_else(|| bad_header("unterminated string value"))?
        } else {
            rest.find(',').unwrap_or(rest.len())
        };
        entries.push((key, rest[..value_end].trim().to_string()));
        rest = rest[value_end..].trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
    Ok(entries)
}

fn parse_header_dict(text: &str) -> std::result::Result<(Dtype, bool, Vec<usize>), NpyErrorKind> {
    let entries = dict_entries(text)?;
    let get = |key: &str| {
        entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| bad_header(format!("missing key {key:?}")))
    };
    let descr = get("descr")?
        .trim_matches(|c| c == '\'' || c == '"')
        .to_string();
    let (big_endian, dtype) = match descr.as_str() {
        "<f4" | "=f4" => (false, Dtype::F32),
        "<f8" | "=f8" => (false, Dtype::F64),
        ">f4" => (true, Dtype::F32),
        ">f8" => (true, Dtype::F64),
        _ => return Err(NpyErrorKind::UnsupportedDtype { descr }),
    };
    match get("fortran_order")? {
        "False" => {}
        "True" => return Err(NpyErrorKind::FortranOrder),
        other => return Err(bad_header(format!("fortran_order is {other:?}"))),
    }
    let shape_text = get("shape")?;
    let shape = shape_text
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .ok_or_else(|| bad_header(format!("shape {shape_text:?} is not a tuple")))?
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .map_err(|_| bad_header(format!("shape entry {s:?} is not a size")))
        })
        .collect::<std::result::Result<Vec<usize>, _>>()?;
    Ok((dtype, big_endian, shape))
}

fn read_header(
    reader: &mut impl Read,
    file_len: u64,
) -> std::result::Result<NpyHeader, NpyErrorKind> {
    let mut prefix = [0u8; 8];
    reader.read_exact(&mut prefix).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            NpyErrorKind::BadMagic
        } else {
            NpyErrorKind::Io(e)
        }
    })?;
    if &prefix[..6] != MAGIC {
        return Err(NpyErrorKind::BadMagic);
    }
    let (major, minor) = (prefix[6], prefix[7]);
    let header_len = match major {
        1 => {
            let mut len = [0u8; 2];
            reader.read_exact(&mut len)?;
            u64::from(u16::from_le_bytes(len))
        }
        2 | 3 => {
            let mut len = [0u8; 4];
            reader.read_exact(&mut len)?;
            u64::from(u32::from_le_bytes(len))
        }
        _ => return Err(NpyErrorKind::UnsupportedVersion { major, minor }),
    };
    let data_offset = 8 + if major == 1 { 2 } else { 4 } + header_len;
    if data_offset > file_len {
        return Err(bad_header(format!(
            "the header claims {header_len} bytes, past the end of the file"
        )));
    }
    let mut text = vec![0u8; header_len as usize];
    reader.read_exact(&mut text)?;
    let text = String::from_utf8(text).map_err(|_| bad_header("the header is not UTF-8"))?;
    let (dtype, big_endian, shape) = parse_header_dict(&text)?;
    let [rows, cols] = shape[..] else {
        return Err(NpyErrorKind::NotTwoDimensional { shape });
    };
    if rows == 0 || cols == 0 {
        return Err(NpyErrorKind::EmptyArray { rows, cols });
    }
    let header = NpyHeader {
        dtype,
        big_endian,
        rows,
        cols,
        data_offset,
    };
    let expected = header
        .data_bytes()
        .ok_or(NpyErrorKind::TooLarge { rows, cols })?;
    let found = file_len - data_offset;
    if found < expected {
        return Err(NpyErrorKind::Truncated { expected, found });
    }
    if found > expected {
        return Err(NpyErrorKind::TrailingBytes { expected, found });
    }
    Ok(header)
}

/// A validated `.npy` matrix, streamed from disk.
#[derive(Debug)]
pub struct NpyMatrixReader {
    path: PathBuf,
    header: NpyHeader,
    file: BufReader<File>,
}

impl NpyMatrixReader {
    /// Opens `path` and checks its header and size.
    pub fn open(path: &Path) -> std::result::Result<Self, NpyError> {
        let fail = |kind| NpyError {
            path: path.to_path_buf(),
            kind,
        };
        let file = File::open(path).map_err(|e| fail(NpyErrorKind::Io(e)))?;
        let file_len = file
            .metadata()
            .map_err(|e| fail(NpyErrorKind::Io(e)))?
            .len();
        let mut file = BufReader::new(file);
        let header = read_header(&mut file, file_len).map_err(fail)?;
        Ok(Self {
            path: path.to_path_buf(),
            header,
            file,
        })
    }

    /// The header.
    pub fn header(&self) -> &NpyHeader {
        &self.header
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Streams all rows, in order, in chunks of at most `rows_per_chunk`
    /// rows: `visit(first_row, values)` gets the chunk row-major as `f64`.
    /// May be called again for another pass. NaN or `±∞` is refused with
    /// [`Error::NonFinite`] naming the row and column.
    pub fn for_each_chunk(
        &mut self,
        rows_per_chunk: usize,
        visit: &mut dyn FnMut(usize, &[f64]) -> Result<()>,
    ) -> Result<()> {
        let io = |path: &Path, source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let header = self.header.clone();
        self.file
            .seek(SeekFrom::Start(header.data_offset))
            .map_err(|e| io(&self.path, e))?;
        let rows_per_chunk = rows_per_chunk.max(1);
        let size = header.dtype.size();
        let mut bytes = vec![0u8; rows_per_chunk * header.cols * size];
        let mut values = vec![0f64; rows_per_chunk * header.cols];
        let mut first = 0;
        while first < header.rows {
            let rows = rows_per_chunk.min(header.rows - first);
            let count = rows * header.cols;
            let chunk = &mut bytes[..count * size];
            self.file.read_exact(chunk).map_err(|e| io(&self.path, e))?;
            decode(&header, chunk, &mut values[..count]);
            if let Some(k) = values[..count].iter().position(|x| !x.is_finite()) {
                return Err(Error::NonFinite {
                    field: format!(
                        "{}: row {}, column {}",
                        self.path.display(),
                        first + k / header.cols,
                        k % header.cols
                    ),
                    value: values[k],
                });
            }
            visit(first, &values[..count])?;
            first += rows;
        }
        Ok(())
    }

    /// Reads the whole matrix row-major into memory.
    pub fn read_all(&mut self) -> Result<Vec<f64>> {
        let mut all = Vec::with_capacity(self.header.rows * self.header.cols);
        self.for_each_chunk(rows_per_chunk(self.header.cols), &mut |_, values| {
            all.extend_from_slice(values);
            Ok(())
        })?;
        Ok(all)
    }
}

/// The data of a 2-D float array, row-major, in its stored precision.
#[derive(Clone, Copy, Debug)]
pub enum MatrixView<'a> {
    /// `float32` entries.
    F32(&'a [f32]),
    /// `float64` entries.
    F64(&'a [f64]),
}

impl MatrixView<'_> {
    /// Number of entries.
    pub fn len(&self) -> usize {
        match self {
            MatrixView::F32(v) => v.len(),
            MatrixView::F64(v) => v.len(),
        }
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entry `k` widened to `f64` (exact).
    pub fn get(&self, k: usize) -> f64 {
        match self {
            MatrixView::F32(v) => f64::from(v[k]),
            MatrixView::F64(v) => v[k],
        }
    }
}

/// Where the data of an [`NpyMatrix`] lives.
#[derive(Debug)]
enum Storage {
    /// The mapped file; the data starts at the header's `data_offset`.
    Mapped(Mmap),
    /// The file's bytes read into memory (non-regular files).
    Bytes(Vec<u8>),
    /// Converted to native order (big-endian or misaligned data).
    F32(Vec<f32>),
    /// Converted to native order (big-endian or misaligned data).
    F64(Vec<f64>),
}

/// A validated `.npy` matrix, memory-mapped (regular files) or read into
/// memory (pipes, `/dev/stdin`), viewed in place in its stored precision.
#[derive(Debug)]
pub struct NpyMatrix {
    path: PathBuf,
    header: NpyHeader,
    storage: Storage,
}

impl NpyMatrix {
    /// Opens `path`, checks its header and size, and maps (or reads) it.
    pub fn open(path: &Path) -> std::result::Result<Self, NpyError> {
        let fail = |kind| NpyError {
            path: path.to_path_buf(),
            kind,
        };
        let mut file = File::open(path).map_err(|e| fail(NpyErrorKind::Io(e)))?;
        let metadata = file.metadata().map_err(|e| fail(NpyErrorKind::Io(e)))?;
        let (header, storage) = if metadata.is_file() {
            let header = read_header(&mut BufReader::new(&file), metadata.len()).map_err(fail)?;
            // SAFETY: the map is read-only and private to this process; if
            // another process truncates the file while it is mapped, reads
            // past the new end fault (SIGBUS) — the documented risk of
            // memory-mapping, taken for in-place reading of large dumps.
            let map = unsafe { Mmap::map(&file) }.map_err(|e| fail(NpyErrorKind::Io(e)))?;
            (header, Storage::Mapped(map))
        } else {
            // A pipe or character device: its length is unknown until read.
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes)
                .map_err(|e| fail(NpyErrorKind::Io(e)))?;
            return Self::from_bytes(path, bytes);
        };
        Ok(Self::with_storage(path, header, storage))
    }

    /// A `.npy` image already in memory (an `.npz` member, a pipe's
    /// bytes), named `path` in errors.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> std::result::Result<Self, NpyError> {
        let header = read_header(&mut &bytes[..], bytes.len() as u64).map_err(|kind| NpyError {
            path: path.to_path_buf(),
            kind,
        })?;
        Ok(Self::with_storage(path, header, Storage::Bytes(bytes)))
    }

    fn with_storage(path: &Path, header: NpyHeader, storage: Storage) -> Self {
        let mut matrix = Self {
            path: path.to_path_buf(),
            header,
            storage,
        };
        if matrix.native_view().is_none() {
            matrix.storage = matrix.converted();
        }
        matrix
    }

    /// The matrices in `path`: the one array of a `.npy` file, or every
    /// array of an `.npz` archive (`numpy.savez`, stored or deflated), in
    /// archive order, each named `FILE.npz:NAME` (the member's name without
    /// `.npy`). Any other extension is read as `.npy`.
    pub fn open_all(path: &Path) -> std::result::Result<Vec<Self>, NpyError> {
        let is_npz = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("npz"));
        if !is_npz {
            return Self::open(path).map(|m| vec![m]);
        }
        let fail = |kind| NpyError {
            path: path.to_path_buf(),
            kind,
        };
        let archive_error = |e: zip::result::ZipError| {
            fail(NpyErrorKind::BadArchive {
                reason: e.to_string(),
            })
        };
        let file = File::open(path).map_err(|e| fail(NpyErrorKind::Io(e)))?;
        let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(archive_error)?;
        let mut matrices = Vec::with_capacity(archive.len());
        for index in 0..archive.len() {
            let mut member = archive.by_index(index).map_err(archive_error)?;
            let name = member.name().to_string();
            let label = format!(
                "{}:{}",
                path.display(),
                name.strip_suffix(".npy").unwrap_or(&name)
            );
            let mut bytes = Vec::with_capacity(member.size() as usize);
            member
                .read_to_end(&mut bytes)
                .map_err(|e| fail(NpyErrorKind::Io(e)))?;
            matrices.push(Self::from_bytes(Path::new(&label), bytes)?);
        }
        if matrices.is_empty() {
            return Err(fail(NpyErrorKind::BadArchive {
                reason: "the archive holds no arrays".into(),
            }));
        }
        Ok(matrices)
    }

    /// The header.
    pub fn header(&self) -> &NpyHeader {
        &self.header
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `(rows, cols)`.
    pub fn shape(&self) -> (usize, usize) {
        (self.header.rows, self.header.cols)
    }

    /// The data bytes of a mapped or read file.
    fn data_bytes(&self) -> Option<&[u8]> {
        let bytes: &[u8] = match &self.storage {
            Storage::Mapped(map) => map,
            Storage::Bytes(bytes) => bytes,
            _ => return None,
        };
        let start = self.header.data_offset as usize;
        let len = self.header.data_bytes()? as usize;
        bytes.get(start..start + len)
    }

    /// The data viewed in place, when stored in native order and aligned.
    fn native_view(&self) -> Option<MatrixView<'_>> {
        match &self.storage {
            Storage::F32(v) => return Some(MatrixView::F32(v)),
            Storage::F64(v) => return Some(MatrixView::F64(v)),
            _ => {}
        }
        if self.header.big_endian != cfg!(target_endian = "big") {
            return None;
        }
        let bytes = self.data_bytes()?;
        match self.header.dtype {
            Dtype::F32 => bytemuck::try_cast_slice(bytes).ok().map(MatrixView::F32),
            Dtype::F64 => bytemuck::try_cast_slice(bytes).ok().map(MatrixView::F64),
        }
    }

    /// The data decoded into native-order vectors (one copy).
    fn converted(&self) -> Storage {
        let bytes = self.data_bytes().unwrap_or(&[]);
        let big = self.header.big_endian;
        match self.header.dtype {
            Dtype::F32 => Storage::F32(
                bytes
                    .chunks_exact(4)
                    .map(|c| {
                        let raw = [c[0], c[1], c[2], c[3]];
                        if big {
                            f32::from_be_bytes(raw)
                        } else {
                            f32::from_le_bytes(raw)
                        }
                    })
                    .collect(),
            ),
            Dtype::F64 => Storage::F64(
                bytes
                    .chunks_exact(8)
                    .map(|c| {
                        let raw = [c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]];
                        if big {
                            f64::from_be_bytes(raw)
                        } else {
                            f64::from_le_bytes(raw)
                        }
                    })
                    .collect(),
            ),
        }
    }

    /// The matrix, row-major, in its stored precision.
    pub fn view(&self) -> MatrixView<'_> {
        // `open` converted the storage whenever the in-place view fails.
        self.native_view().unwrap_or(MatrixView::F64(&[]))
    }
}

fn decode(header: &NpyHeader, bytes: &[u8], out: &mut [f64]) {
    match (header.dtype, header.big_endian) {
        (Dtype::F32, false) => {
            for (o, c) in out.iter_mut().zip(bytes.chunks_exact(4)) {
                *o = f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]]));
            }
        }
        (Dtype::F32, true) => {
            for (o, c) in out.iter_mut().zip(bytes.chunks_exact(4)) {
                *o = f64::from(f32::from_be_bytes([c[0], c[1], c[2], c[3]]));
            }
        }
        (Dtype::F64, big_endian) => {
            for (o, c) in out.iter_mut().zip(bytes.chunks_exact(8)) {
                let raw = [c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]];
                *o = if big_endian {
                    f64::from_be_bytes(raw)
                } else {
                    f64::from_le_bytes(raw)
                };
            }
        }
    }
}

/// Writes the header of a version 1.0 `.npy` file holding a `rows × cols`
/// C-order matrix of `dtype` (little-endian), as `numpy.save` would: the
/// data that follows must be `rows · cols` elements. For dumps too large
/// to hold in memory, write the header and then stream the elements.
pub fn write_header(
    out: &mut impl Write,
    rows: usize,
    cols: usize,
    dtype: Dtype,
) -> std::io::Result<()> {
    let descr = match dtype {
        Dtype::F32 => "<f4",
        Dtype::F64 => "<f8",
    };
    let mut dict =
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    // Pad so that the data starts at a multiple of 64 bytes, ending in '\n'.
    let unpadded = MAGIC.len() + 2 + 2 + dict.len() + 1;
    dict.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    dict.push('\n');
    let header_len = u16::try_from(dict.len()).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "npy header longer than 65535 bytes",
        )
    })?;
    out.write_all(MAGIC)?;
    out.write_all(&[1, 0])?;
    out.write_all(&header_len.to_le_bytes())?;
    out.write_all(dict.as_bytes())
}

/// Writes `values` (row-major, `rows × cols`) as a version 1.0 `.npy` file
/// with dtype `'<f4'` or `'<f8'`, as `numpy.save` would.
pub fn write_matrix(
    path: &Path,
    rows: usize,
    cols: usize,
    values: &[f64],
    dtype: Dtype,
) -> Result<()> {
    if values.len() != rows * cols {
        return Err(Error::DimensionMismatch {
            field: "npy data (rows · cols)".into(),
            expected: rows * cols,
            found: values.len(),
        });
    }
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut out = BufWriter::new(File::create(path).map_err(io)?);
    write_header(&mut out, rows, cols, dtype).map_err(io)?;
    for &x in values {
        match dtype {
            Dtype::F32 => out.write_all(&(x as f32).to_le_bytes()).map_err(io)?,
            Dtype::F64 => out.write_all(&x.to_le_bytes()).map_err(io)?,
        }
    }
    out.flush().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_numpy_header_dicts() {
        let (dtype, big, shape) =
            parse_header_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 5), }")
                .expect("valid");
        assert_eq!((dtype, big, shape), (Dtype::F32, false, vec![3, 5]));
        let (_, _, shape) =
            parse_header_dict("{'descr': '>f8', 'fortran_order': False, 'shape': (7,), }")
                .expect("valid");
        assert_eq!(shape, vec![7]);
        assert!(matches!(
            parse_header_dict("{'descr': '<i8', 'fortran_order': False, 'shape': (3, 5), }"),
            Err(NpyErrorKind::UnsupportedDtype { .. })
        ));
        assert!(matches!(
            parse_header_dict("{'descr': '<f8', 'fortran_order': True, 'shape': (3, 5), }"),
            Err(NpyErrorKind::FortranOrder)
        ));
        assert!(matches!(
            parse_header_dict("{'descr': '<f8', 'shape': (3, 5)}"),
            Err(NpyErrorKind::BadHeader { .. })
        ));
    }
}
