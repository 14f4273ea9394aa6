//! The SHA-256 of a log file's uncompressed content, which is what a digest
//! lists (`hashValue`). A file must be exactly one clean gzip member:
//! corrupt data, a bad CRC or length, or anything after the end of the gzip
//! stream (an appended member, say) is an error, because it is not what
//! CloudTrail delivered.

use std::io::{BufRead, BufReader, Read};
use std::ptr::NonNull;

use aws_lc_rs::digest::{Context, SHA256};
use libdeflate_sys::{
    libdeflate_alloc_decompressor, libdeflate_decompressor, libdeflate_free_decompressor,
    libdeflate_gzip_decompress_ex, libdeflate_result_LIBDEFLATE_SUCCESS,
};
use thiserror::Error;

/// Largest uncompressed size inflated whole (fast path); larger files are
/// streamed, so memory stays bounded whatever the file says.
const WHOLE_MAX: usize = 256 << 20;

/// Why a log file's content could not be hashed.
#[derive(Debug, Error)]
pub enum LogError {
    /// Not a clean gzip stream.
    #[error("does not inflate: {0}")]
    Corrupt(String),
    /// Bytes after the end of the (first) gzip member.
    #[error("{0} bytes after the end of the gzip stream")]
    TrailingData(u64),
    /// The file could not be read.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The hash of a clean log file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogHash {
    /// SHA-256 of the uncompressed content.
    pub sha256: [u8; 32],
    /// Bytes as stored.
    pub compressed: u64,
    /// Bytes uncompressed.
    pub uncompressed: u64,
}

/// Hashes log files, reusing one decompressor and one buffer (one per thread).
pub struct Hasher {
    raw: NonNull<libdeflate_decompressor>,
    buf: Vec<u8>,
}

// SAFETY: the decompressor is heap state without thread affinity, used by
// one thread at a time through `&mut self`.
unsafe impl Send for Hasher {}

impl Default for Hasher {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Hasher {
    fn drop(&mut self) {
        // SAFETY: allocated by libdeflate_alloc_decompressor, freed once here.
        unsafe { libdeflate_free_decompressor(self.raw.as_ptr()) }
    }
}

fn sha256_array(d: aws_lc_rs::digest::Digest) -> [u8; 32] {
    let mut out = [0; 32];
    out.copy_from_slice(d.as_ref());
    out
}

impl Hasher {
    /// A new hasher.
    pub fn new() -> Self {
        // SAFETY: plain allocation; null means out of memory.
        let raw = unsafe { libdeflate_alloc_decompressor() };
        Hasher {
            raw: NonNull::new(raw).expect("libdeflate could not allocate a decompressor"),
            buf: Vec::new(),
        }
    }

    /// Hashes a whole gzip file held in memory.
    pub fn hash_bytes(&mut self, gz: &[u8]) -> Result<LogHash, LogError> {
        if let Some(hash) = self.whole(gz) {
            return Ok(hash);
        }
        // Anything unusual: stream, which names the exact fault.
        self.hash_reader(gz)
    }

    /// The fast path: one libdeflate call when the trailer's size fits.
    fn whole(&mut self, gz: &[u8]) -> Option<LogHash> {
        if gz.len() < 18 {
            return None;
        }
        let isize = u32::from_le_bytes(gz[gz.len() - 4..].try_into().ok()?) as usize;
        if isize > WHOLE_MAX {
            return None;
        }
        if self.buf.len() < isize.max(1) {
            self.buf.resize(isize.max(1), 0);
        }
        let (mut consumed, mut produced) = (0usize, 0usize);
        // SAFETY: pointers and lengths describe live, non-overlapping slices;
        // libdeflate writes at most `isize` bytes into `buf`.
        let result = unsafe {
            libdeflate_gzip_decompress_ex(
                self.raw.as_ptr(),
                gz.as_ptr().cast(),
                gz.len(),
                self.buf.as_mut_ptr().cast(),
                isize,
                &mut consumed,
                &mut produced,
            )
        };
        if result != libdeflate_result_LIBDEFLATE_SUCCESS
            || consumed != gz.len()
            || produced != isize
        {
            return None;
        }
        let sha256 = sha256_array(aws_lc_rs::digest::digest(&SHA256, &self.buf[..produced]));
        Some(LogHash {
            sha256,
            compressed: gz.len() as u64,
            uncompressed: produced as u64,
        })
    }

    /// Hashes a log file that was already decompressed (`.json`, as after
    /// `gunzip` during an investigation): the digest's hash is of exactly
    /// these bytes.
    pub fn hash_plain(&mut self, reader: impl Read) -> Result<LogHash, LogError> {
        let mut reader = reader;
        let mut ctx = Context::new(&SHA256);
        let mut chunk = vec![0u8; 1 << 16];
        let mut n_total = 0u64;
        loop {
            let n = match reader.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(LogError::Io(e)),
            };
            ctx.update(&chunk[..n]);
            n_total += n as u64;
        }
        Ok(LogHash {
            sha256: sha256_array(ctx.finish()),
            compressed: n_total,
            uncompressed: n_total,
        })
    }

    /// Hashes a gzip stream read from `reader`, in bounded memory.
    pub fn hash_reader(&mut self, reader: impl Read) -> Result<LogHash, LogError> {
        let counted = Counted {
            inner: reader,
            n: 0,
        };
        let mut decoder =
            flate2::bufread::GzDecoder::new(BufReader::with_capacity(1 << 16, counted));
        let mut ctx = Context::new(&SHA256);
        let mut chunk = vec![0u8; 1 << 16];
        let mut uncompressed = 0u64;
        loop {
            let n = match decoder.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) if is_format_error(&e) => return Err(LogError::Corrupt(e.to_string())),
                Err(e) => return Err(LogError::Io(e)),
            };
            ctx.update(&chunk[..n]);
            uncompressed += n as u64;
        }
        let mut rest = decoder.into_inner();
        let mut trailing = rest.buffer().len() as u64;
        rest.consume(rest.buffer().len());
        trailing += std::io::copy(&mut rest, &mut std::io::sink())?;
        if trailing > 0 {
            return Err(LogError::TrailingData(trailing));
        }
        if rest.get_ref().n == 0 {
            return Err(LogError::Corrupt("empty file".into()));
        }
        Ok(LogHash {
            sha256: sha256_array(ctx.finish()),
            compressed: rest.get_ref().n,
            uncompressed,
        })
    }
}

fn is_format_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::InvalidInput
            | std::io::ErrorKind::InvalidData
            | std::io::ErrorKind::UnexpectedEof
    )
}

struct Counted<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Bytes of a hex string (either case); `None` if it is not hex.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim().as_bytes();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    s.chunks(2)
        .map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn hashes_clean_files_both_ways() {
        let data = br#"{"Records":[]}"#.repeat(1000);
        let file = gz(&data);
        let want = sha256_array(aws_lc_rs::digest::digest(&SHA256, &data));
        let mut h = Hasher::new();
        let a = h.hash_bytes(&file).unwrap();
        let b = h.hash_reader(&file[..]).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.sha256, want);
        assert_eq!(a.uncompressed, data.len() as u64);
        assert_eq!(a.compressed, file.len() as u64);
    }

    #[test]
    fn rejects_appended_members_corruption_and_truncation() {
        let file = gz(b"{\"Records\":[]}");
        let mut h = Hasher::new();
        let mut two = file.clone();
        two.extend_from_slice(&gz(b"more"));
        assert!(matches!(h.hash_bytes(&two), Err(LogError::TrailingData(n)) if n > 0));
        let mut flipped = file.clone();
        flipped[12] ^= 0x55;
        assert!(
            matches!(h.hash_bytes(&flipped), Err(LogError::Corrupt(_))),
            "{:?}",
            h.hash_bytes(&flipped)
        );
        assert!(matches!(
            h.hash_bytes(&file[..file.len() - 3]),
            Err(LogError::Corrupt(_))
        ));
        assert!(matches!(
            h.hash_bytes(b"not gzip at all, sorry"),
            Err(LogError::Corrupt(_))
        ));
        assert_eq!(unhex(&hex(&[0, 255, 16])), Some(vec![0, 255, 16]));
        assert_eq!(unhex("zz"), None);
    }
}
