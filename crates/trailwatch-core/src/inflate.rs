//! Whole-buffer gzip decompression with libdeflate, about 2.5 times faster
//! than streaming inflate, for files whose size is known to fit in memory.

use std::ptr::NonNull;

use libdeflate_sys::{
    libdeflate_alloc_decompressor, libdeflate_decompressor, libdeflate_free_decompressor,
    libdeflate_gzip_decompress_ex, libdeflate_result_LIBDEFLATE_SUCCESS,
};

/// A reusable libdeflate decompressor.
pub(crate) struct Inflater {
    raw: NonNull<libdeflate_decompressor>,
}

// SAFETY: the decompressor is plain heap state with no thread affinity; it
// is used by one thread at a time through `&mut self`.
unsafe impl Send for Inflater {}

/// What a whole-buffer decompression did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Inflated {
    /// The input was exactly one gzip member, this many bytes long when
    /// decompressed.
    Whole(usize),
    /// Anything else (several members, trailing bytes, output larger than
    /// the buffer, corrupt data): the caller streams instead, which handles
    /// every case and reports precise errors.
    NotWhole,
}

impl Inflater {
    pub(crate) fn new() -> Self {
        // SAFETY: plain allocation; a null return means out of memory.
        let raw = unsafe { libdeflate_alloc_decompressor() };
        Inflater {
            raw: NonNull::new(raw).expect("libdeflate could not allocate a decompressor"),
        }
    }

    /// Decompresses `gzip` into `out`.
    pub(crate) fn gunzip(&mut self, gzip: &[u8], out: &mut [u8]) -> Inflated {
        let (mut consumed, mut produced) = (0usize, 0usize);
        // SAFETY: the pointers and lengths describe live, non-overlapping
        // slices; libdeflate writes at most `out.len()` bytes.
        let result = unsafe {
            libdeflate_gzip_decompress_ex(
                self.raw.as_ptr(),
                gzip.as_ptr().cast(),
                gzip.len(),
                out.as_mut_ptr().cast(),
                out.len(),
                &mut consumed,
                &mut produced,
            )
        };
        if result == libdeflate_result_LIBDEFLATE_SUCCESS && consumed == gzip.len() {
            Inflated::Whole(produced)
        } else {
            Inflated::NotWhole
        }
    }
}

impl Drop for Inflater {
    fn drop(&mut self) {
        // SAFETY: allocated by libdeflate_alloc_decompressor, freed once.
        unsafe { libdeflate_free_decompressor(self.raw.as_ptr()) }
    }
}
